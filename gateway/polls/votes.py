"""Casting a vote: one per person per poll, the latest counts, only while the poll is open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from gateway.contacts.models import Contact
from gateway.extensions import conflict_insert, db, utcnow
from gateway.polls.models import Poll, PollOption, Vote
from gateway.sms.campaigns import is_open
from gateway.sms.texts import render, reply_text


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


# Who else may thank a vote: an area hosting a poll (a radio show on air) thanks its own voters
# once per listener and episode. It returns None when the vote is not its own, else whether it
# thanked the voter now. Registered by gateway.wiring.
VoteThanker = Callable[[Contact, Poll, datetime, str, dict[str, object]], bool | None]
THANKERS: list[VoteThanker] = []


def register_vote_thanker(thanker: VoteThanker) -> None:
    if thanker not in THANKERS:
        THANKERS.append(thanker)


def thank_vote(contact: Contact, poll: Poll, at: datetime, kind: str, **values: object) -> bool:
    """Thank ``contact`` for a vote in ``poll`` (``sms.poll.thanks`` with ``values``); False if
    a show already thanked them in this episode."""
    for thanker in THANKERS:
        thanked = thanker(contact, poll, at, kind, values)
        if thanked is not None:
            return thanked
    reply_text(contact, render(contact, "sms.poll.thanks", **values), kind=kind)
    return True
