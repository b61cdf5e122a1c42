"""The jobs that tell a meeting's audience: its announcement (the alert, or after a move the
notice of it, and the reminders) and its cancellation notices; and a sweep that enqueues them
again if their job went missing.

They are enqueued by :mod:`gateway.meetings.notices` when a meeting is created, moved or
cancelled. Each queues one message per person and occasion (the dedupe key names them), in
batches, so it is safe to run twice; an announcement stops as soon as its version is no longer
the meeting's.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import Select, String, cast, func, literal, select

from gateway.contacts.models import Contact
from gateway.contacts.service import opted_out
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.meetings.notices import (
    ANSWERABLE,
    announcement_job_id,
    audience,
    cancellation_job_id,
    enqueue_announcement,
    enqueue_cancellation,
    meeting_prefix,
    meeting_text,
    notice_key,
    reminder_plan,
)
from gateway.queues import job, periodic
from gateway.recovery import _has_live_job, sweep_lock_s
from gateway.schedule import next_send_time
from gateway.settings import current_settings
from gateway.sms.models import REACHED, Message
from gateway.sms.scheduled import queue_once

log = logging.getLogger(__name__)

BATCH = 500
LOCK = "gateway:meetings:sweep:lock"
GIVE_UP_AFTER = timedelta(hours=24)


def _lock_meeting(meeting_id: int) -> Meeting | None:
    """The meeting, locked until commit: a reschedule or cancellation waits for this batch, so
    it withdraws every message the batch queued."""
    found: Meeting | None = db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


def _heard_of(meeting_id: int, exclude_version: int | None = None) -> set[int]:
    """Contacts who got (or may have got) an alert, reminder or notice of the meeting."""
    query = select(Message.contact_id).where(
        Message.dedupe_key.like(meeting_prefix(meeting_id) + "%"),
        Message.kind.in_(ANSWERABLE),
        Message.status.in_(REACHED),
    )
    if exclude_version is not None:
        query = query.where(
            ~Message.dedupe_key.like(meeting_prefix(meeting_id, exclude_version) + "%")
        )
    return {contact_id for contact_id in db.session.scalars(query.distinct()) if contact_id}


@job
def announce_meeting(meeting_id: int, version: int) -> str:
    """Queue the alert (or the notice of a move) and the reminders of ``version`` of a meeting
    to its audience, in batches. Does nothing for a version that is no longer the meeting's."""
    settings = current_settings()
    now = utcnow()
    announced_at = next_send_time(now, settings)
    heard = _heard_of(meeting_id, exclude_version=version) if version > 1 else set()
    counts: Counter[str] = Counter()
    last_id = 0
    while True:
        meeting = _lock_meeting(meeting_id)
        if meeting is None or meeting.status != "scheduled" or meeting.version != version:
            db.session.commit()
            return f"version {version} is not current; stopped after {dict(counts)}"
        if meeting.starts_at <= now:
            db.session.commit()
            return f"the meeting has started; stopped after {dict(counts)}"
        if announced_at >= meeting.starts_at:  # an alert after the start would be useless
            announced_at = now
        plan = reminder_plan(meeting, settings, announced_at)
        contacts = db.session.scalars(audience(meeting).where(Contact.id > last_id).limit(BATCH))
        batch = list(contacts)
        if not batch:
            db.session.commit()
            break
        for contact in batch:
            last_id = contact.id
            key, kind = ("sms.meeting.alert", "meeting_alert")
            if contact.id in heard:
                key, kind = ("sms.meeting.rescheduled", "meeting_rescheduled")
            occasion = notice_key(meeting_id, version, "announce", contact.id)
            if queue_once(
                contact,
                meeting_text(meeting, contact, key),
                kind=kind,
                dedupe_key=occasion,
                not_before=announced_at,
            ):
                counts[kind] += 1
            reminder_text = meeting_text(meeting, contact, "sms.meeting.reminder")
            for reminder in plan:
                queue_once(
                    contact,
                    reminder_text,
                    kind="meeting_reminder",
                    dedupe_key=notice_key(
                        meeting_id, version, f"remind-{reminder.before}", contact.id
                    ),
                    not_before=reminder.at,
                )
        db.session.commit()
    log.info("meeting %s v%s announced: %s", meeting_id, version, dict(counts))
    return f"announced: {dict(counts)}"


@job
def send_cancellation_notices(meeting_id: int) -> str:
    """Tell everyone who heard of a cancelled meeting that it will not take place."""
    settings = current_settings()
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != "cancelled":
        return "not cancelled"
    not_before = next_send_time(utcnow(), settings)
    heard = sorted(_heard_of(meeting_id))
    sent = 0
    for start in range(0, len(heard), BATCH):
        for contact in db.session.scalars(
            select(Contact).where(Contact.id.in_(heard[start : start + BATCH]), ~opted_out())
        ):
            if queue_once(
                contact,
                meeting_text(meeting, contact, "sms.meeting.cancelled"),
                kind="meeting_cancelled",
                dedupe_key=f"{meeting_prefix(meeting_id)}cancelled:contact:{contact.id}",
                not_before=not_before,
            ):
                sent += 1
        db.session.commit()
    return f"{sent} cancellation notices"


@job
@periodic(LOCK, sweep_lock_s)
def recover_meeting_jobs() -> dict[str, int]:
    """Enqueue again the announcement or cancellation job of a meeting changed in the last day
    whose job went missing (Redis away when the change was committed) and which has sent
    nothing. One run at a time across every worker (a Redis lock)."""
    settings = current_settings()
    now = utcnow()
    # A job younger than the grace may still be on its way to Redis.
    changed_before = now - timedelta(seconds=settings.recovery_grace_s)
    counts: Counter[str] = Counter()
    for meeting in db.session.scalars(
        select(Meeting).where(
            Meeting.updated_at < changed_before, Meeting.updated_at > now - GIVE_UP_AFTER
        )
    ):
        if meeting.status == "scheduled" and meeting.starts_at > now:
            if _has_live_job(announcement_job_id(meeting.id, meeting.version)):
                continue
            # An announcement that never ran, or one killed half-way (it queues each person
            # once, so running it again only reaches those it had not reached).
            if db.session.scalar(_untold(meeting).limit(1)):
                enqueue_announcement(meeting)
                counts["announcements"] += 1
        elif meeting.status == "cancelled":
            if _has_live_job(cancellation_job_id(meeting.id)):
                continue
            if _count(f"{meeting_prefix(meeting.id)}cancelled:") == 0 and _heard_of(meeting.id):
                enqueue_cancellation(meeting)
                counts["cancellations"] += 1
    db.session.commit()
    if counts:
        log.warning("meeting jobs recovered: %s", dict(counts))
    return dict(counts)


def _untold(meeting: Meeting) -> Select[tuple[Contact]]:
    """The people of the meeting's audience without this version's alert (or notice)."""
    key = literal(meeting_prefix(meeting.id, meeting.version) + "announce:contact:") + cast(
        Contact.id, String
    )
    told = select(Message.id).where(Message.dedupe_key == key)
    return audience(meeting).where(~told.exists())


def _count(key_prefix: str) -> int:
    return (
        db.session.scalar(select(func.count()).where(Message.dedupe_key.like(key_prefix + "%")))
        or 0
    )
