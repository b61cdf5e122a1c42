"""A reported problem."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow

CATEGORIES = ("land", "water", "health", "jobs", "security", "other")
SENSITIVE_CATEGORIES = frozenset({"security"})
# A case: new → verified (by a platform leader or the secretariat) → escalated to a duty bearer
# (gateway.commitments.models.Escalation) → responded → resolved, or closed without action;
# "in_progress" is the secretariat's own follow-up. Any may be reopened.
STATUSES = ("new", "verified", "in_progress", "escalated", "responded", "resolved", "closed")


class Report(db.Model):  # type: ignore[name-defined,misc]
    """A problem a community member reported. An anonymous report keeps no link to its sender."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    anonymous: Mapped[bool] = mapped_column(default=False)
    category: Mapped[str] = mapped_column(String(16))
    sensitive: Mapped[bool] = mapped_column(default=False)
    county: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    # The USSD session that sent it: a repeated confirmation hop saves it once.
    session_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="new")  # STATUSES
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Triage in the admin UI: who follows it up, and when it last changed.
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime | None]
