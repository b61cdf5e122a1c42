"""A contact's part in platform leaders' work, in their export: the meetings they were counted
at (counts: they stay on deletion, as RSVPs do) and the announcements they wrote as a leader
(their words: on deletion the announcements no longer name them; the text stays, as members
were sent it)."""

from __future__ import annotations

from sqlalchemy import update

from gateway.contacts.export import rows_part
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.platforms.models import Announcement, Attendance

attendance = rows_part(
    Attendance,
    Meeting.title.label("meeting"),
    Meeting.starts_at.label("meeting_starts_at"),
    Attendance.via,
    Attendance.recorded_by,
    Attendance.recorded_at.label("at"),
    joins=[(Meeting, Meeting.id == Attendance.meeting_id)],
)

announcements = rows_part(
    Announcement,
    Announcement.text,
    Announcement.language,
    Announcement.channel,
    Announcement.status,
    Announcement.created_at.label("at"),
    owner=Announcement.leader_id,
)


def erase_announcements(contact: Contact) -> None:
    db.session.execute(
        update(Announcement).where(Announcement.leader_id == contact.id).values(leader_id=None)
    )
