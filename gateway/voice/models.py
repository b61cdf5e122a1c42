"""Calls, call-backs, audio and the prompts recorded per language."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow


class VoiceCall(db.Model):  # type: ignore[name-defined,misc]
    """One call, in or out, from its first callback to its final one (which carries its cost)."""

    __tablename__ = "voice_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)  # Africa's Talking's
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    # missed (rejected, free), callback (we called them back), vote (a beep to an option's
    # number), staff (a staff member recording prompts)
    purpose: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    destination: Mapped[str] = mapped_column(String(32))  # the number that was called
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The final request: once per call; a repeat of it changes nothing.
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    duration_s: Mapped[int | None]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    currency: Mapped[str | None] = mapped_column(String(8))
    end_state: Mapped[str | None] = mapped_column(String(32))  # callSessionState
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    # Where the caller is in the voice menu, between requests (JSON; None once it has ended).
    state: Mapped[str | None] = mapped_column(Text)


class CallBack(db.Model):  # type: ignore[name-defined,misc]
    """A call-back owed to someone who rang the voice number: placed when due, or held back."""

    __tablename__ = "voice_callbacks"
    __table_args__ = (Index("ix_voice_callbacks_phone_asked", "phone", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    missed_call_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_calls.id", ondelete="SET NULL")
    )
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    # waiting (for its time: quiet hours), held (the month's budget is spent), calling (the
    # request to Africa's Talking is being made), placed, failed (refused, or tries used up)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    placed_at: Mapped[datetime | None]
    session_id: Mapped[str | None] = mapped_column(String(64))  # the call-back's, once placed
    error: Mapped[str | None] = mapped_column(String(200))


class AudioClip(db.Model):  # type: ignore[name-defined,misc]
    """A sound file kept in the database, so every web process serves it: a prompt or a
    recording, by its content's hash (its URL never changes, so it is cached for good)."""

    __tablename__ = "audio_clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    mime: Mapped[str] = mapped_column(String(32))  # audio/mpeg or audio/wav
    size: Mapped[int]
    duration_ms: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoicePrompt(db.Model):  # type: ignore[name-defined,misc]
    """The recording that speaks a prompt (a ``voice.*`` message key) in one language."""

    __tablename__ = "voice_prompts"
    __table_args__ = (UniqueConstraint("key", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))
    audio_id: Mapped[int] = mapped_column(ForeignKey("audio_clips.id"))
    source: Mapped[str] = mapped_column(String(16))  # upload, phone, demo
    # A stand-in (the demo's synthetic voice) until a native speaker records it.
    placeholder: Mapped[bool] = mapped_column(default=False, server_default=false())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class VoiceRecording(db.Model):  # type: ignore[name-defined,misc]
    """What a caller recorded (a report, a question): fetched from Africa's Talking into our
    own storage, since their copy may expire."""

    __tablename__ = "voice_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("voice_calls.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))  # report, question, comment (consultations)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    provider_url: Mapped[str | None] = mapped_column(String(500))
    audio_id: Mapped[int | None] = mapped_column(ForeignKey("audio_clips.id"))
    # pending (to fetch), stored, missing (could not be fetched: "audio missing")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    transcript: Mapped[str | None] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
