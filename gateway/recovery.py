"""Work the database holds but no queue does: found and enqueued again, once a minute.

The database is the truth and the queues are a way to get work done. A job can go missing
(Redis restarted or unreachable at the moment of enqueueing, retries used up, a worker killed in
the middle of a send); this sweep finds the rows that wait for a job that does not exist and
enqueues them again. The jobs claim their rows, so enqueueing one twice sends nothing twice.
A message killed in the middle of its send call may or may not have reached Africa's Talking:
it is marked ``unknown`` (counted and shown, never silently resent).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import func, select, update

from gateway.extensions import db, redis_client, utcnow
from gateway.sms.inbound import enqueue_handling, handling_job_id
from gateway.sms.models import Message
from gateway.sms.outbound import enqueue_send, send_job_id

log = logging.getLogger(__name__)

GRACE = timedelta(minutes=1)  # a job younger than this may still be on its way to Redis
SEND_CALL_LIMIT = timedelta(minutes=10)  # far beyond the SDK's 3 s + 9 s timeouts
GIVE_UP_AFTER = timedelta(hours=24)
BATCH = 500
LOCK = "gateway:recovery:lock"
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def _has_live_job(job_id: str) -> bool:
    try:
        return Job.fetch(job_id, connection=redis_client()).get_status() in _WAITING
    except NoSuchJobError:
        return False


def recover_stranded() -> dict[str, int]:
    """Enqueue again what lost its job; settle sends whose fate cannot be known. One sweep at
    a time across every worker (a Redis lock), so it may be scheduled on every machine."""
    if not redis_client().set(LOCK, "1", nx=True, ex=50):
        return {"skipped": 1}
    now = utcnow()
    # When a queued message became due: its scheduled time, else when it was queued.
    due = func.coalesce(Message.not_before, Message.queued_at)
    counts = {"inbound": 0, "outbound": 0, "unknown": 0, "expired": 0}
    for message_id in db.session.scalars(
        select(Message.id)
        .where(
            Message.direction == "in", Message.kind == "unhandled", Message.created_at < now - GRACE
        )
        .limit(BATCH)
    ):
        if not _has_live_job(handling_job_id(message_id)):
            enqueue_handling(message_id)
            counts["inbound"] += 1
    for message_id in db.session.scalars(
        select(Message.id)
        .where(
            Message.direction == "out",
            Message.status == "queued",
            due < now - GRACE,
            due > now - GIVE_UP_AFTER,
        )
        .limit(BATCH)
    ):
        if not _has_live_job(send_job_id(message_id)):
            enqueue_send(message_id)
            counts["outbound"] += 1
    counts["unknown"] = len(
        db.session.scalars(
            update(Message)
            .where(Message.status == "sending", Message.claimed_at < now - SEND_CALL_LIMIT)
            .values(status="unknown", error="UnknownFate")
            .returning(Message.id)
        ).all()
    )
    counts["expired"] = len(
        db.session.scalars(
            update(Message)
            .where(Message.status == "queued", due <= now - GIVE_UP_AFTER)
            .values(status="failed", error="Expired", failed_at=now)
            .returning(Message.id)
        ).all()
    )
    db.session.commit()
    if any(counts.values()):
        log.warning("recovery: %s", counts)
    return counts
