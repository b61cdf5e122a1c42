"""When a message may go: quiet hours in East Africa Time (or ``GATEWAY_TIMEZONE``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.settings import Settings


def in_quiet_hours(moment: datetime, settings: Settings) -> bool:
    """Whether ``moment`` (timezone-aware) falls in the quiet hours, e.g. 19:00-07:00 EAT."""
    start, end = settings.quiet_start, settings.quiet_end
    if start == end:
        return False
    local = moment.astimezone(settings.timezone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_send_time(moment: datetime, settings: Settings, urgent: bool = False) -> datetime:
    """``moment`` itself, or for a non-urgent message in the quiet hours, when they end."""
    if urgent or not in_quiet_hours(moment, settings):
        return moment
    local = moment.astimezone(settings.timezone)
    end = datetime.combine(local.date(), settings.quiet_end, tzinfo=settings.timezone)
    if end <= local:
        end = datetime.combine(
            local.date() + timedelta(days=1), settings.quiet_end, tzinfo=settings.timezone
        )
    return end.astimezone(moment.tzinfo)
