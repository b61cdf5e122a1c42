"""What Africa's Talking tells us when a USSD session ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow


class UssdSessionEnd(db.Model):  # type: ignore[name-defined,misc]
    """One end-of-session notification (``/at/ussd/events``)."""

    __tablename__ = "ussd_session_ends"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128), unique=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    service_code: Mapped[str | None] = mapped_column(String(32))
    network_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # Success, Incomplete, Failed
    input: Mapped[str | None] = mapped_column(Text)
    hops: Mapped[int | None]
    duration_ms: Mapped[int | None]
    cost: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
