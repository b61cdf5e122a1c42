"""Whether a show is on air now, and its episode's clock: the slot it is in (or the next one),
for the studio board's "On air" indicator.

On air means inside a slot, margins included (as :func:`gateway.radio.schedule.episode_at`
takes messages); the clock counts the slot itself, without margins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from gateway.radio.models import RadioShow
from gateway.radio.schedule import slots


@dataclass(frozen=True)
class Clock:
    on_air: bool
    episode: str | None  # the date the slot starts on (EAT), when on air
    starts_at: datetime | None  # the slot on air, or the next one; None: no schedule
    ends_at: datetime | None

    def minutes_left(self, now: datetime) -> int | None:
        if not self.on_air or self.ends_at is None:
            return None
        return max(0, int((self.ends_at - now).total_seconds()) // 60)

    def minutes_in(self, now: datetime) -> int | None:
        if not self.on_air or self.starts_at is None:
            return None
        return max(0, int((now - self.starts_at).total_seconds()) // 60)


def clock(show: RadioShow, now: datetime, tz: tzinfo, margin: timedelta) -> Clock:
    """The slot ``show`` is in at ``now`` (margins included), else its next slot."""
    local = now.astimezone(tz)
    upcoming: tuple[datetime, datetime] | None = None
    for slot in slots(show.schedule):
        for days in range(-1, 8):
            day = local.date() + timedelta(days=days)
            if day.weekday() != slot.weekday:
                continue
            start, end = slot.window(day, tz)
            if start - margin <= local < end + margin:
                return Clock(True, day.isoformat(), start, end)
            if start > local and (upcoming is None or start < upcoming[0]):
                upcoming = (start, end)
    if upcoming is None:
        return Clock(False, None, None, None)
    return Clock(False, None, *upcoming)
