"""A person's part of the inbox in their data export and their erasure (``FUTA``): who followed
their conversation and when it was handled, and the staff's internal notes about them."""

from __future__ import annotations

from sqlalchemy import delete, select

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.inbox.models import Conversation, InboxNote


def inbox(contact: Contact) -> list[Row]:
    rows: list[Row] = [
        {
            "what": "conversation",
            "assigned_to_id": c.assigned_to_id,
            "handled_at": iso_time(c.handled_at),
        }
        for c in db.session.scalars(
            select(Conversation).where(Conversation.contact_id == contact.id)
        )
    ]
    rows += [
        {"what": "note", "created_at": iso_time(n.created_at), "text": n.text}
        for n in db.session.scalars(
            select(InboxNote).where(InboxNote.contact_id == contact.id).order_by(InboxNote.id)
        )
    ]
    return rows


def erase_inbox(contact: Contact) -> None:
    """Forget the notes about them and who followed their conversation."""
    db.session.execute(delete(InboxNote).where(InboxNote.contact_id == contact.id))
    db.session.execute(delete(Conversation).where(Conversation.contact_id == contact.id))
