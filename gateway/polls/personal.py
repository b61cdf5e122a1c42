"""A contact's votes, in their export (votes are counts and stay on deletion)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.polls.models import Poll, PollOption, Vote


def votes(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(Vote, Poll.keyword, PollOption.position, PollOption.label)
        .join(Poll, Poll.id == Vote.poll_id)
        .join(PollOption, PollOption.id == Vote.option_id)
        .where(Vote.contact_id == contact.id)
        .order_by(Vote.id)
    )
    return [
        {
            "poll": keyword,
            "option": position,
            "label": label,
            "channel": vote.channel,
            "at": iso_time(vote.voted_at),
        }
        for vote, keyword, position, label in rows
    ]
