"""A contact's platform memberships, in their export; erased with them (a leader's PIN goes
with the membership)."""

from __future__ import annotations

from sqlalchemy import delete, select

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.platforms.models import Membership, Platform


def memberships(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(Membership, Platform)
        .join(Platform, Platform.id == Membership.platform_id)
        .where(Membership.contact_id == contact.id)
        .order_by(Membership.id)
    )
    return [
        {
            "platform": p.name,
            "code": p.code,
            "role": m.role,
            "joined_via": m.joined_via,
            "joined_at": iso_time(m.joined_at),
            "pin_set": m.pin_hash is not None,  # never the PIN or its hash
        }
        for m, p in rows
    ]


def erase_memberships(contact: Contact) -> None:
    """A deleted person is in no platform: their memberships, roles and PIN go."""
    db.session.execute(delete(Membership).where(Membership.contact_id == contact.id))
