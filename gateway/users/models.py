"""People who use the admin UI and the JSON API, and the audit log of what they changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow

ADMIN = "admin"
COORDINATOR = "coordinator"
RADIO_HOST = "radio_host"
VIEWER = "viewer"
ROLES = (ADMIN, COORDINATOR, RADIO_HOST, VIEWER)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A member of the secretariat, a county coordinator, a radio host or a viewer.

    ``counties`` matters for coordinators only: the counties whose contacts, meetings and
    reports they may see. A radio host's shows are those whose ``host`` is their email.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    counties: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="en")  # the admin UI's language
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every login's session id: raising it ends every session of the user at once
    # (Flask-Login's "alternative tokens"), however many copies of a cookie exist.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The voice line answers a call from this number (E.164) into recording prompts by phone,
    # after the voice PIN (hashed as passwords are).
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    voice_pin_hash: Mapped[str | None] = mapped_column(String(255))

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user cannot log in
        return self.active

    @property
    def voice_pin_set(self) -> bool:
        return self.voice_pin_hash is not None

    def get_id(self) -> str:
        """Flask-Login's id kept in the session: the user and their session version."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """End every login of this user, in every browser (not committed)."""
        self.session_version += 1


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """One change someone made: who (a user, or an API token), what, to which row, when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # the email or token name, kept if deleted
    action: Mapped[str] = mapped_column(String(64))  # "broadcast.send", "contact.delete", ...
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
