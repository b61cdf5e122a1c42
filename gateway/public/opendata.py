"""Open data: every public table as CSV, under ``GATEWAY_PUBLIC_LICENCE``, with a data
dictionary. The counts are the pages' own (the same tallies through the same small-group rule);
groups are named in English, ``other`` for the folded ones and ``not known`` where nobody said.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Iterable, Iterator, Sequence

from flask import abort, g, render_template
from sqlalchemy import func, select

from gateway.commitments.models import Commitment, DutyBearer
from gateway.consultations.models import STANCES, Position
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.localized import pick
from gateway.public import route
from gateway.public.cache import cached
from gateway.public.calendar import meetings_ahead
from gateway.public.civic import public_consultations
from gateway.public.pages import min_group
from gateway.public.sources import (
    commitment_tally,
    poll_tally,
    public_commitments,
    public_polls,
    public_surveys,
    survey_tally,
)
from gateway.public.tally import OTHER, PublicTally, public_tally
from gateway.settings import current_settings

TALLY_COLUMNS = ("dimension", "group", "county", "answer", "label", "count")
# Each file's columns; what a row is and what each column means are texts
# (``public.data.<file>`` and ``public.data.<file>.<column>``, the tally's columns
# ``public.data.tally.<column>``). The files themselves are in English.
FILES: dict[str, tuple[str, ...]] = {
    "poll_results.csv": ("poll", "question", *TALLY_COLUMNS),
    "survey_results.csv": ("survey", "question_number", "question", *TALLY_COLUMNS),
    "commitments.csv": (
        *("commitment", "duty_bearer", "what", "commitment_county", "made_on", "due_on"),
        *("status", *TALLY_COLUMNS),
    ),
    "consultation_positions.csv": ("consultation", "clause", "reference", *TALLY_COLUMNS),
    "meetings.csv": ("meeting", "title", "county", "ward", "place", "starts_at"),
}


def _stem(name: str) -> str:
    return name.removesuffix(".csv")


def meaning(name: str, column: str, language: str) -> str:
    """What ``column`` of the file ``name`` means (the tally's columns are shared)."""
    tally = FILES[name][-len(TALLY_COLUMNS) :] == TALLY_COLUMNS and column in TALLY_COLUMNS
    key = f"public.data.tally.{column}" if tally else f"public.data.{_stem(name)}.{column}"
    return catalogs().text(key, language)


def row_meaning(name: str, language: str) -> str:
    return catalogs().text(f"public.data.{_stem(name)}", language)


def tally_rows(
    tally: PublicTally, labels: Sequence[str]
) -> Iterator[tuple[str, str, str, Hashable, str, int]]:
    """(dimension, group, county, answer, label, count) for every row the pages show."""
    if tally.total is None:
        return
    named = dict(zip(tally.answers, labels, strict=True))
    for answer in tally.answers:
        yield ("all", "", "", answer, named[answer], tally.total[answer])
    for dimension, groups in tally.breakdowns.items():
        for group in groups:
            name = "other" if group.name is OTHER else group.name or _unknown(dimension)
            for answer in tally.answers:
                yield (
                    dimension,
                    name,
                    group.county or "",
                    answer,
                    named[answer],
                    group.counts[answer],
                )


def _unknown(dimension: str) -> str:
    return "no platform" if dimension == "platform" else "not known"


def to_csv(header: Iterable[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def english(texts: dict[str, str] | None) -> str:
    return pick(texts, ("en",))


def _polls() -> Iterator[Sequence[object]]:
    for poll in public_polls():
        labels = [english(o.label) for o in poll.options]
        for row in tally_rows(poll_tally(poll, min_group()), labels):
            yield (poll.id, english(poll.question), *row)


def _surveys() -> Iterator[Sequence[object]]:
    for survey in public_surveys():
        for question in survey.questions:
            if question.kind != "choice":
                continue
            labels = [english(o) for o in question.options]
            for row in tally_rows(survey_tally(question, min_group()), labels):
                yield (survey.id, question.position, english(question.prompt), *row)


def _commitments() -> Iterator[Sequence[object]]:
    commitments: list[Commitment] = public_commitments()
    bearers = {
        b.id: b.name
        for b in db.session.scalars(
            select(DutyBearer).where(DutyBearer.id.in_({c.duty_bearer_id for c in commitments}))
        )
    }
    for c in commitments:
        tally = commitment_tally(c, min_group())
        head = (c.id, bearers[c.duty_bearer_id], english(c.what), c.county or "")
        dates = (c.made_on.isoformat(), c.due_on.isoformat(), c.status)
        for row in tally_rows(tally, list(tally.answers)):  # type: ignore[arg-type]
            yield (*head, *dates, *row)


def _positions() -> Iterator[Sequence[object]]:
    for consultation in public_consultations():
        for clause in consultation.clauses:
            places = db.session.execute(
                select(Position.stance, Position.county, Position.ward, func.count())
                .where(Position.clause_id == clause.id)
                .group_by(Position.stance, Position.county, Position.ward)
            )
            tally = public_tally(STANCES, [tuple(r) for r in places], [], min_group())  # type: ignore[misc]
            for row in tally_rows(tally, list(STANCES)):
                yield (consultation.id, clause.number, clause.reference, *row)


def _meetings() -> Iterator[Sequence[object]]:
    for m in meetings_ahead():
        yield (
            m.id,
            english(m.title),
            m.county or "",
            m.ward or "",
            m.place,
            m.starts_at.isoformat(),
        )


ROWS = {
    "poll_results.csv": _polls,
    "survey_results.csv": _surveys,
    "commitments.csv": _commitments,
    "consultation_positions.csv": _positions,
    "meetings.csv": _meetings,
}


@route("/data/")
@cached()
def data() -> str:
    files = [
        (name, row_meaning(name, g.lang), [(c, meaning(name, c, g.lang)) for c in columns])
        for name, columns in FILES.items()
    ]
    return render_template(
        "public/data.html", files=files, licence=current_settings().public_licence
    )


@route("/data/<name>")
@cached("text/csv")
def data_file(name: str) -> str:
    if name == "dictionary.csv":
        return to_csv(
            ("file", "column", "meaning"),
            (
                (file, column, meaning(file, column, "en"))
                for file, columns in FILES.items()
                for column in columns
            ),
        )
    if name not in FILES:
        abort(404)
    return to_csv(FILES[name], ROWS[name]())
