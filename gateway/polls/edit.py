"""Changing a poll's question, options and window until its first vote: after one, the votes
would answer a question nobody asked, so a change is refused.

The change is validated as a new poll is (:class:`gateway.polls.api.PollIn`: the SMS fit, the
window is in the future, options differ), with the keyword and county kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway.extensions import db
from gateway.polls.models import Poll, PollOption, Vote, option_numbers

EDITABLE = ("question", "options", "opens_at", "closes_at", "send_results", "voice_numbers")


class PollHasVotes(Exception):
    """The poll has a vote: it can no longer be changed."""


def has_votes(poll: Poll) -> bool:
    return db.session.scalar(select(Vote.id).where(Vote.poll_id == poll.id).limit(1)) is not None


def as_input(poll: Poll) -> dict[str, Any]:
    """The poll as the input that would create it: what a change is merged into."""
    return {
        "keyword": poll.keyword,
        "question": dict(poll.question),
        "options": [dict(o.label) for o in poll.options],
        "voice_numbers": [o.voice_number or "" for o in poll.options],
        "county": poll.county,
        "opens_at": poll.opens_at.isoformat(),
        "closes_at": poll.closes_at.isoformat(),
        "send_results": poll.send_results,
    }


def edit_poll(poll: Poll, data: dict[str, Any]) -> list[str]:
    """Apply validated input (``PollIn``'s) to ``poll``; the names of what changed.

    Raises:
        PollHasVotes: someone voted already.
    """
    locked = db.session.scalar(
        select(Poll)
        .where(Poll.id == poll.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or has_votes(poll):
        raise PollHasVotes(f"poll {poll.id} has votes")
    changed = []
    for name in ("question", "opens_at", "closes_at", "send_results"):
        if data.get(name) is not None and getattr(poll, name) != data[name]:
            setattr(poll, name, data[name])
            changed.append(name)
    labels, numbers = data["options"], option_numbers(data)
    before = [(o.label, o.voice_number) for o in poll.options]
    if before != list(zip(labels, numbers, strict=True)):
        changed.append("options")
        # In place, by position: (poll, position) is unique, so rows are reused, not replaced.
        for option, label, number in zip(poll.options, labels, numbers, strict=False):
            option.label, option.voice_number = label, number
        for position in range(len(poll.options) + 1, len(labels) + 1):
            poll.options.append(
                PollOption(
                    position=position,
                    label=labels[position - 1],
                    voice_number=numbers[position - 1],
                )
            )
        for extra in poll.options[len(labels) :]:
            poll.options.remove(extra)
    return changed
