"""A radio show and the listeners' messages in its feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow


class RadioShow(db.Model):  # type: ignore[name-defined,misc]
    """A weekly show. ``schedule``: [{"weekday": 3, "start": "19:00", "end": "20:00"}] in EAT."""

    __tablename__ = "radio_shows"

    id: Mapped[int] = mapped_column(primary_key=True)
    station: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    host: Mapped[str | None] = mapped_column(String(120))  # the host's user (admin UI) by email
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["MADINI"]
    shortcode: Mapped[str | None] = mapped_column(String(32))  # a short code of its own
    schedule: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The studio's board link (:mod:`gateway.radio.studio`): only a hash of its key is kept.
    board_key_hash: Mapped[str | None] = mapped_column(String(64))
    board_key_expires_at: Mapped[datetime | None]


class RadioMessage(db.Model):  # type: ignore[name-defined,misc]
    """A listener's SMS in a show's feed, with the producer's marks."""

    __tablename__ = "radio_messages"
    __table_args__ = (Index("ix_radio_messages_show_id_id", "show_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("radio_shows.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    episode: Mapped[str] = mapped_column(String(10))  # the show's date in EAT, 2026-11-29
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    starred: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    read_on_air_at: Mapped[datetime | None]
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # a producer's themes
