"""A meeting and the RSVPs to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow


class Meeting(db.Model):  # type: ignore[name-defined,misc]
    """A community platform's meeting (``county`` set) or a national dialogue (``county`` None)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict[str, str]] = mapped_column(JSON)  # per language
    agenda: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # per language
    county: Mapped[str | None] = mapped_column(String(64), index=True)
    # A community platform's own (its members are the audience), within ``county``.
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="SET NULL"))
    ward: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(80))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # or "cancelled"
    # Raised by every reschedule: alerts and reminders made for an older version are not sent.
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rsvp(db.Model):  # type: ignore[name-defined,misc]
    """A contact's answer to a meeting; one per contact and meeting, the latest counts."""

    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("meeting_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    attending: Mapped[bool]
    channel: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
