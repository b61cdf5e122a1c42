"""A contact's RSVPs, in their export (they are counts and stay on deletion)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.meetings.models import Meeting, Rsvp


def rsvps(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(Rsvp, Meeting.title, Meeting.starts_at)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .where(Rsvp.contact_id == contact.id)
        .order_by(Rsvp.id)
    )
    return [
        {
            "meeting": title,
            "meeting_starts_at": iso_time(starts_at),
            "attending": rsvp.attending,
            "channel": rsvp.channel,
            "at": iso_time(rsvp.answered_at),
        }
        for rsvp, title, starts_at in rows
    ]
