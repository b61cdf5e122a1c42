"""A worker started after another was killed: RQ's scheduler locks the dead one left behind.

RQ gives a queue's scheduler lock to one worker; the others only try again minutes later. A
worker killed with SIGKILL leaves its lock for a minute, and one killed between taking the lock
and forking its scheduler process (which registers the scheduler) leaves a lock whose holder
cannot be found at all: the meeting reminders then waited past their time (a CI run saw 60
reminders held for 45 s). ``worker.py`` frees such locks when it starts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from reliability.processes import worker_env
from rq.scheduler import RQScheduler
from sqlalchemy import select

from gateway.extensions import db, utcnow
from gateway.queues import OUTBOUND
from gateway.sms.models import Message
from gateway.sms.outbound import queue_sms
from worker import release_dead_schedulers

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def _hold(redis: Redis, queue: str, holder: str, pid: int | None, host: str = "") -> None:
    """The lock of ``queue`` held by scheduler ``holder``, registered with ``pid`` (or not)."""
    redis.set(RQScheduler.get_locking_key(queue), holder, ex=61)
    if pid is not None:
        redis.hset(
            f"rq:scheduler:{holder}",
            mapping={"name": holder, "hostname": host or socket.gethostname(), "pid": pid},
        )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_the_locks_of_dead_or_never_registered_schedulers_are_freed(redis: Redis) -> None:
    _hold(redis, "a", "alive-here", os.getpid())
    _hold(redis, "b", "elsewhere", _dead_pid(), host="another-machine")
    _hold(redis, "c", "dead-here", _dead_pid())
    _hold(redis, "d", "killed-before-forking", None)
    released = release_dead_schedulers(redis, ["a", "b", "c", "d", "e"], unborn_grace_s=0.2)
    assert sorted(released) == ["c", "d"]
    held = {q: redis.get(RQScheduler.get_locking_key(q)) for q in "abcde"}
    assert held == {"a": b"alive-here", "b": b"elsewhere", "c": None, "d": None, "e": None}


def test_a_scheduler_that_registers_during_the_grace_keeps_its_lock(redis: Redis) -> None:
    _hold(redis, "a", "forking-now", None)
    pipe = redis.pipeline()
    # Registered (alive) before the grace ends, as a live worker's scheduler process does.
    pipe.hset("rq:scheduler:forking-now", mapping={"hostname": socket.gethostname()})
    pipe.hset("rq:scheduler:forking-now", "pid", os.getpid())
    pipe.execute()
    assert release_dead_schedulers(redis, ["a"], unborn_grace_s=0.2) == []
    assert redis.get(RQScheduler.get_locking_key("a")) == b"forking-now"


def test_a_reminder_goes_out_on_time_after_a_worker_was_killed_holding_the_lock(
    app: Flask, redis: Redis, emulator, database: str, redis_url: str, tmp_path: Path
) -> None:
    with app.app_context():
        message = queue_sms(
            phone="+254700111222",
            text="Reminder: Mui coal blocks meeting today at 14:00, Mui Primary School.",
            kind="meeting_reminder",
            not_before=utcnow() + timedelta(seconds=1),
        )
        db.session.commit()  # scheduled in RQ for a second from now
        message_id = message.id
        db.session.remove()
    # The worker that took the outbound queue's scheduler lock died before its scheduler ran.
    _hold(redis, OUTBOUND, "killed-before-forking", None)
    time.sleep(1.2)
    env = worker_env(database, redis_url, emulator.url)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, "worker.py", "--burst", "--no-periodic"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=60,
            check=True,
        )
    with app.app_context():
        status = db.session.scalar(select(Message.status).where(Message.id == message_id))
        db.session.remove()
    sent = [m["to"] for m in emulator.messages()]
    assert (status, sent) == ("sent", ["+254700111222"]), log.read_text(errors="replace")[-2000:]
