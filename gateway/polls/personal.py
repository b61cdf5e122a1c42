"""A contact's votes, in their export (votes are counts and stay on deletion)."""

from __future__ import annotations

from gateway.contacts.export import rows_part
from gateway.polls.models import Poll, PollOption, Vote

votes = rows_part(
    Vote,
    Poll.keyword.label("poll"),
    PollOption.position.label("option"),
    PollOption.label,
    Vote.channel,
    Vote.voted_at.label("at"),
    joins=[(Poll, Poll.id == Vote.poll_id), (PollOption, PollOption.id == Vote.option_id)],
)
