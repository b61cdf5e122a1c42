"""A contact's subscription to a guide's weekly series."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow


class GuideSubscription(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "guide_subscriptions"
    __table_args__ = (UniqueConstraint("contact_id", "guide"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    guide: Mapped[str] = mapped_column(String(32))
    next_chapter: Mapped[int] = mapped_column(default=0)  # index of the next excerpt to send
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
