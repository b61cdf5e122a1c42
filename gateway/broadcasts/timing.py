"""When a broadcast starts: at its time, or for a non-urgent one in the quiet hours, at their
end. The composer and the broadcast's page say so with the same figures the start job uses."""

from __future__ import annotations

from datetime import datetime

from gateway.broadcasts.models import Broadcast
from gateway.extensions import utcnow
from gateway.schedule import next_send_time
from gateway.settings import Settings


def planned_start(send_at: datetime | None, urgent: bool, settings: Settings) -> datetime:
    """When sending starts: ``send_at`` (None or past: now), after the quiet hours unless
    ``urgent``."""
    now = utcnow()
    return next_send_time(max(send_at or now, now), settings, urgent)


def held_until(send_at: datetime | None, settings: Settings) -> datetime | None:
    """When the quiet hours would let a non-urgent broadcast for ``send_at`` go, if they hold
    it back; None if they do not."""
    now = utcnow()
    asked = max(send_at or now, now)
    when = next_send_time(asked, settings)
    return when if when > asked else None


def waits_until(broadcast: Broadcast, settings: Settings) -> datetime | None:
    """When a scheduled broadcast that the quiet hours hold back will start; None when they
    do not hold it (urgent, started, or its time is outside them)."""
    if broadcast.status != "scheduled" or broadcast.urgent:
        return None
    return held_until(broadcast.send_at, settings)


def quiet_hours(settings: Settings) -> dict[str, str]:
    """The quiet hours as people read them: {"start": "19:00", "end": "07:00"}."""
    return {
        "start": settings.quiet_start.strftime("%H:%M"),
        "end": settings.quiet_end.strftime("%H:%M"),
    }
