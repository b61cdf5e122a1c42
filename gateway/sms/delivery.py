"""Delivery reports: a message's status moves forward only, and early reports wait for it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update

from gateway.contacts.models import Contact
from gateway.contacts.service import opt_out
from gateway.extensions import db, utcnow
from gateway.sms.models import STATUS_RANK, DeliveryReport, Message

# Africa's Talking's delivery statuses and what they mean for a message.
AT_STATUS = {
    "Sent": "sent",
    "Submitted": "submitted",
    "Buffered": "buffered",
    "Success": "delivered",
    "Rejected": "failed",
    "Failed": "failed",
    "AbsentSubscriber": "failed",
    "Expired": "failed",
}
_TIMESTAMP = {"delivered": "delivered_at", "failed": "failed_at", "sent": "sent_at"}


def _lower_than(status: str) -> list[str]:
    rank = STATUS_RANK[status]
    return [s for s, r in STATUS_RANK.items() if r < rank]


def apply_report(report: DeliveryReport) -> bool:
    """Move the report's message forward if it is known; True once the report is settled.

    A report for a message not stored yet (its send call has not returned) stays unapplied and
    is matched by :func:`apply_pending_reports` when the message's id is stored. A report that
    would move a message backwards, or has a status we do not know, is settled without effect.
    """
    exists = db.session.scalar(
        select(Message.id).where(Message.provider_id == report.provider_id).limit(1)
    )
    if exists is None:
        return False
    status = AT_STATUS.get(report.status)
    if status is not None:
        values: dict[str, object] = {"status": status}
        if status in _TIMESTAMP:
            values[_TIMESTAMP[status]] = report.received_at
        if status == "failed":
            values["error"] = report.failure_reason or report.status
            if (report.failure_reason or "").lower() == "userinblacklist":
                _opt_out_recipient(report.provider_id)
        db.session.execute(
            update(Message)
            .where(
                Message.provider_id == report.provider_id,
                Message.direction == "out",
                Message.status.in_(_lower_than(status)),
            )
            .values(**values)
        )
    report.applied_at = utcnow()
    return True


def _opt_out_recipient(provider_id: str) -> None:
    """The network says the person blocked us (Safaricom's *456*9*5#): stop everything."""
    contact_id = db.session.scalar(
        select(Message.contact_id).where(Message.provider_id == provider_id).limit(1)
    )
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is not None:
        opt_out(contact, channel="provider")


def apply_pending_reports(provider_ids: Iterable[str]) -> int:
    """Apply reports that arrived before their messages' ids were stored; how many applied."""
    ids = list(provider_ids)
    if not ids:
        return 0
    reports = db.session.scalars(
        select(DeliveryReport)
        .where(DeliveryReport.provider_id.in_(ids), DeliveryReport.applied_at.is_(None))
        .order_by(DeliveryReport.id)
    ).all()
    return sum(1 for report in reports if apply_report(report))
