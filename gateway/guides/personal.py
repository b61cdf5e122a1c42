"""A contact's guide subscriptions, in their export."""

from __future__ import annotations

from sqlalchemy import select

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.guides.models import GuideSubscription


def subscriptions(contact: Contact) -> list[Row]:
    rows = db.session.scalars(
        select(GuideSubscription)
        .where(GuideSubscription.contact_id == contact.id)
        .order_by(GuideSubscription.id)
    )
    return [
        {
            "guide": s.guide,
            "next_chapter": s.next_chapter,
            "active": s.active,
            "since": iso_time(s.created_at),
        }
        for s in rows
    ]
