"""A contact's subscription to a guide's weekly series, and texts edited in the admin UI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
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


class TextOverride(db.Model):  # type: ignore[name-defined,misc]
    """A text edited in the admin UI (a guide chapter's excerpt, say), served instead of the
    catalog's own for that key and language."""

    __tablename__ = "text_overrides"
    __table_args__ = (UniqueConstraint("language", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
