"""The people behind a meeting's counts: who answered yes, who answered no, and who was reached
(an alert, reminder or notice of it sent or delivered) and has not answered.

A coordinator sees the people of their own counties only, a national dialogue's too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.meetings.models import Meeting, Rsvp
from gateway.meetings.notices import ANSWERABLE, meeting_prefix
from gateway.sms.models import REACHED, Message
from gateway.users.access import Principal

YES, NO, UNANSWERED = "yes", "no", "unanswered"
GROUPS = (YES, NO, UNANSWERED)


@dataclass(frozen=True)
class Person:
    contact: Contact
    answered_at: datetime | None  # None: reached, no answer
    channel: str | None  # how they answered: sms, ussd, voice


def _in_view(counties: tuple[str, ...] | None) -> list[ColumnElement[bool]]:
    """Contacts not deleted (of ``counties`` only, unless None)."""
    conditions: list[ColumnElement[bool]] = [Contact.anonymised_at.is_(None)]
    if counties is not None:
        conditions.append(Contact.county.in_(counties))
    return conditions


def reached_ids(meeting: Meeting) -> Select[Any]:
    """The contacts an alert, reminder or notice of ``meeting`` went to (any version)."""
    return select(Message.contact_id).where(
        Message.dedupe_key.like(meeting_prefix(meeting.id) + "%"),
        Message.kind.in_(ANSWERABLE),
        Message.status.in_(REACHED),
    )


def unanswered(meeting: Meeting, counties: tuple[str, ...] | None) -> Select[Contact]:
    """Reached and no answer yet (in ``counties`` only, unless None), oldest contact first."""
    answered = select(Rsvp.contact_id).where(Rsvp.meeting_id == meeting.id)
    query = select(Contact).where(Contact.id.in_(reached_ids(meeting)), Contact.id.not_in(answered))
    return query.where(*_in_view(counties)).order_by(Contact.id)


def people(meeting: Meeting, who: Principal, group: str, limit: int | None = None) -> list[Person]:
    """The people of one group (:data:`GROUPS`) that ``who`` may see."""
    if group == UNANSWERED:
        query = unanswered(meeting, who.visible_counties())
        if limit is not None:
            query = query.limit(limit)
        return [Person(c, None, None) for c in db.session.scalars(query)]
    answers = (
        select(Contact, Rsvp)
        .join(Rsvp, Rsvp.contact_id == Contact.id)
        .where(Rsvp.meeting_id == meeting.id, Rsvp.attending.is_(group == YES))
        .where(*_in_view(who.visible_counties()))
        .order_by(Rsvp.answered_at.desc(), Rsvp.id.desc())
    )
    if limit is not None:
        answers = answers.limit(limit)
    return [Person(c, r.answered_at, r.channel) for c, r in db.session.execute(answers)]
