"""Questions for the secretariat, recorded by phone (voice menu key 5): each is kept with the
caller's county and ward as they were, and, if a radio show was on air, with that show's episode,
so it appears on the show's live board with a player; the host can mark it played on air, or
hide it, as SMS items can be.

The recording is fetched into our own storage by :mod:`gateway.voice.recordings` (purpose
"question"); until it is, the board says "audio being fetched", and "audio missing" if it could
not be.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import ForeignKey, Index, Select, String, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.phones import mask_phone
from gateway.radio.schedule import shows_on_air
from gateway.settings import current_settings
from gateway.voice.audio import url_path
from gateway.voice.models import AudioClip, VoiceRecording
from gateway.voice.recordings import keep_recording

QUESTIONS_LIMIT = 500  # questions of one episode on a board, at most


class VoiceQuestion(db.Model):  # type: ignore[name-defined,misc]
    """A caller's recorded question, with the show's episode it came in during (if any)."""

    __tablename__ = "voice_questions"
    __table_args__ = (Index("ix_voice_questions_show_id_id", "show_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("voice_calls.id", ondelete="SET NULL"))
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_recordings.id", ondelete="SET NULL")
    )
    # The call's session and the recording's URL, hashed: Africa's Talking posting the same
    # recording twice stores one question.
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    county: Mapped[str | None] = mapped_column(String(64))  # the caller's, when they asked
    ward: Mapped[str | None] = mapped_column(String(64))
    show_id: Mapped[int | None] = mapped_column(ForeignKey("radio_shows.id", ondelete="SET NULL"))
    episode: Mapped[str | None] = mapped_column(String(10))  # None: no show was on air
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    played_on_air_at: Mapped[datetime | None]
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())


def dedupe_key(session_id: str, recording_url: str) -> str:
    return hashlib.sha256(f"{session_id}\n{recording_url}".encode()).hexdigest()


def save_question(
    *, contact: Contact, call_id: int | None, session_id: str, language: str, recording_url: str
) -> VoiceQuestion | None:
    """Keep a question (not committed) and fetch its recording after the commit; None if this
    recording of this call is kept already."""
    key = dedupe_key(session_id, recording_url)
    if db.session.scalar(select(VoiceQuestion.id).where(VoiceQuestion.dedupe_key == key)):
        return None
    settings = current_settings()
    on_air = shows_on_air(utcnow(), settings.timezone, settings.radio_margin)
    show, episode = on_air[0] if on_air else (None, None)  # two shows at once: the oldest
    question = VoiceQuestion(
        contact_id=contact.id,
        call_id=call_id,
        dedupe_key=key,
        language=language,
        county=contact.county,
        ward=contact.ward,
        show_id=show.id if show is not None else None,
        episode=episode,
    )
    try:
        with db.session.begin_nested():  # a request racing this one with the same recording
            db.session.add(question)
    except IntegrityError:
        return None
    recording = keep_recording(
        purpose="question",
        url=recording_url,
        call_id=call_id,
        contact_id=contact.id,
        report_id=None,
    )
    question.recording_id = recording.id
    return question


def set_question_marks(
    question: VoiceQuestion, *, hidden: bool | None = None, played: bool | None = None
) -> None:
    """Change the marks given (None leaves one as it is; not committed). Playing a question on
    air again keeps the first time."""
    if hidden is not None:
        question.hidden = hidden
    if played is True and question.played_on_air_at is None:
        question.played_on_air_at = utcnow()
    elif played is False:
        question.played_on_air_at = None


# -- as the board shows them ------------------------------------------------------------------


def question_rows() -> Select[VoiceQuestion, str, str, AudioClip]:
    """Each question with its caller's number, its recording's status and its audio."""
    return (
        select(VoiceQuestion, Contact.phone, VoiceRecording.status, AudioClip)
        .outerjoin(Contact, Contact.id == VoiceQuestion.contact_id)
        .outerjoin(VoiceRecording, VoiceRecording.id == VoiceQuestion.recording_id)
        .outerjoin(AudioClip, AudioClip.id == VoiceRecording.audio_id)
    )


def _rows(show_id: int | None) -> Select[VoiceQuestion, str, str, AudioClip]:
    return question_rows().where(VoiceQuestion.show_id == show_id).order_by(VoiceQuestion.id)


def episode_questions(show_id: int, episode: str) -> list[dict[str, Any]]:
    """The questions of ``show_id``'s ``episode`` as board items, hidden ones too, oldest
    first."""
    query = _rows(show_id).where(VoiceQuestion.episode == episode).limit(QUESTIONS_LIMIT)
    return [_item(*row) for row in db.session.execute(query)]


def question_item(question: VoiceQuestion) -> dict[str, Any]:
    """One question as a board item (its show must be set)."""
    question_, phone, status, clip = db.session.execute(
        _rows(question.show_id).where(VoiceQuestion.id == question.id)
    ).one()
    return _item(question_, phone, status, clip)


def _item(
    question: VoiceQuestion, phone: str | None, status: str | None, clip: AudioClip | None
) -> dict[str, Any]:
    tz: tzinfo = current_settings().timezone
    return {
        "id": question.id,
        "episode": question.episode,
        "received_at": _local(question.created_at, tz),
        "phone": mask_phone(phone) if phone else "",
        "language": question.language,
        "county": question.county,
        "audio": status or "missing",  # pending (being fetched), stored, missing
        "audio_url": url_path(clip) if clip is not None else None,
        "hidden": question.hidden,
        "played_on_air_at": _local(question.played_on_air_at, tz),
    }


def _local(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None
