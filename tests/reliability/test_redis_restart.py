"""Redis restarted in the middle of the work, the worst case: a ``redis-server`` of the test's
own with no persistence (``--save ''``), so that the restart loses every queue, job and note.

A real worker process sends a broadcast while Africa's Talking posts incoming SMS (``HELP``,
each from a number of its own, each answered by an SMS) to the gateway. Redis is killed and an
empty one started on the same port while both go on; the worker is restarted if it died (as
the Procfile's supervisor would), and the recovery sweep is run as the worker's cron scheduler
runs it. In the end nothing is lost (every incoming SMS is stored once and handled, every
broadcast recipient and every sender of an SMS got their text once or is counted ``unknown``)
and nothing is doubled (the emulator's record).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest
import requests
from factories import many_joined_contacts, start_broadcast
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

from gateway.broadcasts.dispatch import progress
from gateway.broadcasts.models import Broadcast
from gateway.extensions import db
from gateway.sms.models import Handling, Message

from .processes import RedisServer, WorkerProcess, sweep, worker_env

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("REDIS_RESTART_SEED", "11"))
CONTACTS = 2000
BATCH = 50
INBOUND = 80
GRACE_S = 2
CALL_LIMIT_S = 3
FIRST_PHONE = 254_733_000_000
SENDERS = 254_744_000_000
TEXTS = {
    "en": "Taita gemstones: the miners' meeting moves to Mwatate, Tuesday 14:00.",
    "sw": "Vito vya Taita: mkutano wa wachimbaji umehamia Mwatate, Jumanne saa 8 mchana.",
}
SETTLED = {"sent", "delivered", "failed", "unknown"}


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(redis_server: RedisServer) -> Iterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture
def app(make_app: Callable[..., Flask], redis_server: RedisServer) -> Flask:
    return make_app(
        redis_url=redis_server.url,
        send_batch_size=BATCH,
        quiet_start=clock(0, 0),
        quiet_end=clock(0, 0),
        recovery_grace_s=GRACE_S,
        send_call_limit_s=CALL_LIMIT_S,
    )


@pytest.fixture
def worker(
    database: str, redis_server: RedisServer, emulator, tmp_path: Path
) -> Iterator[WorkerProcess]:
    env = worker_env(
        database,
        redis_server.url,
        emulator.url,
        GATEWAY_SEND_BATCH_SIZE=str(BATCH),
        GATEWAY_RECOVERY_GRACE=str(GRACE_S),
        GATEWAY_SEND_CALL_LIMIT=str(CALL_LIMIT_S),
    )
    process = WorkerProcess(env, tmp_path / "worker.log")
    yield process
    process.stop()


class Watch:
    """The state of the work, from the database; the sweep run every second (as cron would)."""

    def __init__(self, app: Flask, redis: Redis, broadcast_id: int) -> None:
        self.app, self.redis, self.broadcast_id = app, redis, broadcast_id
        self.sweeps = self.sweep_errors = 0
        self._last = 0.0

    def counts(self) -> dict[str, Any]:
        with self.app.app_context():
            broadcast = db.session.get(Broadcast, self.broadcast_id)
            assert broadcast is not None
            found: dict[str, Any] = {**progress(broadcast), "status": broadcast.status}
            found["inbound"] = db.session.scalar(
                select(func.count()).where(Message.direction == "in")
            )
            found["unhandled"] = db.session.scalar(
                select(func.count()).where(
                    Message.direction == "in", Message.handling_state == Handling.PENDING
                )
            )
            found["replies_waiting"] = db.session.scalar(
                select(func.count()).where(
                    Message.direction == "out",
                    Message.broadcast_id.is_(None),
                    Message.status.in_(("queued", "sending")),
                )
            )
            db.session.remove()
            return found

    def tick(self) -> None:
        if time.monotonic() - self._last < 1.0:
            return
        self._last = time.monotonic()
        try:
            self.sweeps += sweep(self.redis)
        except (RedisError, OSError):
            self.sweep_errors += 1  # Redis is down: cron would not run either


def test_redis_restarted_mid_run_loses_nothing_and_doubles_nothing(
    app: Flask,
    redis_server: RedisServer,
    own_redis: Redis,
    emulator,
    worker: WorkerProcess,
    at,
):
    rng = random.Random(SEED)
    many_joined_contacts(app, CONTACTS, FIRST_PHONE, county="Taita-Taveta")
    requests.put(
        f"{emulator.url}/_emulator/rules",
        json={"next_requests": {"delay_s": 0.05, "count": 10**6}},
        timeout=5,
    ).raise_for_status()
    broadcast_id, _ = start_broadcast(app, "Mwatate meeting", TEXTS)
    watch = Watch(app, own_redis, broadcast_id)

    # Africa's Talking posting SMS through the restart, from its own thread.
    answers: list[tuple[int, str]] = []
    senders = [f"+{SENDERS + n}" for n in range(INBOUND)]

    def post_inbound() -> None:
        for n, sender in enumerate(senders):
            response = at.sms(sender, "HELP", message_id=f"ATXid_restart{n}")
            answers.append((response.status_code, response.get_data(as_text=True)))
            time.sleep(0.06)

    started = time.monotonic()
    worker.start()
    while watch.counts()["sent"] < CONTACTS // 5:
        worker.assert_alive()
        assert time.monotonic() - started < 60, watch.counts()
        time.sleep(0.05)
    poster = threading.Thread(target=post_inbound)
    poster.start()
    time.sleep(rng.uniform(0.3, 1.0))
    before = watch.counts()
    redis_server.restart(down_s=rng.uniform(0.5, 1.5))
    restart_s = time.monotonic() - started
    worker_restarts = 0
    deadline = time.monotonic() + 80
    while True:
        counts = watch.counts()
        done = (
            counts["status"] == "sent"
            and counts["queued"] == counts["sending"] == 0
            and not poster.is_alive()
            and counts["unhandled"] == 0
            and counts["replies_waiting"] == 0
        )
        if done:
            break
        assert time.monotonic() < deadline, f"the work was not finished: {counts}"
        if not worker.alive:  # RQ's worker may stop when its Redis vanished: supervised
            worker.start()
            worker_restarts += 1
        watch.tick()
        time.sleep(0.05)
    poster.join()
    elapsed = time.monotonic() - started

    with app.app_context():
        rows = db.session.execute(
            select(Message.phone, Message.status).where(Message.broadcast_id == broadcast_id)
        ).all()
        inbound = db.session.execute(
            select(Message.phone, Message.kind, Message.handling_state).where(
                Message.direction == "in"
            )
        ).all()
        replies = db.session.execute(
            select(Message.phone, Message.status).where(
                Message.direction == "out", Message.broadcast_id.is_(None)
            )
        ).all()
        db.session.remove()
    received = Counter(m["to"] for m in emulator.messages() if m["status"] == "Success")
    statuses = Counter(status for _, status in rows)
    reply_statuses = Counter(status for _, status in replies)
    print(
        f"\nseed {SEED}: Redis restarted at {restart_s:.1f} s (broadcast then: "
        f"sent {before['sent']}, queued {before['queued']}, inbound {before['inbound']}); "
        f"worker restarted {worker_restarts} times; {watch.sweeps} sweeps "
        f"({watch.sweep_errors} could not reach Redis); done in {elapsed:.1f} s"
    )
    print(
        f"  broadcast: {dict(statuses)}; inbound {len(inbound)} "
        f"({dict(Counter(k for _, k, _ in inbound))}); replies {dict(reply_statuses)}; "
        f"callback answers {dict(Counter(code for code, _ in answers))}"
    )

    # Every callback was answered 200, and every SMS is stored once and handled.
    assert [code for code, _ in answers] == [200] * INBOUND, answers
    assert sorted(phone for phone, _, _ in inbound) == sorted(senders)
    assert all(state != Handling.PENDING for _, _, state in inbound)
    # Nothing doubled: no number got anything twice at the emulator.
    twice = {phone: n for phone, n in received.items() if n > 1}
    assert not twice, f"received more than once: {twice}"
    # Nothing lost: every broadcast recipient and every sender got their text, unless unknown.
    assert len(rows) == CONTACTS and set(statuses) <= SETTLED, statuses
    assert [p for p, s in rows if s != "unknown" and received[p] != 1] == []
    assert sorted(phone for phone, _ in replies) == sorted(senders)
    assert [p for p, s in replies if s != "unknown" and received[p] != 1] == []
    assert set(reply_statuses) <= SETTLED, reply_statuses
    # The unknown are few: at most one request in flight when Redis went.
    assert statuses["unknown"] <= 2 * BATCH, statuses
