"""The audit log: every change someone makes through the admin UI or the API."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from gateway.extensions import db
from gateway.users.access import current_principal
from gateway.users.models import AuditEvent, User


def record(
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event for the request's principal to the session.

    It is committed with the change it describes (call it before the ``commit``), so the log
    never names a change that did not happen, nor misses one that did. ``details`` must hold
    no phone number in clear (pass masked values).
    """
    who = current_principal()
    event = AuditEvent(
        user_id=who.user_id if who else None,
        token_id=who.token_id if who else None,
        actor=who.name if who else "system",
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def record_by(
    user: User,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    **details: Any,
) -> AuditEvent:
    """As :func:`record`, for a change ``user`` made outside the admin UI and the API (by
    phone, on the voice line)."""
    event = AuditEvent(
        user_id=user.id,
        actor=user.email,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    db.session.add(event)
    return event
