"""RQ queues named by purpose, and enqueueing that waits for the database commit.

A job is only ever enqueued after the transaction that created its rows has committed, so the
worker always finds what it was given; a rolled-back transaction enqueues nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from gateway.extensions import redis_client

log = logging.getLogger(__name__)

INBOUND = "inbound"  # incoming SMS to interpret and answer
OUTBOUND = "outbound"  # SMS to hand to Africa's Talking
DEFAULT = "default"  # everything else
ALL = (INBOUND, OUTBOUND, DEFAULT)

_PENDING = "pending_jobs"


def get_queue(name: str) -> Queue:
    return Queue(name, connection=redis_client())


@dataclass
class PendingJob:
    queue: str
    func: Callable[..., Any] | str
    args: tuple[Any, ...]
    job_id: str | None = None
    retry: Retry | None = None
    options: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    # The SAVEPOINT it was asked for in (None: the transaction itself); if that rolls back, so
    # does this job.
    savepoint: SessionTransaction | None = None

    def asked_within(self, savepoint: SessionTransaction) -> bool:
        transaction = self.savepoint
        while transaction is not None:
            if transaction is savepoint:
                return True
            transaction = transaction.parent
        return False

    def enqueue(self) -> None:
        queue = get_queue(self.queue)
        options = {"job_id": self.job_id, "retry": self.retry, **self.options}
        if self.at is not None and self.at > datetime.now(UTC):
            queue.enqueue_at(self.at, self.func, *self.args, **options)
        else:
            # RQ takes a callable or its dotted path; its type hints name only the first.
            queue.enqueue(self.func, *self.args, **options)  # type: ignore[type-var]


def enqueue_after_commit(
    session: Session | scoped_session[Any],
    queue: str,
    func: Callable[..., Any] | str,
    *args: Any,
    job_id: str | None = None,
    retry: Retry | None = None,
    at: datetime | None = None,
    **options: Any,
) -> PendingJob:
    """Enqueue ``func(*args)`` on ``queue`` once ``session`` commits (nothing if it rolls back).

    ``func`` may be a dotted path (``"gateway.jobs.send_messages"``), as RQ allows; with
    ``at``, RQ's scheduler enqueues it then. Jobs are enqueued in the order they were asked
    for; the job returned may still be changed until the commit.
    """
    current = session() if isinstance(session, scoped_session) else session
    savepoint = current.get_nested_transaction()
    job = PendingJob(queue, func, args, job_id, retry, options, at, savepoint)
    session.info.setdefault(_PENDING, []).append(job)
    return job


def withdraw(session: Session | scoped_session[Any], job: PendingJob) -> None:
    """Forget a job asked for with :func:`enqueue_after_commit` that is not needed after all."""
    pending: list[PendingJob] = session.info.get(_PENDING, [])
    if job in pending:
        pending.remove(job)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    """Enqueue what the committed transaction asked for.

    The rows are committed whatever happens here: if Redis cannot take a job now, the row
    stays as it is (a message ``queued``, an SMS ``pending``) and :mod:`gateway.recovery`
    enqueues it again, so a Redis outage delays work but loses none, and the request still gets
    its answer.
    Releasing a SAVEPOINT (``begin_nested``) fires this event too: that is not yet a commit.
    """
    if session.in_nested_transaction():
        return
    pending: list[PendingJob] = session.info.pop(_PENDING, [])
    for job in pending:
        try:
            job.enqueue()
        except (RedisError, OSError) as exc:
            log.warning("job %s not enqueued, left for recovery: %s", job.job_id, exc)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous: SessionTransaction) -> None:
    """Forget the jobs the rolled-back transaction asked for: for a SAVEPOINT (a duplicate
    caught with ``begin_nested``), only those asked for inside it."""
    if previous.nested:
        pending: list[PendingJob] = session.info.get(_PENDING, [])
        session.info[_PENDING] = [job for job in pending if not job.asked_within(previous)]
    elif previous.parent is None:
        session.info.pop(_PENDING, None)


def process_alive(hostname: str, pid: int) -> bool:
    """Whether a process that registered as ``pid`` on ``hostname`` may still run: on another
    machine we cannot tell, so it may; on this one, only if the pid exists."""
    if hostname != socket.gethostname() or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_alive(worker_name: str | None) -> bool:
    """Whether the RQ worker that took a job may still be working on it. A worker killed with
    SIGKILL keeps its key (and its jobs stay "started") for minutes; one on this machine whose
    process is gone is known dead at once."""
    if not worker_name:
        return True
    from rq import Worker

    worker = Worker.find_by_key(
        Worker.redis_worker_namespace_prefix + worker_name, connection=redis_client()
    )
    if worker is None:
        return False
    return process_alive(worker.hostname or "", worker.pid or 0)
