"""A contact's part in consultations, in their export and deletion.

Positions stay on deletion (the counts stay; the contact row is anonymised, not removed).
Comments stay as rows, so counts by clause stay too, but lose their words: the text is emptied,
the recording and its audio deleted, and the comment is never quoted again.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from gateway.consultations.models import Clause, Comment, Consultation, Position
from gateway.contacts.export import rows_part
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.voice.models import AudioClip, VoiceRecording

# Both name the clause as the memorandum does: its number and its reference.
_CLAUSE = (
    Consultation.keyword.label("consultation"),
    Clause.number.label("clause"),
    Clause.reference,
)

positions = rows_part(
    Position,
    *_CLAUSE,
    Position.stance,
    Position.channel,
    Position.updated_at.label("at"),
    joins=[
        (Consultation, Consultation.id == Position.consultation_id),
        (Clause, Clause.id == Position.clause_id),
    ],
)

comments = rows_part(
    Comment,
    *_CLAUSE,
    Comment.text,
    Comment.recording_id.is_not(None).label("recorded"),
    Comment.channel,
    Comment.quote_ok,
    Comment.created_at.label("at"),
    joins=[
        (Consultation, Consultation.id == Comment.consultation_id),
        (Clause, Clause.id == Comment.clause_id),
    ],
)


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
