"""A contact's SMS in their export and deletion, and the raw texts the retention period ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.contacts.retention import count_changed
from gateway.contacts.service import DELETED
from gateway.extensions import db, redis_client, utcnow
from gateway.sms.models import DeliveryReport, Handling, Message


def messages(contact: Contact) -> list[Row]:
    rows = db.session.scalars(
        select(Message)
        .where(or_(Message.contact_id == contact.id, Message.phone == contact.phone))
        .order_by(Message.id)
    )
    return [
        {
            "id": m.id,
            "direction": m.direction,
            "kind": m.listed_kind,
            "text": m.text,
            "status": m.status,
            "language": m.language,
            "error": m.error,
            "created_at": iso_time(m.created_at),
            "received_at": iso_time(m.received_at),
            "sent_at": iso_time(m.sent_at),
            "delivered_at": iso_time(m.delivered_at),
            "failed_at": iso_time(m.failed_at),
        }
        for m in rows
    ]


def erase_messages(contact: Contact) -> None:
    """Texts and the number go from their SMS and delivery reports (the rows stay, counted);
    nothing still waiting goes to them; their auto-reply limit and reply counters go."""
    from gateway.sms.inbound import auto_reply_key
    from gateway.sms.replies import forget_reply_counts

    db.session.execute(  # it would go to "deleted"
        update(Message)
        .where(
            Message.contact_id == contact.id,
            Message.direction == "out",
            Message.status == "queued",
        )
        .values(status="unsent", error="Deleted", failed_at=utcnow())
    )
    db.session.execute(
        update(Message)
        .where(or_(Message.contact_id == contact.id, Message.phone == contact.phone))
        .values(text="", phone=DELETED, provider_id=None)
    )
    db.session.execute(
        update(DeliveryReport)
        .where(DeliveryReport.phone == contact.phone)
        .values(phone=None, raw=None)
    )
    redis_client().delete(auto_reply_key(contact.phone))
    forget_reply_counts(contact.phone)


def expire_inbound_texts(before: datetime) -> int:
    return count_changed(
        update(Message)
        .where(
            Message.direction == "in",
            Message.created_at < before,
            or_(  # not waiting for a worker
                Message.handling_state.is_(None),
                Message.handling_state.not_in((Handling.PENDING, Handling.HANDLING)),
            ),
            Message.text != "",
        )
        .values(text="")
    )


def expire_delivery_reports(before: datetime) -> int:
    return count_changed(
        update(DeliveryReport)
        .where(DeliveryReport.received_at < before, DeliveryReport.raw.is_not(None))
        .values(raw=None)
    )
