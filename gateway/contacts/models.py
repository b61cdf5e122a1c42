"""A contact and the history of their consent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db, utcnow


class Contact(db.Model):  # type: ignore[name-defined,misc]
    """A person reachable by SMS or USSD, identified by their E.164 phone number."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    # The USSD session in which the language was first chosen, so that session can be replayed.
    language_session_id: Mapped[str | None] = mapped_column(String(128))
    county: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent_at: Mapped[datetime | None]
    consent_channel: Mapped[str | None] = mapped_column(String(16))
    consent_wording: Mapped[str | None] = mapped_column(String(64))
    opted_out_at: Mapped[datetime | None]
    opt_out_channel: Mapped[str | None] = mapped_column(String(16))
    anonymised_at: Mapped[datetime | None]

    consent_events: Mapped[list[ConsentEvent]] = relationship(
        back_populates="contact", order_by="ConsentEvent.id", cascade="all, delete-orphan"
    )

    @property
    def has_consent(self) -> bool:
        """Whether broadcasts may go to this contact: consent recorded and not withdrawn."""
        return self.consent_at is not None and self.opted_out_at is None


class ContactTag(db.Model):  # type: ignore[name-defined,misc]
    """A label the secretariat gives contacts to reach them as a group (``youth``, ``farmers``)."""

    __tablename__ = "contact_tags"
    __table_args__ = (UniqueConstraint("contact_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40), index=True)


class ConsentEvent(db.Model):  # type: ignore[name-defined,misc]
    """One granting or withdrawal of consent, with the words the person saw."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))  # "granted" or "withdrawn"
    channel: Mapped[str] = mapped_column(String(16))  # ussd, sms, api, at_optout, provider
    wording_version: Mapped[str | None] = mapped_column(String(64))
    wording_text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="consent_events")


class ContactImport(db.Model):  # type: ignore[name-defined,misc]
    """A CSV of contacts being imported by a worker: its progress and each bad row's reason."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)  # the CSV as uploaded; removed when finished
    status: Mapped[str] = mapped_column(String(16), default="queued")  # running, done, failed
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_rows: Mapped[int] = mapped_column(default=0)
    updated_rows: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
