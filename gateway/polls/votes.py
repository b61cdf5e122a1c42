"""Casting a vote: one per person per poll, the latest counts, only while the poll is open."""

from __future__ import annotations

from datetime import datetime

from gateway.contacts.models import Contact
from gateway.extensions import conflict_insert, db, utcnow
from gateway.polls.models import Poll, PollOption, Vote
from gateway.sms.campaigns import is_open


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
    row = {
        "poll_id": poll.id,
        "contact_id": contact.id,
        "option_id": option.id,
        "channel": channel,
        "voted_at": at,
        "county": contact.county,
        "ward": contact.ward,
        "language": contact.language,
    }
    # One statement, safe when the same person votes twice at once: the unique (poll,
    # contact) row is inserted, or updated unless it holds a later vote already.
    insert = conflict_insert(Vote.__table__).values(row)
    replace = {name: insert.excluded[name] for name in row if name not in _KEY}
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=list(_KEY),
            set_=replace,
            where=Vote.__table__.c.voted_at <= insert.excluded.voted_at,
        )
    )
    return True


_KEY = ("poll_id", "contact_id")
