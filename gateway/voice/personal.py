"""A person's part of the voice line, for their data export and their erasure (``FUTA``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update

from gateway.contacts.models import Contact
from gateway.extensions import db, redis_client
from gateway.voice.models import AudioClip, CallBack, VoiceCall, VoiceRecording

DELETED = "deleted"  # as contacts.service.DELETED: the number's place in rows kept for counts


def export_voice(contact: Contact) -> dict[str, Any]:
    """Their calls (when, how long, what they cost HMK) and the call-backs owed to them."""
    calls = db.session.scalars(
        select(VoiceCall)
        .where(or_(VoiceCall.contact_id == contact.id, VoiceCall.phone == contact.phone))
        .order_by(VoiceCall.id)
    ).all()
    callbacks = db.session.scalars(
        select(CallBack)
        .where(or_(CallBack.contact_id == contact.id, CallBack.phone == contact.phone))
        .order_by(CallBack.id)
    ).all()
    return {
        "calls": [
            {
                "started_at": c.started_at.isoformat(),
                "direction": c.direction,
                "purpose": c.purpose,
                "duration_s": c.duration_s,
                "cost": str(c.amount) if c.amount is not None else None,
            }
            for c in calls
        ],
        "callbacks": [
            {"asked_at": c.asked_at.isoformat(), "status": c.status, "due_at": c.due_at.isoformat()}
            for c in callbacks
        ],
    }


def erase_voice(contact: Contact) -> None:
    """Forget their number in every voice row (the calls stay, for counts and costs), their
    recordings' audio, and the Redis keys that name them."""
    phone = contact.phone
    mine_calls = or_(VoiceCall.contact_id == contact.id, VoiceCall.phone == phone)
    recordings = db.session.scalars(
        select(VoiceRecording).where(
            or_(
                VoiceRecording.contact_id == contact.id,
                VoiceRecording.call_id.in_(select(VoiceCall.id).where(mine_calls)),
            )
        )
    ).all()
    clip_ids = {r.audio_id for r in recordings if r.audio_id is not None}
    for recording in recordings:
        db.session.delete(recording)
    db.session.flush()
    if clip_ids:
        db.session.execute(AudioClip.__table__.delete().where(AudioClip.id.in_(clip_ids)))
    db.session.execute(update(VoiceCall).where(mine_calls).values(phone=DELETED, state=None))
    db.session.execute(
        update(CallBack)
        .where(or_(CallBack.contact_id == contact.id, CallBack.phone == phone))
        .values(phone=DELETED, status="failed", error="the person deleted their data")
    )
    client = redis_client()
    keys = list(client.scan_iter(match=f"voice:callback:{phone}:*", count=1000))
    if keys:
        client.delete(*keys)
