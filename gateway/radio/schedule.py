"""When a show is on air, and which episode a moment belongs to.

A show's ``schedule`` is a list of weekly slots in ``GATEWAY_TIMEZONE``:
``[{"weekday": 3, "start": "19:00", "end": "20:00"}]`` (0 = Monday). A slot whose end is not
after its start runs past midnight (``"23:00"``-``"01:00"``). The show takes messages from
``radio_margin`` before a slot starts until ``radio_margin`` after it ends, and a message
belongs to the episode named by the date (in ``GATEWAY_TIMEZONE``) on which its slot starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import select

from gateway.extensions import db
from gateway.group_cache import cached
from gateway.radio.models import RadioShow


@dataclass(frozen=True)
class Slot:
    """One weekly slot of a show."""

    weekday: int  # 0 = Monday
    start: time
    end: time

    @classmethod
    def parse(cls, raw: Mapping[str, object]) -> Slot:
        """``{"weekday": 3, "start": "19:00", "end": "20:00"}`` → a Slot.

        Raises:
            ValueError: a weekday outside 0..6, a time that is not ``HH:MM``, or start == end.
        """
        weekday = raw.get("weekday")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ValueError("weekday must be a whole number from 0 (Monday) to 6 (Sunday)")
        start, end = _clock(raw.get("start"), "start"), _clock(raw.get("end"), "end")
        if start == end:
            raise ValueError("start and end must differ")
        return cls(weekday, start, end)

    def window(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        """The slot's start and end if it starts on ``day`` (``day`` must be its weekday)."""
        start = datetime.combine(day, self.start, tzinfo=tz)
        end = datetime.combine(day, self.end, tzinfo=tz)
        if end <= start:
            end += timedelta(days=1)
        return start, end


def _clock(raw: object, name: str) -> time:
    if not isinstance(raw, str) or len(raw) != 5 or raw[2] != ":":
        raise ValueError(f"{name} must be a time such as 19:00")
    try:
        return time.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a time such as 19:00") from exc


def slots(schedule: Iterable[Mapping[str, object]]) -> list[Slot]:
    """The parsed slots of a stored schedule (stored schedules were validated on the way in)."""
    return [Slot.parse(raw) for raw in schedule]


def episode_at(show: RadioShow, moment: datetime, tz: tzinfo, margin: timedelta) -> str | None:
    """The episode (``2026-12-03``) of ``show`` that is on air at ``moment``, margins included;
    None when the show is off air."""
    local = moment.astimezone(tz)
    for slot in slots(show.schedule):
        # A slot that started yesterday may still run; one starting tomorrow may be in its margin.
        for days in (-1, 0, 1):
            day = local.date() + timedelta(days=days)
            if day.weekday() != slot.weekday:
                continue
            start, end = slot.window(day, tz)
            if start - margin <= local < end + margin:
                return day.isoformat()
    return None


def _all_shows() -> list[RadioShow]:
    return list(db.session.scalars(select(RadioShow).order_by(RadioShow.id)))


def shows_on_air(moment: datetime, tz: tzinfo, margin: timedelta) -> list[tuple[RadioShow, str]]:
    """Every show on air at ``moment`` with its episode, oldest show first (the shows are read
    once per group of inbound SMS: see :mod:`gateway.group_cache`)."""
    on_air = []
    for show in cached(("radio_shows",), _all_shows):
        episode = episode_at(show, moment, tz, margin)
        if episode is not None:
            on_air.append((show, episode))
    return on_air
