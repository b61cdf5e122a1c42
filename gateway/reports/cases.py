"""A report followed up as a case: its history (status changes with who and when, internal
notes, replies to the reporter) and the SMS that tells a named reporter their report moved.

Notes are for the secretariat only: they are never sent. A status change texts the reporter in
their language unless the report is anonymous, the number was deleted or they opted out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.reports.models import Report
from gateway.sms.models import Message
from gateway.users.access import current_principal

STATUS, NOTE, REPLY = "status", "note", "reply"
NOTE_MAX = 2000


class ReportEvent(db.Model):  # type: ignore[name-defined,misc]
    """One step in a report's case: a status change, an internal note or a reply sent."""

    __tablename__ = "report_events"
    __table_args__ = (Index("ix_report_events_report_id_id", "report_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # STATUS, NOTE, REPLY
    actor: Mapped[str] = mapped_column(String(255))  # a user's email, a token's name, "system"
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)  # a note's or a reply's words
    # The SMS it sent (a reply, or the reporter told of a status change).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Step:
    """A history row as the admin UI and the API show it."""

    event: ReportEvent
    message: Message | None


def _actor() -> str:
    who = current_principal()
    return who.name if who else "system"


def _add(report: Report, kind: str, **fields: object) -> ReportEvent:
    event = ReportEvent(report_id=report.id, kind=kind, actor=_actor(), **fields)
    db.session.add(event)
    return event


def reachable_reporter(report: Report) -> Contact | None:
    """The person who sent ``report`` if they may be texted: named, not deleted, not opted out."""
    if report.anonymous or report.contact_id is None:
        return None
    contact = db.session.get(Contact, report.contact_id)
    if contact is None or contact.anonymised_at is not None or contact.opted_out_at is not None:
        return None
    return contact


def status_changed(report: Report, before: str, after: str) -> ReportEvent:
    """Keep the change in the history and text the reporter, in their language, what it means
    (never an anonymous one; the SMS goes through the outbound worker after the commit)."""
    from gateway.sms.texts import reply

    message = None
    contact = reachable_reporter(report)
    if contact is not None:
        message = reply(
            contact,
            f"sms.report.status.{after}",
            kind="report_status",
            by_staff=True,
            reference=report.reference,
        )
    return _add(
        report,
        STATUS,
        from_status=before,
        to_status=after,
        message_id=message.id if message else None,
    )


def replied(report: Report, text: str, message: Message) -> ReportEvent:
    return _add(report, REPLY, text=text, message_id=message.id)


def add_note(report: Report, text: str) -> ReportEvent | None:
    """An internal note on ``report`` (never sent); None if it is empty."""
    text = text.strip()
    if not text:
        return None
    report.updated_at = utcnow()
    return _add(report, NOTE, text=text[:NOTE_MAX])


def history(report: Report) -> list[Step]:
    """The case's steps, oldest first, each with the SMS it sent (for its delivery status)."""
    rows = db.session.execute(
        select(ReportEvent, Message)
        .outerjoin(Message, Message.id == ReportEvent.message_id)
        .where(ReportEvent.report_id == report.id)
        .order_by(ReportEvent.created_at, ReportEvent.id)
    )
    return [Step(event, message) for event, message in rows]
