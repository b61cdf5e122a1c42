"""A consultation's figures for the admin pages: whether it is open, how many people took part,
how many comments they left, and the positions on each clause by stance, overall and by community
platform (SQL aggregates).

By platform, as a poll's results: a position counts for every platform its author is a member of
now (a member of two counts in both), one whose author is in no platform in a group of its own
(name ``None``), and there are no groups at all while no platform exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, union

from gateway.consultations.models import STANCES, Comment, Consultation, Position
from gateway.extensions import db, utcnow
from gateway.platforms.models import Platform
from gateway.platforms.service import any_platform, through_platforms

UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"


def status(consultation: Consultation) -> str:
    now = utcnow()
    if now < consultation.opens_at:
        return UPCOMING
    return OPEN if now < consultation.closes_at else CLOSED


def participants(consultation_ids: Sequence[int]) -> dict[int, int]:
    """People who took a position or left a comment, per consultation."""
    people = union(
        select(Position.consultation_id, Position.contact_id).where(
            Position.consultation_id.in_(consultation_ids)
        ),
        select(Comment.consultation_id, Comment.contact_id).where(
            Comment.consultation_id.in_(consultation_ids), Comment.contact_id.is_not(None)
        ),
    ).subquery()
    query = select(people.c.consultation_id, func.count()).group_by(people.c.consultation_id)
    return {row[0]: row[1] for row in db.session.execute(query)}


def comment_counts(consultation_ids: Sequence[int]) -> dict[int, int]:
    """Comments per consultation, erased ones left out."""
    query = (
        select(Comment.consultation_id, func.count())
        .where(Comment.consultation_id.in_(consultation_ids), Comment.erased_at.is_(None))
        .group_by(Comment.consultation_id)
    )
    return {row[0]: row[1] for row in db.session.execute(query)}


@dataclass(frozen=True)
class ClauseFigures:
    clause_id: int
    stances: dict[str, int]  # every stance, 0 when nobody took it
    comments: int

    @property
    def total(self) -> int:
        return sum(self.stances.values())

    def percent(self, stance: str) -> int:
        return round(100 * self.stances[stance] / self.total) if self.total else 0


def clause_figures(consultation: Consultation) -> dict[int, ClauseFigures]:
    """Each clause's positions by stance and its comments, by clause id."""
    stances: dict[int, dict[str, int]] = {
        c.id: dict.fromkeys(STANCES, 0) for c in consultation.clauses
    }
    for clause_id, stance, count in db.session.execute(
        select(Position.clause_id, Position.stance, func.count())
        .where(Position.consultation_id == consultation.id)
        .group_by(Position.clause_id, Position.stance)
    ):
        stances.setdefault(clause_id, dict.fromkeys(STANCES, 0))[stance] = count
    comments = dict(
        db.session.execute(
            select(Comment.clause_id, func.count())
            .where(Comment.consultation_id == consultation.id, Comment.erased_at.is_(None))
            .group_by(Comment.clause_id)
        ).all()
    )
    return {
        clause.id: ClauseFigures(clause.id, stances[clause.id], comments.get(clause.id, 0))
        for clause in consultation.clauses
    }


@dataclass(frozen=True)
class PlatformFigures:
    """One clause's positions by the members of one platform (``name`` None: in no platform)."""

    name: str | None
    stances: dict[str, int]  # every stance, 0 when nobody took it

    @property
    def total(self) -> int:
        return sum(self.stances.values())

    def percent(self, stance: str) -> int:
        return round(100 * self.stances[stance] / self.total) if self.total else 0


def platform_figures(consultation: Consultation) -> dict[int, list[PlatformFigures]]:
    """Each clause's positions by stance per platform of their authors now, by clause id: the
    platforms by name, "in no platform" last, only groups with a position; empty while no
    platform exists."""
    if not any_platform():
        return {}
    groups: dict[int, dict[str | None, dict[str, int]]] = {c.id: {} for c in consultation.clauses}
    for clause_id, name, stance, count in db.session.execute(
        through_platforms(
            select(Position.clause_id, Platform.name, Position.stance, func.count()).select_from(
                Position
            ),
            Position.contact_id,
        )
        .where(Position.consultation_id == consultation.id)
        .group_by(Position.clause_id, Platform.name, Position.stance)
    ):
        by = groups.setdefault(clause_id, {})
        by.setdefault(name, dict.fromkeys(STANCES, 0))[stance] = count
    return {
        clause.id: [
            PlatformFigures(name, stances)
            for name, stances in sorted(
                groups[clause.id].items(), key=lambda g: (g[0] is None, g[0] or "")
            )
        ]
        for clause in consultation.clauses
    }
