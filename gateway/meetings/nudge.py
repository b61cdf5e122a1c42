""" "Send a reminder to those who have not answered": who it goes to, what it says in each
language with its encoding, segments and cost against the month's budget (shown before it is
sent), and the job that queues it once confirmed.

Each person gets it once per version of the meeting (its dedupe key), so a second click or a
job run twice sends nothing more; a move withdraws it with the meeting's other notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select

from gateway.contacts.models import Contact
from gateway.contacts.service import messageable
from gateway.encoding import analyse
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.meetings.notices import meeting_text, notice_key
from gateway.meetings.people import unanswered
from gateway.queues import DEFAULT, JOB_RETRY, enqueue_after_commit, job
from gateway.schedule import next_send_time
from gateway.settings import current_settings
from gateway.sms.models import Message
from gateway.sms.scheduled import queue_once
from gateway.sms.texts import language_of
from gateway.spend import spent_this_month
from gateway.users.access import Principal

KEY, KIND, OCCASION = "sms.meeting.reminder", "meeting_reminder", "nudge"
CENTS = Decimal("0.0001")


@dataclass(frozen=True)
class LanguageText:
    language: str
    text: str
    encoding: str
    characters: int
    segments: int
    recipients: int
    cost_kes: Decimal


@dataclass(frozen=True)
class Preview:
    recipients: int
    already_reminded: int  # reached no answer, but this version's reminder went already
    languages: list[LanguageText]
    cost_kes: Decimal
    budget_left_kes: Decimal
    over_budget: bool
    open: bool  # the meeting is scheduled and has not started


def _reminded(meeting: Meeting) -> Select[Any]:
    prefix = notice_key(meeting.id, meeting.version, OCCASION, 0)[: -len("0")]
    return select(Message.dedupe_key).where(Message.dedupe_key.like(prefix + "%"))


def recipients(meeting: Meeting, counties: tuple[str, ...] | None) -> Select[Contact]:
    """Reached, no answer, may be written to, and not yet reminded this way for this version."""
    reminded = _reminded(meeting).where(Message.contact_id == Contact.id)
    return unanswered(meeting, counties).where(messageable(), ~reminded.exists())


def is_open(meeting: Meeting) -> bool:
    return meeting.status == "scheduled" and meeting.starts_at > utcnow()


def preview(meeting: Meeting, who: Principal) -> Preview:
    settings = current_settings()
    price = Decimal(str(settings.price_per_segment_kes))
    counties = who.visible_counties()
    contacts = list(db.session.scalars(recipients(meeting, counties)))
    by_language: dict[str, list[Contact]] = {}
    for contact in contacts:
        by_language.setdefault(language_of(contact), []).append(contact)
    languages = []
    for language, group in sorted(by_language.items()):
        text = meeting_text(meeting, group[0], KEY)
        info = analyse(text)
        languages.append(
            LanguageText(
                language,
                text,
                info.encoding,
                len(text),
                info.segments,
                len(group),
                (price * info.segments * len(group)).quantize(CENTS),
            )
        )
    all_unanswered = db.session.scalar(
        select(func.count()).select_from(
            unanswered(meeting, counties).where(messageable()).subquery()
        )
    )
    cost = sum((entry.cost_kes for entry in languages), Decimal(0)).quantize(CENTS)
    left = (Decimal(str(settings.monthly_budget_kes)) - spent_this_month(settings)).quantize(CENTS)
    return Preview(
        recipients=len(contacts),
        already_reminded=(all_unanswered or 0) - len(contacts),
        languages=languages,
        cost_kes=cost,
        budget_left_kes=left,
        over_budget=cost > left,
        open=is_open(meeting),
    )


def enqueue_nudge(meeting: Meeting, who: Principal) -> None:
    """Queue the reminder to those who have not answered once the caller commits."""
    counties = who.visible_counties()
    enqueue_after_commit(
        db.session,
        DEFAULT,
        remind_unanswered,
        meeting.id,
        meeting.version,
        list(counties) if counties is not None else None,
        retry=JOB_RETRY,
    )


@job
def remind_unanswered(meeting_id: int, version: int, counties: list[str] | None) -> str:
    """Queue the reminder to each person reached who has not answered (of ``counties`` only,
    for a coordinator); safe to run twice."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.version != version or not is_open(meeting):
        return "the meeting is no longer open for this version"
    not_before = next_send_time(utcnow(), current_settings())
    sent = 0
    chosen = tuple(counties) if counties is not None else None
    for contact in list(db.session.scalars(recipients(meeting, chosen))):
        if queue_once(
            contact,
            meeting_text(meeting, contact, KEY),
            kind=KIND,
            dedupe_key=notice_key(meeting.id, version, OCCASION, contact.id),
            not_before=not_before,
        ):
            sent += 1
    db.session.commit()
    return f"{sent} reminders to those who have not answered"
