"""Who is a platform leader, their PIN, and how their actions are recorded.

A leader's PIN (hashed by the secretariat, :func:`werkzeug.security.generate_password_hash`)
opens the USSD leader menu. :data:`MAX_FAILURES` wrong PINs in a row lock the menu for
:data:`LOCK`; the lock is kept on the membership (``locked_until``), so every web process sees
it and it survives a restart. SMS commands take no PIN (:mod:`gateway.leaders.sms`
says why) but are refused while the menu is locked: a lock says someone else may be holding the
phone.

Every leader action is audited, and a report's case history names the leader, as
``leader +2547••••••78`` (:func:`actor_name`): :func:`acting_as` makes the leader the principal
the audit log and the case history record, for the length of the action.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import g
from sqlalchemy import select
from werkzeug.security import check_password_hash

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.phones import mask_phone
from gateway.platforms.models import LEADER, Membership, Platform
from gateway.users.access import Principal
from gateway.users.models import AuditEvent

MAX_FAILURES = 3
LOCK = timedelta(hours=1)
LEADER_ROLE = "leader"  # the principal's role while a leader acts: no admin page accepts it


@dataclass(frozen=True)
class PinCheck:
    """The outcome of a PIN: ``ok``, or how many tries are left, or locked until when."""

    ok: bool
    tries_left: int
    locked_until: datetime | None


def leadership(contact: Contact) -> Membership | None:
    """``contact``'s leader membership (the oldest, if they lead more than one platform)."""
    if contact.id is None:
        return None
    found: Membership | None = db.session.scalar(
        select(Membership)
        .where(Membership.contact_id == contact.id, Membership.role == LEADER)
        .order_by(Membership.id)
        .limit(1)
    )
    return found


def is_leader(contact: Contact) -> bool:
    return leadership(contact) is not None


def platform_of(membership: Membership) -> Platform:
    platform = db.session.get(Platform, membership.platform_id)
    if platform is None:
        raise LookupError("platform gone")
    return platform


def locked_until(membership: Membership) -> datetime | None:
    """When the leader menu opens again, or None if it is open."""
    until = membership.locked_until
    return until if until is not None and until > utcnow() else None


def check_pin(membership: Membership, contact: Contact, pin: str) -> PinCheck:
    """Check ``pin``; the third wrong one in a row locks the menu for an hour (audited)."""
    until = locked_until(membership)
    if until is not None:
        return PinCheck(False, 0, until)
    if membership.pin_hash and check_password_hash(membership.pin_hash, pin.strip()):
        membership.failed_pins, membership.locked_until = 0, None
        return PinCheck(True, MAX_FAILURES, None)
    membership.failed_pins = (membership.failed_pins or 0) + 1
    if membership.failed_pins < MAX_FAILURES:
        audit(contact, "leader.pin_wrong", "platform", membership.platform_id)
        return PinCheck(False, MAX_FAILURES - membership.failed_pins, None)
    membership.failed_pins, membership.locked_until = 0, utcnow() + LOCK
    audit(contact, "leader.locked", "platform", membership.platform_id)
    return PinCheck(False, 0, membership.locked_until)


def actor_name(contact: Contact) -> str:
    return f"leader {mask_phone(contact.phone)}"


def audit(
    contact: Contact, action: str, target_type: str, target_id: object, **details: Any
) -> AuditEvent:
    """An audit row for a leader's action, naming them by their masked number."""
    event = AuditEvent(
        actor=actor_name(contact),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    db.session.add(event)
    return event


@contextmanager
def acting_as(contact: Contact) -> Iterator[None]:
    """Make the leader the principal that :mod:`gateway.users.audit` and the report case
    history name, for the length of the block (a USSD hop or an inbound SMS job has none)."""
    before = g.get("principal")
    g.principal = Principal(role=LEADER_ROLE, name=actor_name(contact))
    try:
        yield
    finally:
        g.principal = before
