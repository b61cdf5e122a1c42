"""Attendance at a platform's meetings: by the meeting's code, or entered by a leader.

A platform meeting's code is the platform's code and a number (``MUI12``), made the first time
it is needed (the leader menu, the admin's attendance page). A member texting the code is
counted only during the meeting's window, from :data:`BEFORE` its start (people arrive early and
text on arrival) to :data:`AFTER` it (the gateway keeps no end time, and a baraza can run all
afternoon): a code texted days later is not proof of being there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gateway.contacts.models import Contact
from gateway.contacts.service import get_or_create_contact
from gateway.extensions import db, utcnow
from gateway.leaders.access import actor_name, audit
from gateway.meetings.models import Meeting
from gateway.phones import InvalidPhone, mask_phone, normalise_phone
from gateway.platforms.models import Attendance, MeetingCode, Platform

BEFORE = timedelta(hours=1)
AFTER = timedelta(hours=6)
RECENT = timedelta(days=7)  # the meetings a leader may take attendance for, back to this
CODE, LEADER, ADMIN = "code", "leader", "admin"


def window(meeting: Meeting) -> tuple[datetime, datetime]:
    return meeting.starts_at - BEFORE, meeting.starts_at + AFTER


def in_window(meeting: Meeting, at: datetime | None = None) -> bool:
    opens, closes = window(meeting)
    return opens <= (at or utcnow()) <= closes


def code_of(meeting: Meeting) -> str | None:
    """The meeting's code, made on first need; None for a meeting of no platform."""
    if meeting.platform_id is None:
        return None
    found = db.session.get(MeetingCode, meeting.id)
    if found is not None:
        return found.code
    platform = db.session.get(Platform, meeting.platform_id)
    if platform is None:
        return None
    taken = db.session.scalar(select(func.count()).where(MeetingCode.platform_id == platform.id))
    for number in range(int(taken or 0) + 1, int(taken or 0) + 50):
        code = f"{platform.code.upper()}{number}"
        try:
            with db.session.begin_nested():
                db.session.add(
                    MeetingCode(meeting_id=meeting.id, platform_id=platform.id, code=code)
                )
            return code
        except IntegrityError:
            again = db.session.get(MeetingCode, meeting.id)
            if again is not None:  # another request made it meanwhile
                return again.code
    raise RuntimeError("no free meeting code after 50 tries")


def meeting_by_code(text: str) -> Meeting | None:
    """The meeting whose code ``text`` is (any case, surrounding punctuation ignored)."""
    code = text.strip().strip(".,;:!").upper()
    if not code or len(code) > 24:
        return None
    found = db.session.scalar(select(MeetingCode).where(MeetingCode.code == code))
    return db.session.get(Meeting, found.meeting_id) if found else None


def recent_meetings(platform: Platform) -> list[Meeting]:
    """The platform's meetings a leader may take attendance for: from a week ago to today."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.platform_id == platform.id,
                Meeting.status == "scheduled",
                Meeting.starts_at >= now - RECENT,
                Meeting.starts_at <= now + timedelta(days=1),
            )
            .order_by(Meeting.starts_at.desc())
        )
    )


def record(meeting: Meeting, contact: Contact, via: str, recorded_by: str | None) -> bool:
    """Count ``contact`` at ``meeting``; False if they were counted already (kept as it was)."""
    exists = db.session.scalar(
        select(Attendance.id).where(
            Attendance.meeting_id == meeting.id, Attendance.contact_id == contact.id
        )
    )
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                Attendance(
                    meeting_id=meeting.id, contact_id=contact.id, via=via, recorded_by=recorded_by
                )
            )
    except IntegrityError:
        return False  # a second SMS from the same person, handled at the same moment
    return True


@dataclass
class Entered:
    """What a leader's list of numbers did: each number is answered."""

    recorded: list[str] = field(default_factory=list)  # masked
    already: list[str] = field(default_factory=list)  # masked
    unreadable: list[str] = field(default_factory=list)  # as typed

    @property
    def total(self) -> int:
        return len(self.recorded) + len(self.already) + len(self.unreadable)


def split_numbers(text: str) -> list[str]:
    """``0712345678, 0722 000 001;0733...`` as its numbers (commas, semicolons, new lines or
    ``*`` between them; spaces inside a number are kept)."""
    for separator in ";\n*":
        text = text.replace(separator, ",")
    parts = [part.strip() for part in text.split(",") if part.strip()]
    # "0712345678 0722000001": spaces between whole numbers, not inside one.
    spaced = [piece for part in parts for piece in part.split()]
    if len(spaced) > len(parts) and all(len(p) >= 9 for p in spaced):
        return spaced
    return parts


def enter(meeting: Meeting, text: str, leader: Contact, channel: str) -> Entered:
    """Count each number in ``text`` at ``meeting``: a leader's entry, by SMS or USSD, recorded
    and audited in their name."""
    recorded_by = actor_name(leader)
    done = Entered()
    for raw in split_numbers(text):
        try:
            phone = normalise_phone(raw)
        except InvalidPhone:
            done.unreadable.append(raw[:16])
            continue
        contact = get_or_create_contact(phone)
        db.session.flush()
        target = done.recorded if record(meeting, contact, LEADER, recorded_by) else done.already
        target.append(mask_phone(phone))
    audit(
        leader,
        "leader.attendance",
        "meeting",
        meeting.id,
        recorded=done.recorded,
        already=done.already,
        unreadable=len(done.unreadable),
        channel=channel,
    )
    return done


def of_meeting(meeting: Meeting) -> list[tuple[Attendance, Contact]]:
    return [
        (attendance, contact)
        for attendance, contact in db.session.execute(
            select(Attendance, Contact)
            .join(Contact, Contact.id == Attendance.contact_id)
            .where(Attendance.meeting_id == meeting.id)
            .order_by(Attendance.recorded_at, Attendance.id)
        )
    ]


def of_contact(contact_id: int) -> list[tuple[Attendance, Meeting]]:
    return [
        (attendance, meeting)
        for attendance, meeting in db.session.execute(
            select(Attendance, Meeting)
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Attendance.contact_id == contact_id)
            .order_by(Meeting.starts_at.desc())
        )
    ]


def per_member(platform: Platform) -> list[tuple[Contact, int]]:
    """Each contact counted at any of the platform's meetings, with how many, most first."""
    count = func.count(Attendance.id)
    rows = db.session.execute(
        select(Contact, count)
        .join(Attendance, Attendance.contact_id == Contact.id)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Meeting.platform_id == platform.id)
        .group_by(Contact.id)
        .order_by(count.desc(), Contact.id)
    )
    return [(contact, int(n)) for contact, n in rows]
