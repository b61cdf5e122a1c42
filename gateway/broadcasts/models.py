"""A broadcast: its texts per language, its audience and its progress."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow

STATUSES = ("scheduled", "sending", "sent", "cancelled")


class Broadcast(db.Model):  # type: ignore[name-defined,misc]
    """What the secretariat sends to many: each recipient becomes one ``Message`` row, unique
    per (broadcast, contact), which is what makes sending it safe to repeat."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    texts: Mapped[dict[str, str]] = mapped_column(JSON)  # per language
    # {"counties": [...], "wards": [...], "languages": [...], "tags": [...], "guides": [...],
    #  "match": "all" | "any"}: a contact matches "all" named criteria, or "any" of them.
    audience: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # For contacts whose language has no text in its fallback chain: "skip" (they get nothing)
    # or the language whose text they get, as the sender chose; None: none had to be made.
    uncovered: Mapped[str | None] = mapped_column(String(16))
    send_at: Mapped[datetime | None]  # None: as soon as possible
    urgent: Mapped[bool] = mapped_column(default=False)
    urgent_reason: Mapped[str | None] = mapped_column(Text)  # required when urgent; audited
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)  # rows made when sending started
    skipped_no_consent: Mapped[int] = mapped_column(default=0)
    skipped_opted_out: Mapped[int] = mapped_column(default=0)
    skipped_no_text: Mapped[int] = mapped_column(default=0)  # no text in their chain
    estimated_cost_kes: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
