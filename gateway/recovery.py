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
from datetime import datetime, timedelta

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import func, select, update

from gateway.broadcasts.dispatch import enqueue_start, send_broadcast_chunk
from gateway.broadcasts.models import Broadcast
from gateway.extensions import db, redis_client, utcnow
from gateway.queues import OUTBOUND, enqueue_after_commit, job, periodic, worker_alive
from gateway.settings import Settings, current_settings
from gateway.sms.delivery import apply_pending_reports
from gateway.sms.models import DeliveryReport, Handling, Message
from gateway.sms.outbound import enqueue_send, send_job_id
from gateway.sms.receive import enqueue_handling
from gateway.sms.wake import handling_job_id

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=24)
BATCH = 500
LOCK = "gateway:recovery:lock"
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def _has_live_job(job_id: str) -> bool:
    """Whether ``job_id`` is waiting or running; a job "started" by a worker that is known dead
    (killed on this machine) is not."""
    try:
        job = Job.fetch(job_id, connection=redis_client())
        status = job.get_status()
    except NoSuchJobError:
        return False
    if status == JobStatus.STARTED:
        return worker_alive(job.worker_name)
    if status == JobStatus.QUEUED:
        # A worker that took the job from its queue and was killed before starting it leaves
        # it "queued" in no queue, where nothing would ever run it.
        return Queue(job.origin, connection=redis_client()).get_job_position(job_id) is not None
    return status in _WAITING


def sweep_lock_s() -> int:
    """How long a sweep's lock is held: a little less than the grace, so that a sweep every
    worker machine schedules each minute runs about once a minute."""
    return max(1, current_settings().recovery_grace_s - 10)


@job
@periodic(LOCK, sweep_lock_s)
def recover_stranded() -> dict[str, int]:
    """Enqueue again what lost its job; settle sends whose fate cannot be known. One sweep at
    a time across every worker (a Redis lock), so it may be scheduled on every machine."""
    settings = current_settings()
    now = utcnow()
    grace = timedelta(seconds=settings.recovery_grace_s)
    counts = {
        "inbound": _inbound(now - grace),
        "outbound": _outbound(now, now - grace),
        "broadcasts": _broadcasts(now - grace, settings),
        "unknown": _unknown(now - timedelta(seconds=settings.send_call_limit_s)),
        "expired": _expired(now),
        "reports": _reports(),
    }
    db.session.commit()
    if any(counts.values()):
        log.warning("recovery: %s", counts)
    return counts


def _inbound(before: datetime) -> int:
    found = 0
    for message_id in db.session.scalars(
        select(Message.id)
        .where(Message.handling_state == Handling.PENDING, Message.created_at < before)
        .limit(BATCH)
    ):
        if not _has_live_job(handling_job_id(message_id)):
            enqueue_handling(message_id)
            found += 1
    return found


def _outbound(now: datetime, before: datetime) -> int:
    """Single messages (not broadcasts: their chains are revived whole) without a job."""
    due = func.coalesce(Message.not_before, Message.queued_at)  # when it became due
    found = 0
    for message_id, attempts in db.session.execute(
        select(Message.id, Message.attempts)
        .where(
            Message.direction == "out",
            Message.status == "queued",
            Message.broadcast_id.is_(None),
            due < before,
            due > now - GIVE_UP_AFTER,
        )
        .limit(BATCH)
    ):
        job_id = send_job_id(message_id) + (f"-retry{attempts}" if attempts else "")
        if not _has_live_job(job_id):
            enqueue_send(message_id, attempt=attempts)
            found += 1
    return found


def _broadcasts(before: datetime, settings: Settings) -> int:
    """Start broadcasts whose start job went missing; revive those whose chains all died
    (queued messages due, and nothing claimed for a while)."""
    found = 0
    minute = int(utcnow().timestamp() // 60)
    for broadcast in db.session.scalars(
        select(Broadcast).where(Broadcast.status.in_(("scheduled", "sending")))
    ):
        if broadcast.status == "scheduled":
            if (broadcast.send_at or broadcast.created_at) < before:
                # The start job's id names its time, so this replaces a waiting one.
                enqueue_start(broadcast, settings)
                found += 1
            continue
        last_claim = db.session.scalar(
            select(func.max(Message.claimed_at)).where(Message.broadcast_id == broadcast.id)
        )
        due_waiting = db.session.scalar(
            select(func.count()).where(
                Message.broadcast_id == broadcast.id,
                Message.status == "queued",
                (Message.not_before.is_(None)) | (Message.not_before < before),
            )
        )
        # Messages waiting for a later time (a retry's backoff, a contact's pacing slot): the
        # chain waits for them; revived above once they are due, if its link went missing.
        waiting_later = db.session.scalar(
            select(func.count()).where(
                Message.broadcast_id == broadcast.id,
                Message.status == "queued",
                Message.not_before >= before,
            )
        )
        idle = (last_claim or broadcast.started_at or broadcast.created_at) < before
        if due_waiting and idle:
            _enqueue_chain(broadcast.id, f"broadcast-{broadcast.id}-revive{minute}-0")
            found += 1
        elif not due_waiting and not waiting_later and idle:
            _enqueue_chain(broadcast.id, f"broadcast-{broadcast.id}-finish{minute}-0")
    return found


def _enqueue_chain(broadcast_id: int, job_id: str) -> None:
    enqueue_after_commit(db.session, OUTBOUND, send_broadcast_chunk, broadcast_id, job_id=job_id)


def _unknown(claimed_before: datetime) -> int:
    return len(
        db.session.scalars(
            update(Message)
            .where(Message.status == "sending", Message.claimed_at < claimed_before)
            .values(status="unknown", error="UnknownFate")
            .returning(Message.id)
        ).all()
    )


def _reports() -> int:
    """Apply delivery reports kept while their message's id was unknown, now that it is known.

    A report and the send that stores its message's id can miss each other: the report is
    committed while the send's transaction is open (the send looked for early reports before
    that commit), and the report's handler looks for the message before the send commits."""
    provider_ids = db.session.scalars(
        select(DeliveryReport.provider_id)
        .join(Message, Message.provider_id == DeliveryReport.provider_id)
        .where(DeliveryReport.applied_at.is_(None))
        .distinct()
        .limit(BATCH)
    ).all()
    return apply_pending_reports(provider_ids)


def _expired(now: datetime) -> int:
    due = func.coalesce(Message.not_before, Message.queued_at)
    return len(
        db.session.scalars(
            update(Message)
            .where(
                Message.status == "queued",
                Message.broadcast_id.is_(None),
                due <= now - GIVE_UP_AFTER,
            )
            .values(status="failed", error="Expired", failed_at=now)
            .returning(Message.id)
        ).all()
    )
