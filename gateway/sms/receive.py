"""Incoming SMS stored in the callback's request, and a worker woken after the commit.

The request does the least it must: two INSERTs (the callback's receipt, so a retry is kept
once, and the message) and, once they are committed, one call to Redis that wakes the handling
job (:func:`gateway.sms.wake.wake`). Interpreting the SMS is the worker's
(:mod:`gateway.sms.inbound`).
"""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import Executable, Table, bindparam, event, insert
from sqlalchemy.orm import Session, SessionTransaction

from gateway.encoding import analyse
from gateway.extensions import conflict_insert, db
from gateway.sms.models import Handling, InboundReceipt, Message
from gateway.sms.wake import wake

_WAKE = "inbound_wake"  # session.info: the SMS ids to wake a worker for after the commit


def store_inbound_sms(
    *, external_id: str, phone: str, shortcode: str, text: str, received_at: datetime
) -> int | None:
    """Keep an incoming SMS and have it handled after the commit; its id, or None if this
    callback id was kept before (Africa's Talking retried it).

    The caller commits. The receipt and the message are one transaction, so a retried callback
    either finds the receipt (and is a duplicate) or finds nothing (and stores both); a retry
    that arrives while the first is being stored waits for it on the receipt's unique key.
    """
    receipt_insert, message_insert = _store_statements(db.session.get_bind().dialect.name)
    receipt = db.session.execute(receipt_insert, {"external_id": external_id}).scalar()
    if receipt is None:
        return None
    info = analyse(text)
    values = {
        "phone": phone,
        "shortcode": shortcode,
        "provider_id": external_id,
        "text": text,
        "encoding": info.encoding,
        "segments": info.segments,
        "received_at": received_at,
    }
    message_id: int = db.session.execute(message_insert, values).scalar_one()
    enqueue_handling(message_id)
    return message_id


@functools.cache
def _store_statements(dialect: str) -> tuple[Executable, Executable]:
    """The two INSERTs of :func:`store_inbound_sms`, built once per dialect: plain statements
    on the tables, not ORM objects (this is the cost of every post of a radio show's burst)."""
    receipts: Table = InboundReceipt.__table__
    messages: Table = Message.__table__
    receipt = (
        conflict_insert(receipts, dialect)
        .values(kind="sms", external_id=bindparam("external_id"))
        .on_conflict_do_nothing(index_elements=["kind", "external_id"])
        .returning(receipts.c.id)
    )
    fields = ("phone", "shortcode", "provider_id", "text", "encoding", "segments", "received_at")
    message = (
        insert(messages)
        .values(
            direction="in",
            channel="sms",
            handling_state=Handling.PENDING,
            status="received",
            **{name: bindparam(name) for name in fields},
        )
        .returning(messages.c.id)
    )
    return receipt, message


def enqueue_handling(message_id: int) -> None:
    """Have a worker interpret the message once the current transaction commits (a job for it,
    or the job already enqueued or running: see :mod:`gateway.sms.wake`)."""
    db.session.info.setdefault(_WAKE, []).append(message_id)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: not the commit yet
        return
    waiting: list[int] = session.info.pop(_WAKE, [])
    if waiting:
        wake(min(waiting))


@event.listens_for(Session, "after_soft_rollback")
def _forget_wake(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back transaction wakes nobody (a SAVEPOINT's rollback keeps the note: waking a
    worker for nothing is harmless)."""
    if previous.parent is None:
        session.info.pop(_WAKE, None)
