"""Beep to vote: a poll option may have a voice number of its own (E.164); a missed call to it
is a vote for the option (:mod:`gateway.polls.beeps`).

A number leads to one option at any moment: two polls open at the same time (their windows
overlap) never share one, one poll's options never share one, and the main voice number
(``AT_VOICE_NUMBER``, which calls people back) is nobody's option.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
from sqlalchemy import select

from gateway.extensions import db, utcnow
from gateway.phones import InvalidPhone, normalise_phone
from gateway.polls.models import Poll, PollOption
from gateway.settings import current_settings


class VoiceNumber(ma.fields.Field[str | None]):
    """A phone number as typed (``0711 082 301``, ``+254711082301``), read as E.164; empty
    means none."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise ma.ValidationError("Not a valid string.")
        text = value.strip()
        if not text:
            return None
        try:
            return normalise_phone(text)
        except InvalidPhone as problem:
            raise ma.ValidationError(f"Not a valid phone number: {problem}") from None


def voice_numbers_field() -> ma.fields.List[str | None]:
    return ma.fields.List(
        VoiceNumber(allow_none=True),
        load_default=list,
        metadata={
            "description": "Beep to vote: each option's voice number in order (`null` or "
            "omitted: none); a missed call to it is a vote for the option, free to the caller."
        },
    )


def check_voice_numbers(data: dict[str, Any]) -> None:
    """Refuse numbers that would lead to two options: see the module's docstring."""
    numbers: list[str | None] = data.get("voice_numbers") or []
    if len(numbers) > len(data.get("options") or []):
        raise ma.ValidationError("More voice numbers than options.", "voice_numbers")
    seen: set[str] = set()
    for number in numbers:
        if number is None:
            continue
        if number == current_settings().at_voice_number:
            raise ma.ValidationError(
                f"Voice number {number} is the main voice number (call-backs); "
                "give each option a number of its own.",
                "voice_numbers",
            )
        if number in seen:
            raise ma.ValidationError(
                f"Voice number {number} is given to two options.", "voice_numbers"
            )
        seen.add(number)
    opens = data.get("opens_at") or utcnow()
    clash = _clash(seen, opens, data.get("closes_at") or opens, data.get("keyword"))
    if clash is not None:
        number, keyword = clash
        raise ma.ValidationError(
            f"Voice number {number} is already an option's in poll {keyword}, open at the same "
            "time; two open polls cannot share a number.",
            "voice_numbers",
        )


def _clash(
    numbers: set[str], opens: datetime, closes: datetime, keyword: str | None = None
) -> tuple[str, str] | None:
    """A number of ``numbers`` that a poll open some time between ``opens`` and ``closes``
    has already, with that poll's keyword (never the poll ``keyword`` itself, being edited)."""
    if not numbers:
        return None
    query = (
        select(PollOption.voice_number, Poll.keyword)
        .join(Poll, Poll.id == PollOption.poll_id)
        .where(PollOption.voice_number.in_(numbers), Poll.opens_at < closes, Poll.closes_at > opens)
    )
    if keyword:
        query = query.where(Poll.keyword != keyword)
    found = db.session.execute(query.limit(1)).first()
    return (str(found[0]), found[1]) if found else None


def option_called(number: str) -> tuple[Poll, PollOption] | None:
    """The open poll and its option whose voice number is ``number``, if any."""
    now = utcnow()
    option = db.session.scalar(
        select(PollOption)
        .join(Poll, Poll.id == PollOption.poll_id)
        .where(PollOption.voice_number == number, Poll.opens_at <= now, Poll.closes_at > now)
        .order_by(Poll.opens_at.desc())
        .limit(1)
    )
    if option is None:
        return None
    poll = db.session.get(Poll, option.poll_id)
    return (poll, option) if poll is not None else None
