"""RQ queues named by purpose, the job decorators, and enqueueing that waits for the commit.

A job is a function marked :func:`job` in the module that does its work, enqueued by the
function itself. It is only ever enqueued after the transaction that created its rows has
committed, so the worker always finds what it was given; a rolled-back transaction enqueues
nothing. A periodic job (listed in :data:`gateway.wiring.PERIODIC`) is also marked
:func:`periodic`, so that it runs once however many workers schedule it.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask, has_app_context
from redis.exceptions import LockError, RedisError
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from gateway.extensions import db, redis_client

log = logging.getLogger(__name__)

INBOUND = "inbound"  # incoming SMS to interpret and answer
OUTBOUND = "outbound"  # SMS to hand to Africa's Talking
DEFAULT = "default"  # everything else
ALL = (INBOUND, OUTBOUND, DEFAULT)

# How RQ runs a job again that failed outright (a database error, a killed worker).
SEND_RETRY = Retry(max=4, interval=[5, 30, 120, 600])  # a send of single SMS
JOB_RETRY = Retry(max=3, interval=[10, 60, 300])  # a job that queues SMS to many
# A broadcast's chain: a lost link stops its chain, so it is tried again sooner and longer.
CHAIN_RETRY = Retry(max=10, interval=[1, 5, 30, 60])
CALL_RETRY = Retry(max=3, interval=[10, 30, 60])  # a call-back Africa's Talking could not take
FETCH_RETRY = Retry(max=3, interval=[30, 120, 600])  # a caller's recording, from their store

_PENDING = "pending_jobs"

P = ParamSpec("P")
R = TypeVar("R")
_app: Flask | None = None


def get_queue(name: str) -> Queue:
    return Queue(name, connection=redis_client())


def _standalone_app() -> Flask:
    global _app
    if _app is None:
        from gateway import create_app

        _app = create_app()
    return _app


def job(func: Callable[P, R]) -> Callable[P, R]:
    """Mark ``func`` as an RQ job: it runs with an app context (``worker.py`` pushes one; a
    bare ``rq worker`` gets one built here) and a database session it does not share
    afterwards. Enqueue the function itself; RQ finds it again by its module and name."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not has_app_context():
            with _standalone_app().app_context():
                return run(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()

    return run


def periodic(
    lock: str, seconds: int | Callable[[], int], *, release: bool = False
) -> Callable[[Callable[P, dict[str, int]]], Callable[P, dict[str, int]]]:
    """Mark a periodic job (its counts returned) to run once across every worker.

    A run first takes the Redis lock ``lock`` for ``seconds`` (or for what a function given
    instead says at run time); a run that finds it taken does nothing and returns
    ``{"skipped": 1}``. Without ``release`` the lock is kept until it expires, so a sweep that
    every worker machine schedules runs at most once per ``seconds``. With ``release`` it is
    given back at the end (one run at a time), and expires only if its worker dies holding it.
    Goes under :func:`job`, which provides the app context.
    """

    def decorate(func: Callable[P, dict[str, int]]) -> Callable[P, dict[str, int]]:
        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> dict[str, int]:
            hold_s = seconds() if callable(seconds) else seconds
            taken = redis_client().lock(lock, timeout=hold_s, blocking=False)
            if not taken.acquire():
                return {"skipped": 1}
            try:
                return func(*args, **kwargs)
            finally:
                if release:
                    try:
                        taken.release()
                    except LockError:  # held past its time and taken by another run: theirs
                        pass

        return run

    return decorate


@dataclass
class PendingJob:
    queue: str
    func: Callable[..., Any]
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
            queue.enqueue(self.func, *self.args, **options)


def enqueue_after_commit(
    session: Session | scoped_session[Any],
    queue: str,
    func: Callable[..., Any],
    *args: Any,
    job_id: str | None = None,
    retry: Retry | None = None,
    at: datetime | None = None,
    **options: Any,
) -> PendingJob:
    """Enqueue ``func(*args)`` on ``queue`` once ``session`` commits (nothing if it rolls back).

    ``func`` is a :func:`job`; with ``at``, RQ's scheduler enqueues it then. Jobs are enqueued
    in the order they were asked for; the job returned may still be changed until the commit.
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
