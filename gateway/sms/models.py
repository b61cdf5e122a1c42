"""Stored SMS, callback receipts and delivery reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow

# How far along an outgoing message is. A status only ever moves to a higher rank. The order
# of the keys is the order in which statuses are shown.
STATUS_RANK = {
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "submitted": 3,
    "buffered": 3,
    "delivered": 4,
    "failed": 4,
    "unsent": 4,  # never handed to Africa's Talking (opted out, cancelled, a reply refused)
    "unknown": 2,  # the send request timed out: it may or may not have reached Africa's Talking
}
STATUSES = tuple(STATUS_RANK)
# Not yet handed to Africa's Talking, and not given up on: still the gateway's to send.
NOT_YET_SENT = ("queued", "sending")
# Past sending: handed over, given up on, or left unsent.
DONE = tuple(s for s in STATUSES if s not in NOT_YET_SENT)
# A message that reached the phone, or may have.
REACHED = ("sending", "sent", "unknown", "submitted", "buffered", "delivered")


class Handling(StrEnum):
    """Where the handling of an incoming SMS stands (None for an outgoing one)."""

    PENDING = "pending"  # stored, waiting for a worker (again, after a failed try)
    HANDLING = "handling"  # claimed by a worker's transaction (never seen committed)
    DONE = "done"  # interpreted: its kind says what it was
    FAILED = "failed"  # given up on after its last try


# The kind the API and a contact's export have always given an SMS not interpreted (yet).
_KIND_OF_STATE: dict[str, str] = {Handling.PENDING: "unhandled", Handling.HANDLING: "handling"}

# Only incoming SMS have a handling state: the index of "the next SMS to handle" (looked up for
# every SMS) leaves the outgoing ones out.
_INCOMING = text("handling_state IS NOT NULL")


class Message(db.Model):  # type: ignore[name-defined,misc]
    """One SMS, in or out."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_phone_created", "phone", "created_at"),
        # One message per broadcast and contact: the unit of idempotency of a broadcast.
        UniqueConstraint("broadcast_id", "contact_id"),
        Index("ix_messages_broadcast_status", "broadcast_id", "status"),
        Index(
            "ix_messages_handling_state",
            "handling_state",
            "id",
            postgresql_where=_INCOMING,
            sqlite_where=_INCOMING,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    channel: Mapped[str] = mapped_column(String(8), default="sms")
    # What the message is: inbox, keyword:join, welcome, auto_reply, ...; None for an incoming
    # SMS not yet interpreted.
    kind: Mapped[str | None] = mapped_column(String(32))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(String(32))
    shortcode: Mapped[str | None] = mapped_column(String(32))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    # For scheduled messages that must go once per person and occasion (a meeting reminder, a
    # guide-series excerpt): e.g. "meeting:3:v2:24h:contact:5". Unique when set.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # Not before this time (quiet hours, a scheduled send); None: as soon as possible.
    not_before: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)  # send calls that could be retried
    # Incoming: how often handling it failed (given up on at GATEWAY_INBOUND_ATTEMPTS).
    handling_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    handling_state: Mapped[str | None] = mapped_column(String(8))  # see Handling
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(64))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    # The opt-out confirmation is the one message an opted-out contact still gets.
    ignores_opt_out: Mapped[bool] = mapped_column(default=False)
    # Sent by the gateway on its own in answer to someone (see gateway.sms.replies), not by staff.
    automatic: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]  # handed to a worker's send call (status "sending")
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]

    @property
    def listed_kind(self) -> str:
        """The kind as the API and a contact's export give it: for an SMS not interpreted, its
        handling state by the name it had there (``unhandled``, ``failed``)."""
        if self.kind is not None:
            return self.kind
        state = self.handling_state or ""
        return _KIND_OF_STATE.get(state, state)


class InboundReceipt(db.Model):  # type: ignore[name-defined,misc]
    """An Africa's Talking callback already handled, so its retries are handled once."""

    __tablename__ = "inbound_receipts"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryReport(db.Model):  # type: ignore[name-defined,misc]
    """A delivery report as it arrived; kept until its message is known, then applied."""

    __tablename__ = "delivery_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    network_code: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    raw: Mapped[str | None] = mapped_column(Text)
