"""A person's part of the voice line in their data export and their erasure (``FUTA``)."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.contacts.service import DELETED
from gateway.extensions import db, redis_client
from gateway.voice.models import AudioClip, CallBack, VoiceCall, VoiceRecording


def calls(contact: Contact) -> list[Row]:
    """Their calls: when, which way, what for, how long, and what each cost HMK."""
    rows = db.session.scalars(
        select(VoiceCall)
        .where(or_(VoiceCall.contact_id == contact.id, VoiceCall.phone == contact.phone))
        .order_by(VoiceCall.id)
    )
    return [
        {
            "started_at": iso_time(c.started_at),
            "direction": c.direction,
            "purpose": c.purpose,
            "duration_s": c.duration_s,
            "cost": str(c.amount) if c.amount is not None else None,
        }
        for c in rows
    ]


def callbacks(contact: Contact) -> list[Row]:
    """The call-backs owed to them after a missed call."""
    rows = db.session.scalars(
        select(CallBack)
        .where(or_(CallBack.contact_id == contact.id, CallBack.phone == contact.phone))
        .order_by(CallBack.id)
    )
    return [
        {"asked_at": iso_time(c.asked_at), "due_at": iso_time(c.due_at), "status": c.status}
        for c in rows
    ]


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
    theirs = or_(CallBack.contact_id == contact.id, CallBack.phone == phone)
    db.session.execute(  # nobody is called back after deleting their data
        update(CallBack)
        .where(theirs, CallBack.status.in_(("waiting", "held")))
        .values(status="failed", error="the person deleted their data")
    )
    db.session.execute(update(CallBack).where(theirs).values(phone=DELETED))
    client = redis_client()
    keys = list(client.scan_iter(match=f"voice:callback:{phone}:*", count=1000))
    if keys:
        client.delete(*keys)
