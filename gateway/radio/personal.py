"""A contact's radio call-ins and recorded questions, in their export; their questions and the
questions' audio are erased with them (their call-in texts are SMS, erased with the SMS)."""

from __future__ import annotations

from sqlalchemy import delete, select

from gateway.contacts.export import Row, iso_time, rows_part
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.radio.models import RadioMessage, RadioShow
from gateway.radio.questions import VoiceQuestion
from gateway.sms.models import Message
from gateway.voice.models import AudioClip, VoiceRecording

radio_messages = rows_part(
    RadioMessage,
    RadioShow.name.label("show"),
    RadioMessage.episode,
    Message.text,
    RadioMessage.read_on_air_at,
    RadioMessage.received_at.label("at"),
    joins=[
        (RadioShow, RadioShow.id == RadioMessage.show_id),
        (Message, Message.id == RadioMessage.message_id),
    ],
)


def voice_questions(contact: Contact) -> list[Row]:
    """Their questions: when, in which language, from where, during which show, whether it
    was played on air, and whether its recording is kept."""
    rows = db.session.execute(
        select(VoiceQuestion, RadioShow.name, VoiceRecording.status)
        .outerjoin(RadioShow, RadioShow.id == VoiceQuestion.show_id)
        .outerjoin(VoiceRecording, VoiceRecording.id == VoiceQuestion.recording_id)
        .where(VoiceQuestion.contact_id == contact.id)
        .order_by(VoiceQuestion.id)
    )
    return [
        {
            "at": iso_time(question.created_at),
            "language": question.language,
            "county": question.county,
            "ward": question.ward,
            "show": show,
            "episode": question.episode,
            "played_on_air_at": iso_time(question.played_on_air_at),
            "audio": status or "missing",
        }
        for question, show, status in rows
    ]


def erase_voice_questions(contact: Contact) -> None:
    """Delete their questions, the questions' recordings and the audio kept of them."""
    questions = db.session.scalars(
        select(VoiceQuestion).where(VoiceQuestion.contact_id == contact.id)
    ).all()
    recording_ids = [q.recording_id for q in questions if q.recording_id is not None]
    clip_ids = set(
        db.session.scalars(
            select(VoiceRecording.audio_id).where(
                VoiceRecording.id.in_(recording_ids), VoiceRecording.audio_id.is_not(None)
            )
        )
    )
    for question in questions:
        db.session.delete(question)
    db.session.flush()
    if recording_ids:
        db.session.execute(delete(VoiceRecording).where(VoiceRecording.id.in_(recording_ids)))
    if clip_ids:
        db.session.execute(delete(AudioClip).where(AudioClip.id.in_(clip_ids)))
