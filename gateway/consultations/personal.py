"""A contact's part in consultations, in their export and deletion.

Positions stay on deletion (the counts stay; the contact row is anonymised, not removed).
Comments stay as rows, so counts by clause stay too, but lose their words: the text is emptied,
the recording and its audio deleted, and the comment is never quoted again.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from gateway.consultations.models import Clause, Comment, Consultation, Position
from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.voice.models import AudioClip, VoiceRecording


def positions(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(Position, Consultation.keyword, Clause.number, Clause.reference)
        .join(Consultation, Consultation.id == Position.consultation_id)
        .join(Clause, Clause.id == Position.clause_id)
        .where(Position.contact_id == contact.id)
        .order_by(Position.id)
    )
    return [
        {
            "consultation": keyword,
            "clause": number,
            "reference": reference,
            "stance": position.stance,
            "channel": position.channel,
            "at": iso_time(position.updated_at),
        }
        for position, keyword, number, reference in rows
    ]


def comments(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(Comment, Consultation.keyword, Clause.number, Clause.reference)
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .join(Clause, Clause.id == Comment.clause_id)
        .where(Comment.contact_id == contact.id)
        .order_by(Comment.id)
    )
    return [
        {
            "consultation": keyword,
            "clause": number,
            "reference": reference,
            "text": comment.text,
            "recorded": comment.recording_id is not None,
            "channel": comment.channel,
            "quote_ok": comment.quote_ok,
            "at": iso_time(comment.created_at),
        }
        for comment, keyword, number, reference in rows
    ]


def erase_comments(contact: Contact) -> None:
    """Their comments lose their words, spoken or typed; the rows stay, never to be quoted."""
    found = db.session.scalars(
        select(Comment).where(Comment.contact_id == contact.id, Comment.erased_at.is_(None))
    ).all()
    recording_ids = [c.recording_id for c in found if c.recording_id is not None]
    now = utcnow()
    for comment in found:
        comment.text, comment.recording_id = None, None
        comment.quote_ok, comment.quoted, comment.erased_at = False, False, now
    db.session.flush()
    if not recording_ids:
        return
    clip_ids = set(
        db.session.scalars(
            select(VoiceRecording.audio_id).where(
                VoiceRecording.id.in_(recording_ids), VoiceRecording.audio_id.is_not(None)
            )
        )
    )
    db.session.execute(delete(VoiceRecording).where(VoiceRecording.id.in_(recording_ids)))
    if clip_ids:
        db.session.execute(delete(AudioClip).where(AudioClip.id.in_(clip_ids)))
