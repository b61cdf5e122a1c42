"""Beep to vote on radio: a burst of missed calls to a poll's option numbers under gunicorn.

A radio show asks listeners to vote by a missed call: 5,000 calls in 60 s from 3,000 numbers
(``--calls``, ``--phones``, ``--seconds``), most to the three option numbers of the show's
poll, some (``--callback-share``, 10%) to the main voice number, which owes a call-back. Each
call is posted as Africa's Talking does: its first request (``isActive=1``), then its final
request (``isActive=0``) 0.3-1.5 s later, and that final request again 0.05-1 s after it.

Run with::

    .venv/bin/python bench/missed_calls.py                   # SQLite file + embedded Redis
    createdb -h 127.0.0.1 -U postgres bench_beep             # once; its schema is dropped
    .venv/bin/python bench/missed_calls.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_beep \\
        --redis-url redis://127.0.0.1:6379/14

It starts what it needs as ``bench/radio_burst.py`` does (a fresh migrated database, Redis,
the bundled emulator, gunicorn with the Procfile's ``web`` command, ``--workers`` worker
processes), with no quiet hours (call-backs are placed at once) and the default call-back
cooldown (10 minutes: longer than the run, so no number may be called back twice).

Two runs on the same servers: ``baseline``, the same posts to a number that is no poll's (each
call is stored and rejected, nothing counted), then ``beeps``. Reported per run: the answer
latency of every post (p50/p95/p99/max; an answer is good when it is HTTP 200 and, for a live
request, ``<Reject/>``), gunicorn's CPU per post, and the ratio of the beeps run to the
baseline. For the beeps run, checked in the database: one vote per number that beeped an
option, the option of its latest such call (none lost, none doubled, none wrong); every vote
call stored once and closed; and in the emulator's record, one call-back per number that rang
the main number and no number called twice. Tally lag: this process reads the tally the
studio board reads (``GET /api/v1/radio/shows/<id>/tally``) every 50 ms; the k-th new voter's
lag is from when its call's first request was sent to the first read whose total reached k
(a vote counted out of order can make one lag look shorter; reads are 50 ms apart).

Targets (issue #15): every post answered in time (HTTP 200 within ``IN_TIME_S``), zero lost
or doubled votes, tally lag p95 < 2 s, no second call-back to any number. It prints PASS/FAIL
and exits 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.radio_burst import (  # noqa: E402
    HOST,
    bench_app,
    drain,
    fresh_database,
    gateway,
    percentile,
    redis_for,
)

MAIN = "+254711082300"  # AT_VOICE_NUMBER
OPTIONS = ("+254711082301", "+254711082302", "+254711082303")
NOBODYS = "+254711082399"  # the baseline's: no poll's number
FIRST_PHONE = 254_700_600_000
IN_TIME_S = 5.0  # an answer later than this counts as not in time
TARGET_LAG_S = 2.0
IN_FLIGHT = 64
READ_EVERY_S = 0.05


@dataclass
class Post:
    at_s: float
    call: int  # index of the call in the plan
    session: str
    phone: str
    to: str
    final: bool


@dataclass
class Plan:
    name: str
    posts: list[Post]
    new_voters: list[int]  # calls that bring a new voter, in the order they are sent
    latest: dict[str, int]  # each voter's option (1-3) by their latest call
    main_callers: set[str]
    vote_calls: int


def make_plan(name: str, args: argparse.Namespace) -> Plan:
    rng = random.Random(f"{args.seed}-{name}")
    phones = [f"+{FIRST_PHONE + n}" for n in range(args.phones)]
    posts: list[Post] = []
    latest: dict[str, int] = {}
    new_voters: list[int] = []
    main_callers: set[str] = set()
    vote_calls = 0
    for i in range(args.calls):
        phone, at_s = phones[i % args.phones], args.seconds * i / args.calls
        if name == "baseline":
            to = NOBODYS
        elif rng.random() < args.callback_share:
            to = MAIN
            main_callers.add(phone)
        else:
            option = rng.randint(1, len(OPTIONS))
            to = OPTIONS[option - 1]
            if phone not in latest:
                new_voters.append(i)
            latest[phone] = option
            vote_calls += 1
        session = f"ATVId_{name}_{i}"
        final_s = at_s + rng.uniform(0.3, 1.5)
        posts.append(Post(at_s, i, session, phone, to, False))
        posts.append(Post(final_s, i, session, phone, to, True))
        posts.append(Post(final_s + rng.uniform(0.05, 1.0), i, session, phone, to, True))
    posts.sort(key=lambda p: p.at_s)
    return Plan(name, posts, new_voters, latest, main_callers, vote_calls)


# -- the load generator (its own process) ------------------------------------------------------
def form(post: Post) -> bytes:
    fields = {
        "isActive": "0" if post.final else "1",
        "sessionId": post.session,
        "direction": "Inbound",
        "callerNumber": post.phone,
        "destinationNumber": post.to,
    }
    if post.final:
        fields.update(
            durationInSeconds="0",
            currencyCode="KES",
            amount="0",
            callSessionState="Completed",
            hangupCause="CALL_REJECTED",
        )
    return urlencode(fields).encode()


async def post_once(port: int, payload: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 30)
    try:
        writer.write(
            f"POST /at/voice HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        return int(head.split(b" ", 2)[1]), await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()


async def generate(spec: dict[str, Any]) -> dict[str, Any]:
    port, posts = spec["port"], [Post(**p) for p in spec["posts"]]
    gate = asyncio.Semaphore(IN_FLIGHT)
    latencies: list[float] = []
    sent_at: dict[int, float] = {}  # call -> when its first request was sent (wall clock)
    seen = Counter[str]()
    start, wall_start = time.monotonic() + 0.5, time.time() + 0.5

    async def deliver(post: Post) -> None:
        async with gate:
            if not post.final:
                sent_at[post.call] = time.time()
            began = time.monotonic()
            try:
                status, body = await post_once(port, form(post))
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                seen["errors"] += 1
                return
            latency = time.monotonic() - began
        latencies.append(latency)
        good = status == 200 and (post.final or b"<Reject/>" in body)
        seen["good" if good else "bad"] += 1
        if latency > IN_TIME_S:
            seen["late"] += 1

    tasks = []
    for post in posts:
        delay = start + post.at_s - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(deliver(post)))
    await asyncio.gather(*tasks)
    latencies.sort()

    def pct(p: float) -> float:
        return percentile(latencies, p) * 1000 if latencies else 0.0

    return {
        **{k: seen[k] for k in ("good", "bad", "errors", "late")},
        "posts": len(posts),
        "window_s": time.time() - wall_start,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
        "sent_at": sent_at,
    }


def run_loadgen(port: int, plan: Plan, directory: Path) -> dict[str, Any]:
    spec = directory / f"plan-{plan.name}.json"
    spec.write_text(json.dumps({"port": port, "posts": [asdict(p) for p in plan.posts]}))
    done = subprocess.run(
        [sys.executable, __file__, "--loadgen", str(spec)],
        capture_output=True,
        text=True,
        timeout=plan.posts[-1].at_s + 900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["sent_at"] = {int(k): v for k, v in result["sent_at"].items()}
    return result


# -- set-up, the tally reader and the checks ---------------------------------------------------
def set_up(app: Any) -> tuple[int, int, str]:
    """The open poll with the three option numbers, a show on air now with it, a token."""
    from gateway.api.models import ApiToken
    from gateway.extensions import db, utcnow
    from gateway.polls.models import Poll, PollOption
    from gateway.radio.models import RadioShow

    with app.app_context():
        now = utcnow()
        tz = app.config["GATEWAY"].timezone
        poll = Poll(
            keyword="MADINI",
            question={"en": "Should the mine publish its EIA report?"},
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=3),
            options=[
                PollOption(position=n, label={"en": f"Option {n}"}, voice_number=number)
                for n, number in enumerate(OPTIONS, 1)
            ],
        )
        db.session.add(poll)
        db.session.flush()
        begin, end = (
            (now - timedelta(hours=1)).astimezone(tz),
            (now + timedelta(hours=2)).astimezone(tz),
        )
        if end.date() != begin.date():  # a show's slot is within one day
            end = begin.replace(hour=23, minute=59)
        show = RadioShow(
            station="Bench FM",
            name="Beep to vote",
            keywords=["MADINI"],
            poll_id=poll.id,
            schedule=[
                {"weekday": begin.weekday(), "start": f"{begin:%H:%M}", "end": f"{end:%H:%M}"}
            ],
        )
        db.session.add(show)
        row, token = ApiToken.issue("bench")
        db.session.add(row)
        db.session.commit()
        return poll.id, show.id, token


class TallyReader(threading.Thread):
    """Reads the board's tally every 50 ms: (wall clock, total votes) per read."""

    def __init__(self, web: str, show_id: int, token: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{web}/api/v1/radio/shows/{show_id}/tally"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.reads: list[tuple[float, int, list[int]]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import requests

        session = requests.Session()
        while not self.stopping.is_set():
            try:
                poll = session.get(self.url, headers=self.headers, timeout=10).json()["poll"]
                counts = [o["votes"] for o in poll["options"]]
                self.reads.append((time.time(), poll["votes"], counts))
            except (requests.RequestException, KeyError, TypeError, ValueError):
                pass
            self.stopping.wait(READ_EVERY_S)

    def lags(self, plan: Plan, sent_at: dict[int, float]) -> list[float | None]:
        lags: list[float | None] = []
        reads = iter(self.reads)
        current = next(reads, None)
        for k, call in enumerate(plan.new_voters, 1):
            while current is not None and current[1] < k:
                current = next(reads, None)
            lags.append(None if current is None else max(0.0, current[0] - sent_at[call]))
        return lags


def db_checks(database_url: str, poll_id: int, plan: Plan) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from gateway.settings import database_url as sqlalchemy_url

    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.phone, o.position, v.channel FROM votes v "
                    "JOIN contacts c ON c.id = v.contact_id "
                    "JOIN poll_options o ON o.id = v.option_id WHERE v.poll_id = :p"
                ),
                {"p": poll_id},
            ).all()
            calls, distinct, open_calls = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT session_id), "
                    "sum(CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END) FROM voice_calls "
                    "WHERE session_id LIKE :s AND purpose = 'vote'"
                ),
                {"s": f"ATVId_{plan.name}_%"},
            ).one()
    finally:
        engine.dispose()
    found = {phone: option for phone, option, _ in rows}
    return {
        "votes": len(rows),
        "expected": len(plan.latest),
        "lost": sum(1 for phone in plan.latest if phone not in found),
        "doubled": len(rows) - len(found),
        "wrong": sum(1 for p, o in plan.latest.items() if p in found and found[p] != o),
        "not_voice": sum(1 for *_, channel in rows if channel != "voice"),
        "vote_calls": calls,
        "vote_calls_expected": plan.vote_calls,
        "calls_twice": calls - distinct,
        "calls_open": int(open_calls or 0),
    }


def callback_checks(emulator: str, plan: Plan) -> dict[str, Any]:
    import requests

    made = requests.get(f"{emulator}/_emulator/voice/requests", timeout=30).json()["requests"]
    per_number = Counter(number for r in made for number in r["to"])
    return {
        "callbacks": sum(per_number.values()),
        "expected": len(plan.main_callers),
        "numbers_called_twice": sum(1 for n in per_number.values() if n > 1),
        "missing": len(plan.main_callers - set(per_number)),
    }


def cpu_s(running: Any, role: str) -> float:
    return running.cpu()[role]


def one_run(name: str, args: argparse.Namespace, running: Any, tmp: Path, ids: Any) -> dict:
    plan = make_plan(name, args)
    poll_id, show_id, token = ids
    reader = TallyReader(running.web, show_id, token) if name == "beeps" else None
    if reader:
        reader.start()
    web_before = cpu_s(running, "web")
    load = run_loadgen(int(running.web.rsplit(":", 1)[1]), plan, tmp)
    web_ms = 1000 * (cpu_s(running, "web") - web_before) / max(1, load["posts"])
    result: dict[str, Any] = {"name": name, "load": load, "web_ms_post": web_ms}
    if reader is None:
        return result
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the tally is what was sent
        last = reader.reads[-1] if reader.reads else None
        want = [Counter(plan.latest.values())[n] for n in range(1, len(OPTIONS) + 1)]
        if last is not None and last[2] == want:
            break
        time.sleep(0.2)
    reader.stopping.set()
    reader.join(5)
    lags = reader.lags(plan, load["sent_at"])
    shown = [lag for lag in lags if lag is not None]
    drain(running.env["REDIS_URL"], {"last_new_accepted": time.time()}, args.drain_timeout)
    result.update(
        votes=db_checks(running.env["DATABASE_URL"], poll_id, plan),
        callbacks=callback_checks(running.emulator, plan),
        lag_p50=percentile(shown, 50) if shown else None,
        lag_p95=percentile(shown, 95) if shown else None,
        lag_max=max(shown) if shown else None,
        never_shown=len(lags) - len(shown),
    )
    return result


def report(runs: list[dict]) -> None:
    print(
        f"{'run':<9} {'posts':>6} {'window':>7} {'good':>6} {'bad':>4} {'err':>4} "
        f"{'late':>4} {'p50ms':>7} {'p95ms':>7} {'p99ms':>7} {'maxms':>7} {'web ms/post':>11}"
    )
    for r in runs:
        ld = r["load"]
        print(
            f"{r['name']:<9} {ld['posts']:>6} {ld['window_s']:>7.1f} {ld['good']:>6} "
            f"{ld['bad']:>4} {ld['errors']:>4} {ld['late']:>4} {ld['p50_ms']:>7.1f} "
            f"{ld['p95_ms']:>7.1f} {ld['p99_ms']:>7.1f} {ld['max_ms']:>7.1f} "
            f"{r['web_ms_post']:>11.2f}"
        )
    base, beeps = runs[0], runs[-1]

    def ratio(key: str) -> float:
        return float(beeps["load"][key] / max(1e-9, base["load"][key]))

    cpu = beeps["web_ms_post"] / max(1e-9, base["web_ms_post"])
    print(
        f"beeps / baseline: answer p95 x{ratio('p95_ms'):.2f}, p99 x{ratio('p99_ms'):.2f}, "
        f"gunicorn CPU per post x{cpu:.2f}"
    )
    ld = beeps["load"]
    answered = ld["good"] == ld["posts"] and not ld["late"]
    print(
        f"{'PASS' if answered else 'FAIL'}  every request answered in time (200 within "
        f"{IN_TIME_S:g} s, <Reject/> for live ones): {ld['good']}/{ld['posts']}, late {ld['late']}"
    )
    v = beeps["votes"]
    ok = v["lost"] == v["doubled"] == v["wrong"] == v["not_voice"] == v["calls_twice"] == 0
    ok = ok and v["votes"] == v["expected"] and v["vote_calls"] == v["vote_calls_expected"]
    print(f"{'PASS' if ok else 'FAIL'}  votes in the database: {v}")
    c = beeps["callbacks"]
    cb_ok = c["numbers_called_twice"] == 0 and c["missing"] == 0
    print(f"{'PASS' if cb_ok else 'FAIL'}  call-backs (emulator record): {c}")
    p95 = beeps["lag_p95"]
    lag_ok = p95 is not None and p95 < TARGET_LAG_S and beeps["never_shown"] == 0
    print(
        f"{'PASS' if lag_ok else 'FAIL'}  tally lag (call sent -> on the board's tally) over "
        f"{len(make_plan('beeps', ARGS).new_voters)} new voters: p50 {beeps['lag_p50']:.2f} s, "
        f"p95 {p95:.2f} s, max {beeps['lag_max']:.2f} s, never shown {beeps['never_shown']} "
        f"(target p95 < {TARGET_LAG_S:g} s)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--calls", type=int, default=5_000, help="missed calls (5000)")
    add("--phones", type=int, default=3_000, help="numbers calling (3000)")
    add("--seconds", type=float, default=60.0, help="window the calls are spread over (60)")
    add("--callback-share", type=float, default=0.1, help="share to the main number (0.1)")
    add("--web-workers", type=int, default=2, help="gunicorn workers (2, as the Procfile)")
    add("--workers", type=int, default=1, help="worker processes (1)")
    add("--simple", action="store_true", help="workers run jobs in-process (SimpleWorker)")
    add("--database-url", help="a PostgreSQL database named bench_* (default: SQLite)")
    add("--redis-url", help="a Redis database of the bench's own (flushed); default: embedded")
    add("--drain-timeout", type=float, default=300.0, help="wait for the queues after a run")
    add("--seed", type=int, default=20261208)
    add("--loadgen", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.phones <= args.calls <= 100_000:
        parser.error("need 1 <= --phones <= --calls <= 100000")
    return args


ARGS: argparse.Namespace


def main(argv: list[str] | None = None) -> None:
    global ARGS
    args = ARGS = parse_args(argv)
    if args.loadgen:
        spec = json.loads(Path(args.loadgen).read_text())
        print(json.dumps(asyncio.run(generate(spec))))
        return
    os.environ.update(GATEWAY_QUIET_HOURS="off", AT_VOICE_NUMBER=MAIN)
    os.environ.pop("GATEWAY_CALLBACK_COOLDOWN", None)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hmk-beep-bench-")))
        redis_url = stack.enter_context(redis_for(args.redis_url, tmp / "redis"))
        database_url = fresh_database(args.database_url, tmp, redis_url)
        print(f"Beep-to-vote benchmark of {ROOT}")
        print(f"  database: {args.database_url or 'a fresh SQLite file'}; redis: {redis_url}")
        print(
            f"  gunicorn (Procfile web) x {args.web_workers}, {args.workers} worker(s), emulator;"
            f" {args.calls} calls from {args.phones} numbers over {args.seconds:g} s, "
            f"{args.callback_share:.0%} to the main number; 3 posts a call (first, final twice)"
        )
        logs = tmp / "logs"
        logs.mkdir()
        running = stack.enter_context(gateway(args, database_url, redis_url, logs))
        app = bench_app(running.env["DATABASE_URL"], redis_url)
        ids = set_up(app)
        runs = [one_run(name, args, running, tmp, ids) for name in ("baseline", "beeps")]
        for run in runs:
            print(f"  {run['name']}: done", flush=True)
        print()
        report(runs)
        cpu = running.cpu()
        print("CPU seconds used in all: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))


if __name__ == "__main__":
    main()
