"""Who answers for what: the duty bearers the secretariat keeps, the commitments they made, and
what the communities say when asked whether each was kept."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow

# Kinds of duty bearer, in the order the admin lists them.
BEARER_KINDS = ("company", "county", "nema", "ministry", "police", "other")

# A commitment's status, set by the secretariat with the community's answers beside it.
OPEN, KEPT, PARTLY, NOT_KEPT, WITHDRAWN = "open", "kept", "partly", "not_kept", "withdrawn"
STATUSES = (OPEN, KEPT, PARTLY, NOT_KEPT, WITHDRAWN)
# What a person answers to "Has it been done? 1 Yes 2 Partly 3 No".
YES, NO = "yes", "no"
VERDICTS = (YES, PARTLY, NO)


class DutyBearer(db.Model):  # type: ignore[name-defined,misc]
    """A company, county government, NEMA, the Ministry of Mining, the police..."""

    __tablename__ = "duty_bearers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # BEARER_KINDS
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Commitment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_bearer_id: Mapped[int] = mapped_column(
        ForeignKey("duty_bearers.id", ondelete="RESTRICT"), index=True
    )
    what: Mapped[dict[str, str]] = mapped_column(JSON)  # per language, at most 120 characters
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="SET NULL"))
    county: Mapped[str | None] = mapped_column(String(64), index=True)
    wards: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: the whole county
    made_on: Mapped[date]
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    made_at_event: Mapped[str | None] = mapped_column(String(255))  # "National Dialogue 2026"
    due_on: Mapped[date] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(500), default="")  # minutes, a letter
    status: Mapped[str] = mapped_column(String(16), default=OPEN)  # STATUSES
    status_set_by: Mapped[str | None] = mapped_column(String(255))
    status_set_at: Mapped[datetime | None]
    # Shown on the public site's scorecard once the secretariat says so.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUpRound(db.Model):  # type: ignore[name-defined,misc]
    """One asking of "has it been done?": on the due date, then every
    ``GATEWAY_COMMITMENT_FOLLOWUP`` until the commitment is closed."""

    __tablename__ = "commitment_rounds"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, ...
    asked_on: Mapped[date]
    recipients: Mapped[int] = mapped_column(default=0)
    # pending (estimate shown, awaiting the secretariat's confirmation), sent, skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUpAnswer(db.Model):  # type: ignore[name-defined,misc]
    """A person's answer in a round: one per person per round, the latest counts."""

    __tablename__ = "commitment_answers"
    __table_args__ = (
        UniqueConstraint("round_id", "contact_id"),
        Index("ix_commitment_answers_commitment_id", "commitment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("commitment_rounds.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    verdict: Mapped[str] = mapped_column(String(16))  # VERDICTS
    channel: Mapped[str] = mapped_column(String(16))
    county: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Escalation(db.Model):  # type: ignore[name-defined,misc]
    """A report taken to a duty bearer: when, how, their reference, and when they responded."""

    __tablename__ = "report_escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    duty_bearer_id: Mapped[int] = mapped_column(ForeignKey("duty_bearers.id", ondelete="RESTRICT"))
    escalated_at: Mapped[datetime] = mapped_column(default=utcnow)
    how: Mapped[str] = mapped_column(String(64))  # letter, email, meeting, phone
    their_reference: Mapped[str | None] = mapped_column(String(120))
    escalated_by: Mapped[str] = mapped_column(String(255))
    responded_at: Mapped[datetime | None]
    response: Mapped[str | None] = mapped_column(Text)
