"""A contact's platform memberships, in their export; erased with them (a leader's PIN goes
with the membership)."""

from __future__ import annotations

from sqlalchemy import delete

from gateway.contacts.export import rows_part
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.platforms.models import Membership, Platform

memberships = rows_part(
    Membership,
    Platform.name.label("platform"),
    Platform.code,
    Membership.role,
    Membership.joined_via,
    Membership.joined_at,
    Membership.pin_hash.is_not(None).label("pin_set"),  # never the PIN or its hash
    joins=[(Platform, Platform.id == Membership.platform_id)],
)


def erase_memberships(contact: Contact) -> None:
    """A deleted person is in no platform: their memberships, roles and PIN go."""
    db.session.execute(delete(Membership).where(Membership.contact_id == contact.id))
