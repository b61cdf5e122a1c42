"""Casting a vote: one per person per poll, the latest counts, only while the poll is open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.polls.models import Poll, PollOption, Vote


def is_open(poll: Poll) -> bool:
    return poll.opens_at <= utcnow() < poll.closes_at


def cast_vote(
    poll: Poll, option: PollOption, contact: Contact, channel: str, at: datetime | None = None
) -> bool:
    """Record ``contact``'s vote for ``option``, cast ``at`` (when it reached us; default now);
    False (nothing recorded) if the poll is not open or the option is not the poll's.

    The latest vote counts by when it was cast, not by when a worker got to it: a vote handled
    after a later one of the same person (two workers, or a job recovered late) changes
    nothing."""
    if option.poll_id != poll.id or not is_open(poll):
        return False
    at = at or utcnow()
    existing = db.session.scalar(
        select(Vote).where(Vote.poll_id == poll.id, Vote.contact_id == contact.id)
    )
    if existing is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    Vote(
                        poll_id=poll.id,
                        contact_id=contact.id,
                        option_id=option.id,
                        channel=channel,
                        voted_at=at,
                        county=contact.county,
                        ward=contact.ward,
                        language=contact.language,
                    )
                )
            return True
        except IntegrityError:  # the same person voted twice at once: the later one wins
            existing = db.session.scalar(
                select(Vote).where(Vote.poll_id == poll.id, Vote.contact_id == contact.id)
            )
            assert existing is not None
    if existing.voted_at > at:
        return True  # a later vote of theirs counts already
    existing.option_id, existing.channel, existing.voted_at = option.id, channel, at
    existing.county, existing.ward = contact.county, contact.ward
    existing.language = contact.language
    return True
