"""The scorecard: per duty bearer, the commitments made, due, kept, partly kept, not kept and
overdue, with the community's latest verdict.

"Due" is a commitment whose due date has come (in ``GATEWAY_TIMEZONE``); "overdue" one still
open after it. The latest verdict is the majority of the answers in the latest answered round
of each of the bearer's commitments, put together (so one old promise does not speak for all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from gateway.commitments.answers import Tally, majority, tally_by_round
from gateway.commitments.followup import today
from gateway.commitments.models import (
    KEPT,
    NOT_KEPT,
    OPEN,
    PARTLY,
    VERDICTS,
    Commitment,
    DutyBearer,
    FollowUpRound,
)
from gateway.extensions import db
from gateway.settings import current_settings

CSV_HEADER = (
    "duty_bearer",
    "kind",
    "made",
    "due",
    "kept",
    "partly_kept",
    "not_kept",
    "overdue",
    "latest_verdict",
    "yes",
    "partly",
    "no",
)


@dataclass(frozen=True)
class ScoreRow:
    bearer: DutyBearer
    made: int
    due: int
    kept: int
    partly: int
    not_kept: int
    overdue: int
    latest: Tally  # the answers of each commitment's latest answered round, added up

    @property
    def verdict(self) -> str | None:
        return majority(self.latest)

    def csv(self) -> Sequence[object]:
        return (
            self.bearer.name,
            self.bearer.kind,
            self.made,
            self.due,
            self.kept,
            self.partly,
            self.not_kept,
            self.overdue,
            self.verdict or "",
            *(self.latest[v] for v in VERDICTS),
        )


def latest_answers(commitment_id: int) -> Tally:
    """The answers of the commitment's latest round that has any."""
    by_round = tally_by_round(commitment_id)
    if not by_round:
        return dict.fromkeys(VERDICTS, 0)
    numbers = dict(
        db.session.execute(
            select(FollowUpRound.id, FollowUpRound.number).where(
                FollowUpRound.id.in_(list(by_round))
            )
        ).all()
    )
    return by_round[max(by_round, key=lambda round_id: numbers[round_id])]


def scorecard(county: str | None = None) -> list[ScoreRow]:
    """One row per duty bearer (those with no commitment too), by name; ``county``: only the
    commitments made there."""
    on = today(current_settings())
    query = select(Commitment)
    if county:
        query = query.where(Commitment.county == county)
    by_bearer: dict[int, list[Commitment]] = {}
    for commitment in db.session.scalars(query):
        by_bearer.setdefault(commitment.duty_bearer_id, []).append(commitment)
    rows = []
    for bearer in db.session.scalars(select(DutyBearer).order_by(func.lower(DutyBearer.name))):
        made = by_bearer.get(bearer.id, [])
        latest = dict.fromkeys(VERDICTS, 0)
        for commitment in made:
            for verdict, count in latest_answers(commitment.id).items():
                latest[verdict] += count
        rows.append(
            ScoreRow(
                bearer=bearer,
                made=len(made),
                due=sum(1 for c in made if c.due_on <= on),
                kept=sum(1 for c in made if c.status == KEPT),
                partly=sum(1 for c in made if c.status == PARTLY),
                not_kept=sum(1 for c in made if c.status == NOT_KEPT),
                overdue=sum(1 for c in made if c.status == OPEN and c.due_on < on),
                latest=latest,
            )
        )
    return rows
