"""A contact's answers to commitment follow-ups, in their export. Like votes, the answers stay
on deletion: they are counts in a community's verdict, and once the contact is anonymised they
name nobody (the row keeps only the ward, as the tally does)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.commitments.models import Commitment, DutyBearer, FollowUpAnswer, FollowUpRound
from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db


def answers(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(FollowUpAnswer, FollowUpRound.number, Commitment.what, DutyBearer.name)
        .join(FollowUpRound, FollowUpRound.id == FollowUpAnswer.round_id)
        .join(Commitment, Commitment.id == FollowUpAnswer.commitment_id)
        .join(DutyBearer, DutyBearer.id == Commitment.duty_bearer_id)
        .where(FollowUpAnswer.contact_id == contact.id)
        .order_by(FollowUpAnswer.id)
    )
    return [
        {
            "commitment": what,
            "duty_bearer": bearer,
            "round": number,
            "answer": answer.verdict,
            "channel": answer.channel,
            "ward": answer.ward,
            "at": iso_time(answer.answered_at),
        }
        for answer, number, what, bearer in rows
    ]
