"""What creating or moving a meeting will send, before it is sent: the alert (or the notice of
the move, to those who heard of it) and the reminders, per language, with their cost
(:mod:`gateway.sms.estimate`, as broadcasts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true

from gateway.contacts.models import Contact
from gateway.extensions import utcnow
from gateway.meetings.models import Meeting
from gateway.meetings.notices import (
    ANSWERABLE,
    language_values,
    meeting_prefix,
    reminder_plan,
)
from gateway.platforms.service import in_platform
from gateway.schedule import next_send_time
from gateway.settings import Settings, current_settings
from gateway.sms.estimate import Planned, Reach, SendEstimate, estimate_send, reach_where
from gateway.sms.models import REACHED, Message
from gateway.sms.texts import say

ALERT, MOVED, REMINDER = "meeting_alert", "meeting_rescheduled", "meeting_reminder"
KEYS = {ALERT: "sms.meeting.alert", MOVED: "sms.meeting.rescheduled"}


def _in_audience(meeting: Meeting) -> ColumnElement[bool]:
    """As :func:`~gateway.meetings.notices.audience` (less the consent reach_where checks)."""
    where = true() if meeting.county is None else Contact.county == meeting.county
    if meeting.platform_id is not None:
        where = where & in_platform(meeting.platform_id)
    return where


def _text(meeting: Meeting, language: str, key: str) -> str:
    return say(key, language, **language_values(meeting, language, key))


def _reminders(meeting: Meeting, settings: Settings) -> int:
    """How many reminders each person gets, as the announcement will plan them now."""
    now = utcnow()
    announced_at = next_send_time(now, settings)
    if announced_at >= meeting.starts_at:
        announced_at = now
    return len(reminder_plan(meeting, settings, announced_at))


def _plan(meeting: Meeting, found: Reach, heard: Reach | None) -> list[Planned]:
    settings = current_settings()
    reminders = _reminders(meeting, settings)
    planned = []
    for language, count in sorted(found.recipients.items()):
        told = min(heard.recipients.get(language, 0), count) if heard else 0
        planned.append(
            Planned(ALERT, language, _text(meeting, language, KEYS[ALERT]), count - told)
        )
        if told:
            planned.append(Planned(MOVED, language, _text(meeting, language, KEYS[MOVED]), told))
        reminder = _text(meeting, language, "sms.meeting.reminder")
        planned.append(Planned(REMINDER, language, reminder, count, reminders))
    return planned


def creation_estimate(fields: dict[str, Any]) -> SendEstimate:
    """What creating a meeting with ``fields`` (as :class:`~gateway.meetings.api.MeetingIn`
    loads them) sends: the alert and the reminders to its audience."""
    draft = Meeting(**fields)  # never added: nothing is stored
    settings = current_settings()
    found = reach_where(_in_audience(draft), settings.default_language)
    return estimate_send(_plan(draft, found, None), found, settings)


def move_estimate(
    meeting: Meeting, *, starts_at: datetime | None = None, place: str | None = None
) -> SendEstimate:
    """What moving ``meeting`` sends: the notice of the move to those who heard of it, the
    alert to the others, and the new reminders to everyone."""
    moved = Meeting(
        title=meeting.title,
        county=meeting.county,
        platform_id=meeting.platform_id,
        place=place or meeting.place,
        starts_at=starts_at or meeting.starts_at,
    )
    settings = current_settings()
    found = reach_where(_in_audience(moved), settings.default_language)
    told = select(Message.contact_id).where(
        Message.dedupe_key.like(meeting_prefix(meeting.id) + "%"),
        Message.kind.in_(ANSWERABLE),
        Message.status.in_(REACHED),
    )
    heard = reach_where(_in_audience(moved) & Contact.id.in_(told), settings.default_language)
    return estimate_send(_plan(moved, found, heard), found, settings)
