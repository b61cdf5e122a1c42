"""A contact's USSD session ends in their export and deletion, and the inputs the retention
period ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from gateway.contacts.export import Row
from gateway.contacts.models import Contact
from gateway.contacts.retention import count_changed
from gateway.contacts.service import DELETED
from gateway.extensions import db, redis_client
from gateway.ussd.models import UssdSessionEnd
from gateway.ussd.sessions import SessionStore


def session_ends(contact: Contact) -> list[Row]:
    rows = db.session.scalars(
        select(UssdSessionEnd)
        .where(UssdSessionEnd.phone == contact.phone)
        .order_by(UssdSessionEnd.id)
    )
    return [{"status": s.status, "input": s.input} for s in rows]


def erase_sessions(contact: Contact) -> None:
    """What they typed goes: from the session ends (kept, counted) and from Redis (their
    sessions and resume point)."""
    db.session.execute(
        update(UssdSessionEnd)
        .where(UssdSessionEnd.phone == contact.phone)
        .values(phone=DELETED, input=None)
    )
    SessionStore(redis_client()).forget(contact.phone)


def expire_inputs(before: datetime) -> int:
    return count_changed(
        update(UssdSessionEnd)
        .where(UssdSessionEnd.received_at < before, UssdSessionEnd.input.is_not(None))
        .values(input=None)
    )
