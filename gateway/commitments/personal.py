"""A contact's answers to commitment follow-ups, in their export. Like votes, the answers stay
on deletion: they are counts in a community's verdict, and once the contact is anonymised they
name nobody (the row keeps only the ward, as the tally does)."""

from __future__ import annotations

from gateway.commitments.models import Commitment, DutyBearer, FollowUpAnswer, FollowUpRound
from gateway.contacts.export import rows_part

answers = rows_part(
    FollowUpAnswer,
    Commitment.what.label("commitment"),
    DutyBearer.name.label("duty_bearer"),
    FollowUpRound.number.label("round"),
    FollowUpAnswer.verdict.label("answer"),
    FollowUpAnswer.channel,
    FollowUpAnswer.ward,
    FollowUpAnswer.answered_at.label("at"),
    joins=[
        (FollowUpRound, FollowUpRound.id == FollowUpAnswer.round_id),
        (Commitment, Commitment.id == FollowUpAnswer.commitment_id),
        (DutyBearer, DutyBearer.id == Commitment.duty_bearer_id),
    ],
)
