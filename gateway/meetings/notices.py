"""What a meeting's audience hears and answers: the alert, reminders, a notice of a move or a
cancellation, and the thanks for an RSVP by SMS.

The audience is every contact with consent in the meeting's county (everyone, for a national
dialogue). Creating or moving a meeting enqueues its announcement for that version (see
:mod:`gateway.meetings.announce`), which queues each person's alert (or, after a move, the
notice of it) and their reminders as messages with a time (``not_before``): RQ's scheduler
sends each when it is due, and the recovery sweep finds any whose job went missing. Each
message's dedupe key names the meeting, its version and the occasion
(``meeting:3:v2:remind-24h:contact:5``), so every job is safe to run twice. Moving or
cancelling withdraws what is still queued for the meeting (``unsent`` with the error
``Rescheduled`` or ``Cancelled``), in the transaction that changes the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.localized import pick, when
from gateway.meetings.models import Meeting, Rsvp
from gateway.platforms.service import county_audience
from gateway.queues import DEFAULT, JOB_RETRY, enqueue_after_commit
from gateway.schedule import next_send_time
from gateway.settings import Settings
from gateway.sms import asked
from gateway.sms.models import STATUS_RANK, Message
from gateway.sms.texts import language_of, render

ANSWERABLE = asked.MEETING_NOTICES  # the messages a YES or NO by SMS answers
# Why a queued message was withdrawn (its error), and how it is counted then: not as failed.
RESCHEDULED, CANCELLED = "Rescheduled", "Cancelled"
WITHDRAWN_AS = {RESCHEDULED: "replaced", CANCELLED: "cancelled"}


class MeetingClosed(Exception):
    """The meeting is cancelled: it can no longer be changed."""


@dataclass(frozen=True)
class Reminder:
    before: str  # how long before the start, as configured: "24h", "2h", "90m"
    at: datetime  # when it goes (out of the quiet hours)


def meeting_prefix(meeting_id: int, version: int | None = None) -> str:
    """The start of every dedupe key of ``meeting_id`` (of one version, if given)."""
    return f"meeting:{meeting_id}:" + (f"v{version}:" if version is not None else "")


def notice_key(meeting_id: int, version: int, occasion: str, contact_id: int) -> str:
    return f"{meeting_prefix(meeting_id, version)}{occasion}:contact:{contact_id}"


def before_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def reminder_plan(meeting: Meeting, settings: Settings, announced_at: datetime) -> list[Reminder]:
    """When each reminder goes: the configured time before the start, moved to the end of the
    quiet hours; one that would go no later than the announcement, or not before the meeting
    starts, is left out."""
    plan: list[Reminder] = []
    for offset in settings.meeting_reminders:
        at = next_send_time(meeting.starts_at - offset, settings)
        if announced_at < at < meeting.starts_at and all(r.at != at for r in plan):
            plan.append(Reminder(before_label(offset), at))
    return plan


def audience(meeting: Meeting) -> Select[Contact]:
    """Contacts with consent in the meeting's county, or everywhere for a national dialogue."""
    return county_audience(meeting.county, meeting.platform_id)


def meeting_text(meeting: Meeting, contact: Contact, key: str) -> str:
    """The text ``key`` about ``meeting`` in ``contact``'s language."""
    return render(contact, key, **meeting_values(meeting, contact, key))


def meeting_values(meeting: Meeting, contact: Contact, key: str) -> dict[str, Any]:
    return language_values(meeting, language_of(contact), key)


def language_values(meeting: Meeting, language: str, key: str) -> dict[str, Any]:
    """The values of the text ``key`` about ``meeting`` for a ``language`` speaker."""
    return {
        "title": pick(meeting.title, catalogs().chain(language)),
        "when": when(meeting.starts_at, key, language),
        "place": meeting.place,
    }


# Changing a meeting (the API calls these; the caller commits) ----------------------------------


def create_meeting(**fields: Any) -> Meeting:
    """Add a meeting and announce it to its audience once the transaction commits."""
    meeting = Meeting(**fields)
    db.session.add(meeting)
    db.session.flush()
    enqueue_announcement(meeting)
    return meeting


def reschedule(
    meeting: Meeting, *, starts_at: datetime | None = None, place: str | None = None
) -> bool:
    """Move ``meeting`` to a new time or place; False if that changes nothing.

    A new version: what is still queued for the old one is withdrawn, and the audience hears of
    the change (those who never heard of the meeting get its alert) and gets new reminders.

    Raises:
        MeetingClosed: the meeting is cancelled.
    """
    if meeting.status != "scheduled":
        raise MeetingClosed(f"meeting {meeting.id} is {meeting.status}")
    changed = False
    if starts_at is not None and starts_at != meeting.starts_at:
        meeting.starts_at, changed = starts_at, True
    if place is not None and place != meeting.place:
        meeting.place, changed = place, True
    if not changed:
        return False
    meeting.version += 1
    meeting.updated_at = utcnow()
    db.session.flush()  # the meeting's row first: an announcement running now waits for us
    _withdraw_pending(meeting.id, RESCHEDULED)
    enqueue_announcement(meeting)
    return True


def cancel(meeting: Meeting) -> bool:
    """Cancel ``meeting``: nothing more is sent for it but a notice to those who heard of it.
    False if it was cancelled already."""
    if meeting.status == "cancelled":
        return False
    meeting.status, meeting.updated_at = "cancelled", utcnow()
    db.session.flush()
    _withdraw_pending(meeting.id, CANCELLED)
    enqueue_cancellation(meeting)
    return True


def announcement_job_id(meeting_id: int, version: int) -> str:
    return f"meeting-{meeting_id}-v{version}-announce"


def cancellation_job_id(meeting_id: int) -> str:
    return f"meeting-{meeting_id}-cancel"


def enqueue_announcement(meeting: Meeting) -> None:
    from gateway.meetings.announce import announce_meeting  # which imports this module

    enqueue_after_commit(
        db.session,
        DEFAULT,
        announce_meeting,
        meeting.id,
        meeting.version,
        job_id=announcement_job_id(meeting.id, meeting.version),
        retry=JOB_RETRY,
    )


def enqueue_cancellation(meeting: Meeting) -> None:
    from gateway.meetings.announce import send_cancellation_notices  # which imports this module

    enqueue_after_commit(
        db.session,
        DEFAULT,
        send_cancellation_notices,
        meeting.id,
        job_id=cancellation_job_id(meeting.id),
        retry=JOB_RETRY,
    )


def _withdraw_pending(meeting_id: int, reason: str) -> None:
    """Mark what is still queued for the meeting ``unsent``: the send job then skips it."""
    db.session.execute(
        update(Message)
        .where(Message.dedupe_key.like(meeting_prefix(meeting_id) + "%"))
        .where(Message.status == "queued")
        .values(status="unsent", error=reason, failed_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def rsvp_counts(meeting_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Rsvp.attending, func.count())
        .where(Rsvp.meeting_id == meeting_id)
        .group_by(Rsvp.attending)
    )
    counts = {"yes": 0, "no": 0}
    for attending, count in rows:
        counts["yes" if attending else "no"] = count
    return counts


def message_counts(meeting_id: int) -> dict[str, dict[str, int]]:
    """Messages about the meeting by kind, then by status, in the order a message goes through
    them; those withdrawn by a move count as ``replaced`` (by the new time's), and those
    withdrawn by the cancellation as ``cancelled``, not as ``unsent``: none of them failed."""
    counts: dict[str, dict[str, int]] = {}
    for kind, status, error, count in db.session.execute(
        select(Message.kind, Message.status, Message.error, func.count())
        .where(Message.dedupe_key.like(meeting_prefix(meeting_id) + "%"))
        .group_by(Message.kind, Message.status, Message.error)
    ):
        state = WITHDRAWN_AS.get(error or "", status) if status == "unsent" else status
        by_state = counts.setdefault(kind or "", {})  # outgoing: always a kind
        by_state[state] = by_state.get(state, 0) + count
    last = max(STATUS_RANK.values()) + 1  # replaced and cancelled: after every status
    return {
        kind: dict(sorted(states.items(), key=lambda s: (STATUS_RANK.get(s[0], last), s[0])))
        for kind, states in counts.items()
    }
