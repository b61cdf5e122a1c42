"""A contact's RSVPs, in their export (they are counts and stay on deletion)."""

from __future__ import annotations

from gateway.contacts.export import rows_part
from gateway.meetings.models import Meeting, Rsvp

rsvps = rows_part(
    Rsvp,
    Meeting.title.label("meeting"),
    Meeting.starts_at.label("meeting_starts_at"),
    Rsvp.attending,
    Rsvp.channel,
    Rsvp.answered_at.label("at"),
    joins=[(Meeting, Meeting.id == Rsvp.meeting_id)],
)
