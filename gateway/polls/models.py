"""A poll, its options and the votes cast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db, utcnow


class Poll(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(32), unique=True)
    question: Mapped[dict[str, str]] = mapped_column(JSON)  # per language
    county: Mapped[str | None] = mapped_column(String(64))  # audience; None for everyone
    # A community platform's own (its members are the audience), within ``county``.
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="SET NULL"))
    # Its results are on the public site (gateway.public) once the secretariat says so.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    opens_at: Mapped[datetime] = mapped_column(index=True)
    closes_at: Mapped[datetime] = mapped_column(index=True)
    send_results: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    results_sent_at: Mapped[datetime | None]  # when the results SMS to voters was queued

    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @classmethod
    def from_input(cls, data: Mapping[str, Any]) -> Poll:
        """A new poll from validated input (the API's ``PollIn``, which the admin page uses too):
        options numbered from 1; opening now unless a time is given."""
        return cls(
            keyword=data["keyword"],
            question=data["question"],
            county=data["county"],
            platform_id=data.get("platform_id"),
            opens_at=data["opens_at"] or utcnow(),
            closes_at=data["closes_at"],
            send_results=data["send_results"],
            options=[
                PollOption(position=n, label=label, voice_number=number)
                for n, (label, number) in enumerate(
                    zip(data["options"], option_numbers(data), strict=True), 1
                )
            ],
        )


def option_numbers(data: Mapping[str, Any]) -> list[str | None]:
    """Each option's voice number from validated input (None: the option has none)."""
    numbers = list(data.get("voice_numbers") or [])
    return [*numbers, *[None] * (len(data["options"]) - len(numbers))][: len(data["options"])]


class PollOption(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based, the number a voter presses or texts
    label: Mapped[dict[str, str]] = mapped_column(JSON)  # per language
    # Beep to vote: a missed call to this number (E.164) is a vote for the option; no two
    # polls open at the same time share one (gateway.polls.voice_numbers).
    voice_number: Mapped[str | None] = mapped_column(String(32), index=True)


class Vote(db.Model):  # type: ignore[name-defined,misc]
    """One vote per phone per poll; a later vote replaces the earlier one."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "contact_id"),
        # The public site counts a poll's votes from this index alone (gateway.public).
        Index("ix_votes_tally", "poll_id", "option_id", "county", "ward"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_options.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where and in what language the voter was when voting, for results by dimension.
    county: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
