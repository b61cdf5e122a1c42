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
- ``comment`` (comments): the comment's id; ``coders``: how many coders coded it; ``themes``:
  the themes that count for the memorandum, ``;``-separated. **A theme counts for a comment
  when at least half of the coders who coded the comment gave it** (one coder: theirs; two: either
  one's; three: two of them). ``theme_votes``: every theme any coder gave, as ``name votes/coders``.
- ``quote_ok``, ``quoted``, ``erased``: the author agreed to be quoted, the secretariat picked it,
  the author's data was erased (the row stays, so counts stay; it is never quoted).
- ``quote``: the masked words (:func:`gateway.consultations.quotes.mask_quote`) of a comment the
  memorandum may quote; empty for every other comment. The memorandum quotes the first five of a
  clause, in ``comment`` order.

The rows are streamed from the database in batches (``yield_per``), never all loaded at once.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import and_, func, select

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
    "themes",
    "theme_votes",
    "quote_ok",
    "quoted",
    "erased",
    "quote",
)
BATCH = 500  # rows fetched at a time: what the export holds, whatever the size


def pseudonyms(consultation_id: int) -> Callable[[int | None], str]:
    """The participant column for each contact: stable for this consultation, meaningless
    elsewhere (an HMAC of the consultation and the contact under the server's secret key)."""
    key = hmac.new(current_settings().secret_key.encode(), digestmod="sha256")
    prefix = f"consultation:{consultation_id}:contact:"

    def pseudonym(contact_id: int | None) -> str:
        if contact_id is None:
            return ""
        digest = key.copy()
        digest.update(f"{prefix}{contact_id}".encode())
        return "P" + digest.hexdigest()[:12]

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


def theme_votes() -> Any:
    """(comment_id, theme_id, votes): how many coders gave each theme to each comment; a theme
    recorded without its coder's coding of the comment is not counted."""
    return (
        select(
            CommentTheme.comment_id,
            CommentTheme.theme_id,
            func.count(func.distinct(CommentTheme.coder_id)).label("votes"),
        )
        .join(
            Coding,
            and_(
                Coding.comment_id == CommentTheme.comment_id,
                Coding.coder_id == CommentTheme.coder_id,
            ),
        )
        .group_by(CommentTheme.comment_id, CommentTheme.theme_id)
        .subquery()
    )


def coder_counts() -> Any:
    """(comment_id, coders): how many coders coded each comment."""
    return (
        select(Coding.comment_id, func.count(func.distinct(Coding.coder_id)).label("coders"))
        .group_by(Coding.comment_id)
        .subquery()
    )


def position_rows(consultation: Consultation) -> Iterator[list[object]]:
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
        yield ["position", pseudonym(contact_id), number, stance, county, ward, language, channel]


def _themes_given(consultation_id: int) -> Iterator[tuple[int, str, int]]:
    """(comment id, theme, coders who gave it) for the consultation's comments, in comment order
    (a theme recorded without its coder's coding of the comment is not counted)."""
    stmt = (
        select(
            CommentTheme.comment_id,
            Theme.name,
            func.count(func.distinct(CommentTheme.coder_id)),
        )
        .join(
            Coding,
            and_(
                Coding.comment_id == CommentTheme.comment_id,
                Coding.coder_id == CommentTheme.coder_id,
            ),
        )
        .join(Theme, Theme.id == CommentTheme.theme_id)
        .join(Comment, Comment.id == CommentTheme.comment_id)
        .where(Comment.consultation_id == consultation_id)
        .group_by(CommentTheme.comment_id, Theme.name)
        .order_by(CommentTheme.comment_id, Theme.name)
        .execution_options(yield_per=BATCH)
    )
    for comment_id, name, votes in db.session.execute(stmt):
        yield int(comment_id), str(name), int(votes)


def comment_rows(consultation: Consultation) -> Iterator[list[object]]:
    """One row per comment. The comments and their themes come as two streams both in comment
    order, merged here: one pass over each, whatever the number of comments (a join of the
    comments with the themes' aggregates made SQLite's time grow with its square)."""
    coders = (
        select(func.count(func.distinct(Coding.coder_id)))
        .where(Coding.comment_id == Comment.id)
        .scalar_subquery()
    )
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
            coders,
        )
        .join(Clause, Clause.id == Comment.clause_id)
        .where(Comment.consultation_id == consultation.id)
        .order_by(Comment.id)
        .execution_options(yield_per=BATCH)
    )
    known = places()
    pseudonym = pseudonyms(consultation.id)
    themes = _themes_given(consultation.id)
    pending = next(themes, None)
    rows: Any = db.session.execute(stmt)  # each row's columns as in the select above
    for row in rows:
        comment_id, contact_id, number, county, ward, language, channel = row[:7]
        quote_ok, quoted, erased_at, text, n_coders = row[7:12]
        given: list[tuple[str, int]] = []
        while pending is not None and pending[0] <= comment_id:
            if pending[0] == comment_id:
                given.append(pending[1:])
            pending = next(themes, None)
        n_coders = int(n_coders or 0)
        counted = [name for name, n in given if counts(n, n_coders)]
        erased = erased_at is not None
        shown = quotable(text, quote_ok, quoted, erased)
        yield [
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
            ";".join(counted),
            "; ".join(f"{name} {n}/{n_coders}" for name, n in given),
            bool(quote_ok),
            bool(quoted),
            erased,
            mask_quote(text or "", known) if shown else "",
        ]


def export_rows(consultation: Consultation) -> Iterator[list[object]]:
    """Every row of the export after the header: the positions, then the comments."""
    width = len(HEADER)
    for row in position_rows(consultation):
        yield row + [""] * (width - len(row))
    yield from comment_rows(consultation)


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
