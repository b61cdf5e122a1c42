"""A contact's part in platform leaders' work, in their export: the meetings they were counted
at (counts: they stay on deletion, as RSVPs do) and the announcements they wrote as a leader
(their words: on deletion the announcements no longer name them; the text stays, as members
were sent it)."""

from __future__ import annotations

from sqlalchemy import select, update

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.platforms.models import Announcement, Attendance


def attendance(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(Attendance, Meeting.title, Meeting.starts_at)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.contact_id == contact.id)
        .order_by(Attendance.id)
    )
    return [
        {
            "meeting": title,
            "meeting_starts_at": iso_time(starts_at),
            "via": row.via,
            "recorded_by": row.recorded_by,
            "at": iso_time(row.recorded_at),
        }
        for row, title, starts_at in rows
    ]


def announcements(contact: Contact) -> list[Row]:
    rows = db.session.scalars(
        select(Announcement).where(Announcement.leader_id == contact.id).order_by(Announcement.id)
    )
    return [
        {
            "text": row.text,
            "language": row.language,
            "channel": row.channel,
            "status": row.status,
            "at": iso_time(row.created_at),
        }
        for row in rows
    ]


def erase_announcements(contact: Contact) -> None:
    db.session.execute(
        update(Announcement).where(Announcement.leader_id == contact.id).values(leader_id=None)
    )
