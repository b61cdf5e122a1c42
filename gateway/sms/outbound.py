"""Outgoing SMS: queueing a message, and handing queued messages to Africa's Talking.

A message is a row first (status ``queued``) and an RQ job second, enqueued after commit. The
job claims its rows (``queued`` → ``sending``) in one UPDATE before it calls Africa's Talking,
so a job that runs twice, or twice at once, never sends a message twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update

from gateway.channels.africastalking import (
    RecipientResult,
    RequestRejected,
    SmsChannel,
    TransientSendError,
)
from gateway.contacts.models import Contact
from gateway.contacts.service import opt_out, opted_out
from gateway.encoding import analyse
from gateway.extensions import db, redis_client, utcnow
from gateway.queues import OUTBOUND, SEND_RETRY, enqueue_after_commit, job
from gateway.settings import Settings, current_settings
from gateway.sms import pacing, send_batch
from gateway.sms.delivery import apply_pending_reports
from gateway.sms.models import Message
from gateway.sms.throttle import SendRate

log = logging.getLogger(__name__)


def queue_sms(
    *,
    phone: str,
    text: str,
    kind: str,
    contact: Contact | None = None,
    language: str | None = None,
    ignores_opt_out: bool = False,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
    automatic: bool = False,
) -> Message:
    """Store an outgoing SMS and send it through a worker once the transaction commits (and not
    before ``not_before``; inside :func:`~gateway.sms.send_batch.one_send_job`, with the other
    SMS of the transaction). With a ``dedupe_key``, the caller must expect an IntegrityError if
    that message exists already. A reply goes through :func:`gateway.sms.replies.queue_reply`
    instead."""
    message = store_sms(
        phone=phone,
        text=text,
        kind=kind,
        contact=contact,
        language=language,
        ignores_opt_out=ignores_opt_out,
        not_before=not_before,
        dedupe_key=dedupe_key,
        automatic=automatic,
    )
    send_after_commit(message)
    return message


def store_sms(
    *,
    phone: str,
    text: str,
    kind: str,
    contact: Contact | None,
    language: str | None,
    ignores_opt_out: bool,
    not_before: datetime | None,
    dedupe_key: str | None,
    automatic: bool,
) -> Message:
    """Store an outgoing SMS, ``queued``, without sending it (see :func:`send_after_commit`)."""
    info = analyse(text)
    now = utcnow()
    message = Message(
        direction="out",
        channel="sms",
        kind=kind,
        contact_id=contact.id if contact else None,
        phone=phone,
        language=language,
        text=text,
        encoding=info.encoding,
        segments=info.segments,
        status="queued",
        ignores_opt_out=ignores_opt_out,
        automatic=automatic,
        created_at=now,
        queued_at=now,
        not_before=not_before,
        dedupe_key=dedupe_key,
    )
    db.session.add(message)
    db.session.flush()
    return message


def send_after_commit(message: Message) -> None:
    """Send a stored ``message`` through a worker once the transaction commits."""
    if message.not_before is not None or not send_batch.collect(message):
        enqueue_send(message.id, at=message.not_before)


def send_job_id(message_id: int) -> str:
    return f"send-sms-{message_id}"


def enqueue_send(message_id: int, at: datetime | None = None, attempt: int = 0) -> None:
    """Send the message through a worker once the current transaction commits (at ``at``).

    Each retry is a job of its own (``send-sms-7-retry1``), so it never replaces the job that
    is running; RQ's ``Retry`` covers a job that fails outright (a database error).
    """
    enqueue_after_commit(
        db.session,
        OUTBOUND,
        send_messages,
        [message_id],
        job_id=send_job_id(message_id) + (f"-retry{attempt}" if attempt else ""),
        retry=SEND_RETRY,
        at=at,
    )


def enqueue_paced(message_id: int, at: datetime) -> None:
    """Send a message held back by pacing at its slot (a job id of its own: the running job
    may bear the message's usual one)."""
    enqueue_after_commit(
        db.session,
        OUTBOUND,
        send_messages,
        [message_id],
        job_id=f"{send_job_id(message_id)}-paced{int(at.timestamp())}",
        retry=SEND_RETRY,
        at=at,
    )


def sms_channel(settings: Settings) -> SmsChannel:
    """The channel to Africa's Talking (or its emulator) for these settings."""
    return SmsChannel(
        username=settings.at_username,
        api_key=settings.at_api_key or "emulator",
        sender_id=settings.at_sender_id,
        api_url=settings.sms_api_url,
    )


def _claim(message_ids: Sequence[int], settings: Settings | None = None) -> list[Message]:
    """Move the still-queued messages among ``message_ids`` to ``sending`` and return them;
    those that would break a contact's pace go back to the queue, with a job for their slot,
    in the same commit (:mod:`gateway.sms.pacing`)."""
    claimed = db.session.scalars(
        update(Message)
        .where(
            Message.id.in_(message_ids),
            Message.status == "queued",
            or_(Message.not_before.is_(None), Message.not_before <= utcnow()),
        )
        .values(status="sending", claimed_at=utcnow())
        .returning(Message.id)
    ).all()
    if not claimed:
        db.session.commit()
        return []
    messages = list(
        db.session.scalars(
            select(Message).where(Message.id.in_(claimed)).execution_options(populate_existing=True)
        ).all()
    )
    going = pacing.hold_back(messages, settings or current_settings())
    for message in messages:
        if message.status == "queued" and message.not_before is not None:
            enqueue_paced(message.id, message.not_before)
    with kept_after_commit():  # the claimed rows are this job's: no need to read them again
        db.session.commit()
    return going


def _drop_opted_out(messages: list[Message]) -> list[Message]:
    """Mark messages to opted-out contacts ``unsent``; return the ones that may go."""
    contact_ids = {m.contact_id for m in messages if m.contact_id and not m.ignores_opt_out}
    stopped: set[int] = set()
    if contact_ids:
        stopped = set(
            db.session.scalars(select(Contact.id).where(Contact.id.in_(contact_ids), opted_out()))
        )
    allowed = []
    for message in messages:
        if message.contact_id in stopped and not message.ignores_opt_out:
            message.status, message.error, message.failed_at = "unsent", "OptedOut", utcnow()
        else:
            allowed.append(message)
    return allowed


# After a retryable failure (500-502, a transport error), wait this long before the next try.
BACKOFF_S = (5, 30, 120, 600)
MAX_ATTEMPTS = len(BACKOFF_S) + 1


def _retry_later(message: Message, error: str) -> None:
    """Put ``message`` back in the queue with a growing delay, or fail it after the last try."""
    now = utcnow()
    message.attempts += 1
    if message.attempts >= MAX_ATTEMPTS:
        message.status, message.error, message.failed_at = "failed", error, now
        return
    message.status, message.error = "queued", error
    message.not_before = now + timedelta(seconds=BACKOFF_S[message.attempts - 1])


def _record(message: Message, result: RecipientResult) -> None:
    now = utcnow()
    if result.accepted:
        message.status, message.provider_id, message.cost = "sent", result.message_id, result.cost
        message.sent_at, message.error = now, None
        return
    if result.retryable:
        _retry_later(message, result.provider_status)
        return
    message.status, message.error, message.failed_at = "failed", result.provider_status, now
    if result.blacklisted and message.contact_id is not None:
        contact = db.session.get(Contact, message.contact_id)
        if contact is not None:
            opt_out(contact, channel="provider")


@dataclass
class Outcome:
    """What one round of sending did: messages by status, and whether some wait for a retry."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    retry_at: datetime | None = None

    def retry(self, message: Message) -> None:
        if message.status == "queued" and message.not_before is not None:
            if self.retry_at is None or message.not_before < self.retry_at:
                self.retry_at = message.not_before


@contextmanager
def kept_after_commit() -> Iterator[None]:
    """Commits inside do not expire the session's objects (for claimed messages only).

    The claimed (``sending``) messages belong to the job that claimed them until it records
    their fate: a cancel only touches ``queued`` rows and a delivery report only finds a message
    once its provider id is committed, and then changes it with an UPDATE of its own. Expiring
    them at each commit made every later attribute read one SELECT per message.
    """
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before


def deliver(messages: list[Message], settings: Settings, *, commit_last: bool = True) -> Outcome:
    """Hand claimed (``sending``) messages to Africa's Talking and record what became of them.

    Recipients of the same text share a request (as many as the batch size and the shared send
    rate allow). Answers 500-502 and transport errors are retried later with backoff; 403, 406,
    409 and the like are final, and ``UserInBlacklist`` opts the contact out. Each request's
    outcomes are committed before the next request; with ``commit_last=False`` the last one's
    are left to the caller's next commit (a broadcast's next claim, which commits anyway).
    """
    with kept_after_commit():
        return _deliver(messages, settings, commit_last)


def _deliver(messages: list[Message], settings: Settings, commit_last: bool) -> Outcome:
    outcome = Outcome()
    allowed = _drop_opted_out(messages)
    outcome.counts["unsent"] += len(messages) - len(allowed)
    if len(allowed) < len(messages):
        db.session.commit()
    by_text: dict[str, list[Message]] = defaultdict(list)
    for message in allowed:
        by_text[message.text].append(message)
    channel = sms_channel(settings)
    rate = SendRate(redis_client(), settings.send_rate_per_s)
    size = rate.batch_size(settings.send_batch_size)
    batches = [
        (text, group[start : start + size])
        for text, group in by_text.items()
        for start in range(0, len(group), size)
    ]
    for number, (text, batch) in enumerate(batches, 1):
        rate.wait_for(len(batch))
        _send_batch(channel, text, batch)
        for message in batch:
            outcome.counts[message.status] += 1
            outcome.retry(message)
        _store_fates(batch)
        apply_pending_reports([m.provider_id for m in batch if m.provider_id])
        if commit_last or number < len(batches):
            db.session.commit()
    return outcome


def _send_batch(channel: SmsChannel, text: str, batch: list[Message]) -> None:
    try:
        results = channel.send(text, [m.phone for m in batch])
    except TransientSendError as exc:
        if exc.may_have_been_sent:
            for message in batch:
                message.status, message.error = "unknown", "UnknownFate"
            log.warning("send of %d messages may have happened: %s", len(batch), exc)
        else:
            for message in batch:
                _retry_later(message, "TransportError")
        return
    except RequestRejected as exc:
        for message in batch:
            message.status, message.failed_at, message.error = "failed", utcnow(), str(exc)[:64]
        return
    by_phone = {r.phone: r for r in results}
    for message in batch:
        result = by_phone.get(message.phone)
        if result is None:
            _retry_later(message, "Missing")
        else:
            _record(message, result)


# What sending changes on a message; written back for a whole request at once.
_FATE = ("status", "error", "provider_id", "cost", "sent_at", "failed_at", "attempts", "not_before")
_STORE_FATE = (
    update(Message.__table__)
    .where(Message.__table__.c.id == bindparam("message_id"))
    .values({name: bindparam(name) for name in _FATE})
)


def _store_fates(batch: list[Message]) -> None:
    """Write what became of a request's messages in one executemany UPDATE, and detach them.

    The unit of work would do the same one object at a time, at several times the cost (its
    flush was 40% of a broadcast worker's CPU). The detached objects keep their values, and
    the next claim that returns one of them again (a retry come due) gets a fresh object.
    """
    rows = [{"message_id": m.id, **{name: getattr(m, name) for name in _FATE}} for m in batch]
    with db.session.no_autoflush:  # the objects' changes are in ``rows``: not flushed as well
        db.session.execute(_STORE_FATE, rows)
    for message in batch:
        db.session.expunge(message)


@job
def send_messages(message_ids: Sequence[int]) -> dict[str, int]:
    """Send the queued messages among ``message_ids`` (a job: safe to run twice).

    Recipients to be retried are queued again with a delay, and their job is enqueued for then.
    """
    settings = current_settings()
    messages = _claim(message_ids, settings)
    outcome = deliver(messages, settings)
    for message in messages:
        if message.status == "queued":
            enqueue_send(message.id, at=message.not_before, attempt=message.attempts)
    db.session.commit()
    return dict(outcome.counts)
