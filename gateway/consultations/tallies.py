"""The memorandum's tallies, each one SQL aggregate (GROUP BY) over a consultation's rows: the
database counts, Python only receives the totals, so memory stays flat however many took part.

Each figure is what the CSV export (:mod:`gateway.consultations.export`) gives when its rows are
counted the same way: a participant is a distinct ``participant`` value, a theme counts for a
comment by the rule of :func:`gateway.consultations.export.counts`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all

from gateway.consultations.models import (
    Coding,
    Comment,
    CommentTheme,
    Consultation,
    Position,
    Theme,
)
from gateway.extensions import db


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


@dataclass(frozen=True)
class Figures:
    """A consultation's counts, keyed by stored values (codes, names; None: not known)."""

    participants: int
    positions: int
    comments: int
    # dimension -> value -> distinct participants ("ward": (county, ward) -> participants)
    took_part: dict[str, Counter[Any]]
    stances: dict[int, Counter[str]]  # clause id -> stance -> positions
    stances_by_county: dict[int, dict[str | None, Counter[str]]]  # clause -> county -> stance
    comments_by_clause: Counter[int]
    themes_by_clause: dict[int, Counter[str]]  # clause id -> theme name -> comments it counts for
    coders: int
    coded: int  # comments coded by at least one coder
    double_coded: int  # by two or more


def _people(consultation_id: int) -> Any:
    """Everyone's rows (positions and comments) with where, how and in what language."""
    columns = (Position.contact_id, Position.county, Position.ward, Position.language)
    return union_all(
        select(*columns, Position.channel).where(
            Position.consultation_id == consultation_id, Position.contact_id.is_not(None)
        ),
        select(
            Comment.contact_id, Comment.county, Comment.ward, Comment.language, Comment.channel
        ).where(Comment.consultation_id == consultation_id, Comment.contact_id.is_not(None)),
    ).subquery()


def _took_part(consultation_id: int) -> tuple[int, dict[str, Counter[Any]]]:
    people = _people(consultation_id)
    distinct = func.count(func.distinct(people.c.contact_id))
    total = db.session.scalar(select(distinct)) or 0
    found: dict[str, Counter[Any]] = {}
    for name in ("county", "language", "channel"):
        column = people.c[name]
        found[name] = Counter(
            {value: n for value, n in db.session.execute(select(column, distinct).group_by(column))}
        )
    found["ward"] = Counter(
        {
            (county, ward): n
            for county, ward, n in db.session.execute(
                select(people.c.county, people.c.ward, distinct).group_by(
                    people.c.county, people.c.ward
                )
            )
        }
    )
    return int(total), found


def _stances(consultation_id: int) -> tuple[dict[int, Counter[str]], dict[int, Any]]:
    by_clause: dict[int, Counter[str]] = {}
    by_county: dict[int, dict[str | None, Counter[str]]] = {}
    rows = db.session.execute(
        select(Position.clause_id, Position.county, Position.stance, func.count())
        .where(Position.consultation_id == consultation_id)
        .group_by(Position.clause_id, Position.county, Position.stance)
    )
    for clause_id, county, stance, n in rows:
        by_clause.setdefault(clause_id, Counter())[stance] += n
        by_county.setdefault(clause_id, {}).setdefault(county, Counter())[stance] += n
    return by_clause, by_county


def _themes(consultation_id: int) -> dict[int, Counter[str]]:
    votes, coders = theme_votes(), coder_counts()
    rows = db.session.execute(
        select(Comment.clause_id, Theme.name, func.count())
        .join(votes, votes.c.comment_id == Comment.id)
        .join(coders, coders.c.comment_id == Comment.id)
        .join(Theme, Theme.id == votes.c.theme_id)
        .where(
            Comment.consultation_id == consultation_id,
            coders.c.coders > 0,
            votes.c.votes * 2 >= coders.c.coders,  # at least half the comment's coders
        )
        .group_by(Comment.clause_id, Theme.name)
    )
    found: dict[int, Counter[str]] = {}
    for clause_id, name, n in rows:
        found.setdefault(clause_id, Counter())[name] = n
    return found


def _coding(consultation_id: int) -> tuple[int, int, int]:
    """(coders, comments coded, comments coded by two or more)."""
    mine = and_(Coding.comment_id == Comment.id, Comment.consultation_id == consultation_id)
    coders = db.session.scalar(
        select(func.count(func.distinct(Coding.coder_id))).select_from(Coding).join(Comment, mine)
    )
    per_comment = (
        select(Coding.comment_id, func.count().label("n"))
        .join(Comment, mine)
        .group_by(Coding.comment_id)
        .subquery()
    )
    coded, double = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((per_comment.c.n >= 2, 1), else_=0)), literal(0)),
        ).select_from(per_comment)
    ).one()
    return int(coders or 0), int(coded or 0), int(double or 0)


def figures(consultation: Consultation) -> Figures:
    """Every count the memorandum shows, for ``consultation``."""
    cid = consultation.id
    participants, took_part = _took_part(cid)
    stances, by_county = _stances(cid)
    comments_by_clause = Counter(
        {
            clause_id: n
            for clause_id, n in db.session.execute(
                select(Comment.clause_id, func.count())
                .where(Comment.consultation_id == cid)
                .group_by(Comment.clause_id)
            )
        }
    )
    coders, coded, double = _coding(cid)
    return Figures(
        participants=participants,
        positions=sum(sum(c.values()) for c in stances.values()),
        comments=sum(comments_by_clause.values()),
        took_part=took_part,
        stances=stances,
        stances_by_county=by_county,
        comments_by_clause=comments_by_clause,
        themes_by_clause=_themes(cid),
        coders=coders,
        coded=coded,
        double_coded=double,
    )
