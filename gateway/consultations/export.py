"""A consultation's data as one CSV file: every position and every comment, one row each, with no
phone number and no name, from which every number in the memorandum can be recomputed.

Columns (``record`` says which kind of row):

- ``record``: ``position`` or ``comment``.
- ``participant``: a pseudonym, the same on every row of one person in this consultation (a keyed
  hash of the contact's id and the consultation's: it links nothing across consultations and
  cannot be turned back into a number without the server's secret). Empty for a comment whose
  contact was deleted.
- ``clause``: the clause's number; ``stance`` (positions): ``agree``, ``disagree``, ``not_sure``.
- ``county``, ``ward``, ``language``, ``channel``: where, in what language and how the person
  took part, as stored with the row.
- ``comment`` (comments): the comment's id; ``coders``: how many coders coded it; ``coded_by``:
  which (a pseudonym per coder, ``;``-separated); ``themes``: the themes that count for the
  memorandum, ``;``-separated. **A theme counts for a comment when at least half of the coders
  who coded the comment gave it** (one coder: theirs; two: either one's; three: two of them).
  ``theme_votes``: every theme any coder gave, as ``name votes/coders``.
- ``quote_ok``, ``quoted``, ``erased``: the author agreed to be quoted, the secretariat picked it,
  the author's data was erased (the row stays, so counts stay; it is never quoted).
- ``quote``: the masked words (:func:`gateway.consultations.quotes.mask_quote`) of a comment the
  memorandum may quote; empty for every other comment. The memorandum quotes the first five of a
  clause, in ``comment`` order.
- ``platforms``: the codes of the community platforms the participant is a member of now
  (``MUI KANZIKU``, space-separated, alphabetical), on position and comment rows alike; empty for
  someone in no platform (or a comment whose contact was deleted). Last, so that a reader by
  position finds every other column where it was.

The rows are streamed from the database in batches (``yield_per``), never all loaded at once;
only the platform codes of the participants who are members of one are held, for the whole file.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select, union

from gateway.areas import areas
from gateway.consultations.models import (
    Clause,
    Coding,
    Comment,
    CommentTheme,
    Consultation,
    Position,
    Theme,
)
from gateway.consultations.quotes import mask_quote
from gateway.exports import BOM, cell
from gateway.extensions import db
from gateway.platforms.models import Membership, Platform
from gateway.settings import current_settings

HEADER = (
    "record",
    "participant",
    "clause",
    "stance",
    "county",
    "ward",
    "language",
    "channel",
    "comment",
    "coders",
    "coded_by",
    "themes",
    "theme_votes",
    "quote_ok",
    "quoted",
    "erased",
    "quote",
    "platforms",
)
BATCH = 500  # rows fetched at a time: what the export holds, whatever the size


def pseudonyms(consultation_id: int, letter: str = "P") -> Callable[[int | None], str]:
    """The participant column for each contact (``P...``; ``C...``: a coder, for each user id):
    stable for this consultation, meaningless elsewhere (an HMAC of the consultation and the id
    under the server's secret key)."""
    key = hmac.new(current_settings().secret_key.encode(), digestmod="sha256")
    prefix = f"consultation:{consultation_id}:{letter}:"

    def pseudonym(contact_id: int | None) -> str:
        if contact_id is None:
            return ""
        digest = key.copy()
        digest.update(f"{prefix}{contact_id}".encode())
        return letter + digest.hexdigest()[:12]

    return pseudonym


def places() -> list[str]:
    """Names a quote keeps: every county and ward the gateway knows."""
    return [name for county in areas().values() for name in (county.name, *county.wards)]


def quotable(comment_text: str | None, quote_ok: bool, quoted: bool, erased: bool) -> bool:
    """Whether the memorandum may quote a comment: picked, agreed, not erased, with words."""
    return bool(quoted and quote_ok and not erased and comment_text and comment_text.strip())


def counts(votes: int, coders: int) -> bool:
    """Whether a theme given by ``votes`` of a comment's ``coders`` counts for the memorandum."""
    return coders > 0 and 2 * votes >= coders


def platform_codes(consultation_id: int) -> dict[int, str]:
    """The ``platforms`` column of each participant who is a member of a platform now, by
    contact id: their platforms' codes, alphabetical, space-separated."""
    people = union(
        select(Position.contact_id).where(Position.consultation_id == consultation_id),
        select(Comment.contact_id).where(
            Comment.consultation_id == consultation_id, Comment.contact_id.is_not(None)
        ),
    ).subquery()
    codes: dict[int, list[str]] = {}
    for contact_id, code in db.session.execute(
        select(Membership.contact_id, Platform.code)
        .join(Platform, Platform.id == Membership.platform_id)
        .where(Membership.contact_id.in_(select(people.c.contact_id)))
        .order_by(Membership.contact_id, Platform.code)
    ):
        codes.setdefault(contact_id, []).append(code)
    return {contact_id: " ".join(found) for contact_id, found in codes.items()}


def position_rows(consultation: Consultation) -> Iterator[tuple[list[object], int]]:
    """One row per position (the columns up to ``channel``), with its contact's id."""
    stmt = (
        select(
            Position.contact_id,
            Clause.number,
            Position.stance,
            Position.county,
            Position.ward,
            Position.language,
            Position.channel,
        )
        .join(Clause, Clause.id == Position.clause_id)
        .where(Position.consultation_id == consultation.id)
        .order_by(Clause.number, Position.id)
        .execution_options(yield_per=BATCH)
    )
    pseudonym = pseudonyms(consultation.id)
    for contact_id, number, stance, county, ward, language, channel in db.session.execute(stmt):
        row: list[object] = [
            "position",
            pseudonym(contact_id),
            number,
            stance,
            county,
            ward,
            language,
            channel,
        ]
        yield row, contact_id


@dataclass
class CommentCoding:
    """What the coders made of one comment: who coded it, and how many of them gave each theme."""

    coders: set[int] = field(default_factory=set)
    votes: Counter[str] = field(default_factory=Counter)


def _codings(consultation_id: int) -> Iterator[tuple[int, CommentCoding]]:
    """Each coded comment of the consultation, in comment order, with its coding: one pass over
    the codings and the themes their coders gave (a theme recorded without its coder's coding
    of the comment does not count)."""
    stmt = (
        select(Coding.comment_id, Coding.coder_id, Theme.name)
        .join(Comment, Comment.id == Coding.comment_id)
        .outerjoin(
            CommentTheme,
            and_(
                CommentTheme.comment_id == Coding.comment_id,
                CommentTheme.coder_id == Coding.coder_id,
            ),
        )
        .outerjoin(Theme, Theme.id == CommentTheme.theme_id)
        .where(Comment.consultation_id == consultation_id)
        .order_by(Coding.comment_id, Coding.coder_id, Theme.name)
        .execution_options(yield_per=BATCH)
    )
    current, coding = None, CommentCoding()
    for comment_id, coder_id, name in db.session.execute(stmt):
        if comment_id != current:
            if current is not None:
                yield current, coding
            current, coding = comment_id, CommentCoding()
        coding.coders.add(coder_id)
        if name is not None:
            coding.votes[name] += 1  # one row per coder and theme (unique in the database)
    if current is not None:
        yield current, coding


def comment_rows(consultation: Consultation) -> Iterator[tuple[list[object], int | None]]:
    """One row per comment (the columns up to ``quote``), with its contact's id. The comments
    and their codings come as two streams, both in comment order, merged here: one pass over
    each whatever the number of comments (a join of the comments with the themes' aggregates
    made SQLite's time grow with its square)."""
    stmt = (
        select(
            Comment.id,
            Comment.contact_id,
            Clause.number,
            Comment.county,
            Comment.ward,
            Comment.language,
            Comment.channel,
            Comment.quote_ok,
            Comment.quoted,
            Comment.erased_at,
            Comment.text,
        )
        .join(Clause, Clause.id == Comment.clause_id)
        .where(Comment.consultation_id == consultation.id)
        .order_by(Comment.id)
        .execution_options(yield_per=BATCH)
    )
    known = places()
    pseudonym, coder_pseudonym = pseudonyms(consultation.id), pseudonyms(consultation.id, "C")
    codings = _codings(consultation.id)
    pending = next(codings, None)
    rows: Any = db.session.execute(stmt)  # each row's columns as in the select above
    for row in rows:
        comment_id, contact_id, number, county, ward, language, channel = row[:7]
        quote_ok, quoted, erased_at, text = row[7:11]
        while pending is not None and pending[0] < comment_id:
            pending = next(codings, None)
        coding = pending[1] if pending is not None and pending[0] == comment_id else None
        coding = coding or CommentCoding()
        n_coders = len(coding.coders)
        given = sorted(coding.votes.items())
        shown = quotable(text, quote_ok, quoted, erased_at is not None)
        yield (
            [
                "comment",
                pseudonym(contact_id),
                number,
                "",
                county,
                ward,
                language,
                channel,
                comment_id,
                n_coders,
                ";".join(sorted(coder_pseudonym(c) for c in coding.coders)),
                ";".join(name for name, n in given if counts(n, n_coders)),
                "; ".join(f"{name} {n}/{n_coders}" for name, n in given),
                bool(quote_ok),
                bool(quoted),
                erased_at is not None,
                mask_quote(text or "", known) if shown else "",
            ],
            contact_id,
        )


def export_rows(consultation: Consultation) -> Iterator[list[object]]:
    """Every row of the export after the header: the positions, then the comments, each ending
    with its participant's platforms."""
    width = len(HEADER) - 1  # all but the platforms
    codes = platform_codes(consultation.id)
    for row, contact_id in position_rows(consultation):
        yield row + [""] * (width - len(row)) + [codes.get(contact_id, "")]
    for row, author in comment_rows(consultation):
        yield [*row, codes.get(author, "") if author is not None else ""]


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The file as it is written, a few hundred rows at a time: BOM and header first, CRLF line
    ends, formula-safe cells (as :mod:`gateway.exports`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow([cell(name) for name in header])
    for n, row in enumerate(rows, 1):
        writer.writerow([cell(value) for value in row])
        if n % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def export_csv(consultation: Consultation) -> Iterator[str]:
    """The consultation's CSV export, streamed (see the module's docstring for its columns)."""
    return stream_csv(HEADER, export_rows(consultation))
