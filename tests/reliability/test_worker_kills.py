"""A worker killed with SIGKILL in the middle of a guide-series run and of a meeting's
announcement and reminders, again and again.

A real worker process (``python worker.py``, a forked work horse per job) does the work; the
test kills its whole session at seeded random moments, restarts it, and plays RQ's cron
scheduler: the recovery sweeps every second and the weekly series job again (its lock let go,
as if it had expired). The emulator's record then proves that every person due an excerpt, an
alert or a reminder got it exactly once, except those whose send was in flight at a kill:
``unknown``, counted, never sent again.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest
import requests
from factories import many_joined_contacts
from flask import Flask
from redis import Redis
from rq import Queue
from sqlalchemy import func, insert, select

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.guides.models import GuideSubscription
from gateway.guides.series import LOCK as SERIES_LOCK
from gateway.guides.series import send_due_series
from gateway.meetings.announce import LOCK as MEETINGS_LOCK
from gateway.meetings.announce import recover_meeting_jobs
from gateway.queues import DEFAULT, OUTBOUND
from gateway.sms.models import Message

from .processes import WorkerProcess, sweep, worker_env

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("KILLS_SEED", "3"))
PEOPLE = 60  # one send job (a forked work horse) each: ~0.5 s apiece on a busy machine
GRACE_S = 2
CALL_LIMIT_S = 3
REMINDER_IN_S = 45  # room for an announcement killed and run again before the reminder's time
SETTLED = {"sent", "delivered", "failed", "unknown"}
STALL_S = 10  # nothing moved for this long, and no send job waits: what is left is held
HARD_LIMIT = 4  # times a phase's timeout: slow is waited for, stuck work fails the test


@pytest.fixture
def app(make_app: Callable[..., Flask], redis: Redis) -> Flask:
    return make_app(
        quiet_start=clock(0, 0),
        quiet_end=clock(0, 0),
        recovery_grace_s=GRACE_S,
        send_call_limit_s=CALL_LIMIT_S,
        meeting_reminders=(timedelta(hours=2),),
        min_spacing=timedelta(0),  # as the worker's (below)
    )


@pytest.fixture
def worker(database: str, redis_url: str, emulator, tmp_path: Path) -> Iterator[WorkerProcess]:
    env = worker_env(
        database,
        redis_url,
        emulator.url,
        GATEWAY_RECOVERY_GRACE=str(GRACE_S),
        GATEWAY_SEND_CALL_LIMIT=str(CALL_LIMIT_S),
        GATEWAY_MEETING_REMINDERS="2h",
        # The reminder falls due 45 s after the alert: no spacing, but the day's cap, so every
        # send still goes through pacing's claim-time count under the kills.
        GATEWAY_MIN_SPACING="off",
    )
    process = WorkerProcess(env, tmp_path / "worker.log")
    yield process
    process.stop()


def _slow_emulator(emulator) -> None:
    """50 ms a request, so that kills find sends in flight."""
    requests.put(
        f"{emulator.url}/_emulator/rules",
        json={"next_requests": {"delay_s": 0.05, "count": 10**6}},
        timeout=5,
    ).raise_for_status()


def _messages(app: Flask, kinds: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Message.phone, Message.kind, Message.status, Message.dedupe_key).where(
                Message.kind.in_(kinds)
            )
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _open(app: Flask, kinds: tuple[str, ...]) -> int:
    with app.app_context():
        n = db.session.scalar(
            select(func.count()).where(
                Message.kind.in_(kinds), Message.status.in_(("queued", "sending"))
            )
        )
        db.session.remove()
    return int(n or 0)


def _jobs_of_queued(app: Flask, redis: Redis) -> Counter[str]:
    """What RQ says of the send jobs of the messages still queued (for a failure message)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from gateway.sms.outbound import send_job_id

    with app.app_context():
        rows = db.session.execute(
            select(Message.id, Message.attempts, Message.not_before).where(
                Message.status == "queued"
            )
        ).all()
        db.session.remove()
    found: Counter[str] = Counter()
    for message_id, attempts, not_before in rows:
        job_id = send_job_id(message_id) + (f"-retry{attempts}" if attempts else "")
        try:
            found[f"{Job.fetch(job_id, connection=redis).get_status()}"] += 1
        except NoSuchJobError:
            found[f"no job (attempts {attempts}, due {not_before})"] += 1
    return found


def _kill_and_recover(
    app: Flask,
    redis: Redis,
    worker: WorkerProcess,
    rng: random.Random,
    finished: Callable[[], bool],
    cron: Callable[[], None],
    progress: Callable[[], Any],
    timeout_s: float = 80,
    start: bool = True,
    stuck: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Start the worker, kill it 2-4 times at random moments while work is left, restart it;
    sweep (and ``cron``) every second until ``finished()``. With ``stuck``, what is left once
    the timeout has passed and nothing has moved for ``STALL_S`` with no send job waiting in
    the queue is counted (``stuck()``) instead of failing: on a busy machine the sends after
    the kills can simply be slow, and those are waited for (up to ``HARD_LIMIT`` times the
    timeout)."""
    started = time.monotonic()
    kills, sweeps, last = 0, 0, 0.0
    left, moved = -1, started
    if start:
        worker.start()
    for _ in range(rng.randint(2, 4)):
        time.sleep(rng.uniform(0.8, 2.5))
        if finished():
            break
        worker.assert_alive()
        worker.kill()
        kills += 1
        worker.start()
    while not finished():
        now = time.monotonic()
        if stuck is not None:
            if (held := stuck()) != left:
                left, moved = held, now
            stalled = now - moved >= STALL_S and not Queue(OUTBOUND, connection=redis).count
            if now - started >= timeout_s and stalled:
                return {"kills": kills, "sweeps": sweeps, "seconds": now - started, "stuck": held}
            limit = timeout_s * HARD_LIMIT
        else:
            limit = timeout_s
        assert now - started < limit, f"not finished in time: {progress()}"
        worker.assert_alive()
        if time.monotonic() - last >= 1.0:
            last = time.monotonic()
            sweeps += sweep(redis)
            cron()
        time.sleep(0.05)
    return {"kills": kills, "sweeps": sweeps, "seconds": time.monotonic() - started, "stuck": 0}


def test_a_worker_killed_mid_series_sends_each_excerpt_once(
    app: Flask, redis: Redis, emulator, worker: WorkerProcess
):
    rng = random.Random(SEED)
    many_joined_contacts(app, PEOPLE, 254_755_000_000, county="Kitui")
    with app.app_context():
        long_ago = utcnow() - timedelta(days=8)  # before this week's series time, whenever now is
        db.session.execute(
            insert(GuideSubscription),
            [
                {"contact_id": cid, "guide": "coal", "next_chapter": 0, "active": True}
                | {"created_at": long_ago, "updated_at": long_ago}
                for cid in db.session.scalars(select(Contact.id))
            ],
        )
        db.session.commit()
        db.session.remove()
    _slow_emulator(emulator)
    kinds = ("guide_series",)

    def moved_on() -> int:
        with app.app_context():
            n = db.session.scalar(select(func.count()).where(GuideSubscription.next_chapter == 1))
            db.session.remove()
        return int(n or 0)

    def series_run() -> None:  # the weekly job, as cron enqueues it; its lock as if expired
        queue = Queue(DEFAULT, connection=redis)
        if not any((job.func_name or "").endswith("send_due_series") for job in queue.jobs):
            redis.delete(SERIES_LOCK)
            queue.enqueue(send_due_series)

    series_run()
    found = _kill_and_recover(
        app,
        redis,
        worker,
        rng,
        finished=lambda: moved_on() == PEOPLE and _open(app, kinds) == 0,
        cron=series_run,
        progress=lambda: (
            moved_on(),
            Counter(s for _, _, s, _ in _messages(app, kinds)),
            _jobs_of_queued(app, redis),
        ),
    )

    rows = _messages(app, kinds)
    received = Counter(m["to"] for m in emulator.messages() if m["status"] == "Success")
    statuses = Counter(status for _, _, status, _ in rows)
    print(f"\nseed {SEED}: series of {PEOPLE}: {found}; {dict(statuses)}")
    with app.app_context():
        phones = set(db.session.scalars(select(Contact.phone)))
        db.session.remove()
    # One excerpt per subscriber (the first chapter), each settled.
    assert len(rows) == PEOPLE and {p for p, _, _, _ in rows} == phones
    assert {key.rsplit(":", 2)[0] for _, _, _, key in rows} == {"series:coal:0"}
    assert set(statuses) <= SETTLED, statuses
    assert found["kills"] >= 1
    # Nobody twice; everyone not unknown exactly once.
    assert not {p: n for p, n in received.items() if n > 1}
    assert [p for p, _, s, _ in rows if s != "unknown" and received[p] != 1] == []
    assert statuses["unknown"] <= found["kills"], statuses  # one single-SMS send per kill


def _reminder_times(app: Flask) -> tuple[datetime, Counter[datetime | None]]:
    """Now, and when the reminders may go (for a failure's message)."""
    with app.app_context():
        times = Counter(
            db.session.scalars(
                select(Message.not_before).where(Message.kind == "meeting_reminder")
            ).all()
        )
        db.session.remove()
    return utcnow(), times


def test_a_worker_killed_mid_meeting_sends_each_alert_and_reminder_once(
    app: Flask, redis: Redis, emulator, worker: WorkerProcess
):
    rng = random.Random(SEED + 1)
    many_joined_contacts(app, PEOPLE, 254_766_000_000, county="Kitui")
    _slow_emulator(emulator)
    kinds = ("meeting_alert", "meeting_reminder")
    # The reminder (2 h before) falls due half a minute from now (the announcement must run
    # before that, or it leaves the reminder out): the kills find the alerts, then the
    # reminders, going out.
    with app.app_context():
        from gateway.meetings.notices import create_meeting

        meeting = create_meeting(
            title={"en": "Mui coal blocks", "sw": "Vitalu vya makaa ya Mui"},
            county="Kitui",
            ward="Mui",
            place="Mui Primary School",
            starts_at=utcnow() + timedelta(hours=2, seconds=REMINDER_IN_S),
        )
        reminders_at = time.monotonic() + REMINDER_IN_S
        db.session.commit()  # the announcement is enqueued now
        meeting_id = meeting.id
        db.session.remove()

    def due() -> int:
        with app.app_context():
            n = db.session.scalar(
                select(func.count()).where(
                    Message.kind == "meeting_reminder", Message.not_before <= utcnow()
                )
            )
            db.session.remove()
        return int(n or 0)

    def meeting_cron() -> None:
        redis.delete(MEETINGS_LOCK)
        Queue(DEFAULT, connection=redis).enqueue(recover_meeting_jobs)

    alerts = ("meeting_alert",)
    first = _kill_and_recover(
        app,
        redis,
        worker,
        rng,
        finished=lambda: len(_messages(app, kinds)) == 2 * PEOPLE and _open(app, alerts) == 0,
        cron=meeting_cron,
        # An alert whose send job was killed before it claimed its message waits until RQ finds
        # the job abandoned (late, never lost or doubled): counted with the reminders below.
        stuck=lambda: _open(app, alerts),
        timeout_s=60,
        progress=lambda: (
            due(),
            Counter((k, s) for _, k, s, _ in _messages(app, kinds)),
            [
                line[-300:]
                for line in worker.log.read_text(errors="replace").splitlines()
                if "announce" in line or "Error" in line or "meeting" in line
            ][-12:],
        ),
    )
    # Then while the reminders, held by RQ's scheduler until their time, go out.
    while not due():
        assert time.monotonic() < reminders_at + 20, (
            "the reminders never fell due",
            Counter((k, s) for _, k, s, _ in _messages(app, kinds)),
            _reminder_times(app),
        )
        time.sleep(0.1)
    second = _kill_and_recover(
        app,
        redis,
        worker,
        rng,
        finished=lambda: due() == PEOPLE and _open(app, kinds) == 0,
        cron=meeting_cron,
        progress=lambda: (due(), Counter((k, s) for _, k, s, _ in _messages(app, kinds))),
        start=False,
        timeout_s=45,
        stuck=lambda: _open(app, kinds),
    )
    found = {key: first[key] + second[key] for key in first}
    recovered = [
        line.split("recovery: ", 1)[1]
        for line in worker.log.read_text(errors="replace").splitlines()
        if "recovery: " in line
    ]
    rows = _messages(app, kinds)
    got = Counter((m["to"], m["text"]) for m in emulator.messages() if m["status"] == "Success")
    statuses = Counter((kind, status) for _, kind, status, _ in rows)
    print(
        f"\nseed {SEED + 1}: meeting {meeting_id} to {PEOPLE}: alerts {first}, reminders "
        f"{second}; {dict(statuses)}; the sweeps' work: {recovered}; still held by a "
        f"killed job: {second['stuck']}"
    )
    with app.app_context():
        texts = dict(
            db.session.execute(
                select(Message.dedupe_key, Message.text).where(Message.kind.in_(kinds))
            ).all()
        )
        db.session.remove()
    # One alert and one reminder per person, each settled.
    assert Counter(kind for _, kind, _, _ in rows) == {k: PEOPLE for k in kinds}
    assert {status for _, status in statuses} <= SETTLED | {"queued"}, statuses
    assert first["kills"] >= 1 and second["kills"] >= 1
    # Nobody got one twice; everyone not unknown got each exactly once.
    assert not {k: n for k, n in got.items() if n > 1}
    # A send job killed after RQ took it from the queue and before it claimed its message
    # stays "started" (or "queued") in RQ until RQ finds it abandoned and retries it; the
    # sweep trusts RQ and leaves the message queued until then: late, never lost or doubled.
    held = [(p, kind) for p, kind, status, _ in rows if status == "queued"]
    assert len(held) == second["stuck"] <= first["kills"] + second["kills"], (
        held,
        _jobs_of_queued(app, redis),
    )
    assert all(got[(p, texts[key])] == 0 for p, _, status, key in rows if status == "queued")
    missing = [
        (p, kind)
        for p, kind, status, key in rows
        if status not in ("unknown", "queued") and got[(p, texts[key])] != 1
    ]
    assert missing == []
    unknown = sum(n for (_, status), n in statuses.items() if status == "unknown")
    assert unknown <= found["kills"], statuses
