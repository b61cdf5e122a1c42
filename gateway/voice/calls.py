"""Calls as Africa's Talking reports them: one row per call, created at its first request and
closed by its final one, which carries the cost (counted once, however often it is posted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gateway.extensions import db, utcnow
from gateway.voice.models import VoiceCall


@dataclass(frozen=True)
class CallEnd:
    """The fields of a call's final request."""

    duration_s: int
    amount: Decimal
    currency: str
    end_state: str
    hangup_cause: str


def find_call(session_id: str) -> VoiceCall | None:
    found: VoiceCall | None = db.session.scalar(
        select(VoiceCall).where(VoiceCall.session_id == session_id)
    )
    return found


def open_call(
    session_id: str, *, direction: str, purpose: str, phone: str, destination: str
) -> tuple[VoiceCall, bool]:
    """The call with this session id, created at its first request; and whether it is new
    (two requests of one call racing both get the same row)."""
    found = find_call(session_id)
    if found is not None:
        return found, False
    call = VoiceCall(
        session_id=session_id,
        direction=direction,
        purpose=purpose,
        phone=phone,
        destination=destination,
    )
    try:
        with db.session.begin_nested():
            db.session.add(call)
    except IntegrityError:
        raced = find_call(session_id)
        if raced is None:
            raise
        return raced, False
    return call, True


def close_call(call: VoiceCall, end: CallEnd) -> bool:
    """Record the call's end and cost; False (nothing changed) if it was recorded already."""
    if call.ended_at is not None:
        return False
    call.ended_at = utcnow()
    call.duration_s = end.duration_s
    call.amount = end.amount
    call.currency = end.currency
    call.end_state = end.end_state
    call.hangup_cause = end.hangup_cause
    call.state = None  # where they were in the menu is no longer needed
    return True


def voice_spent_since(since: datetime) -> Decimal:
    """What calls that ended since ``since`` cost (rejected calls cost nothing)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(VoiceCall.amount), 0)).where(VoiceCall.ended_at >= since)
    )
    return Decimal(str(total or 0))
