"""Broadcast throughput and worker memory, against the bundled Africa's Talking emulator.

Run from the repository root (every process is started by this script)::

    .venv/bin/python bench/broadcast.py [--sizes 10000 100000] [--repeat 2] [--workers 1]
                                        [--database-url URL] [--redis-url URL]
                                        [--rate 50 --rate-size 1500 --rate-workers 2]

What it does, for each size and each repeat:

1. A fresh database: a new SQLite file in a temporary folder, or with ``--database-url`` a
   PostgreSQL database whose ``public`` schema is dropped and recreated (its name must contain
   ``bench``: ``createdb -h 127.0.0.1 -U postgres bench_broadcast``); migrated with
   ``flask --app wsgi db upgrade``. A Redis: an embedded one in the temporary folder, or
   ``--redis-url`` (that Redis database is flushed before each run: give the bench its own).
2. Seeds N contacts with consent, in turn English, Kiswahili and Kikamba speakers.
3. Starts the emulator as its own process (``python -m gateway.channels.emulator``, no latency)
   and ``--workers`` worker processes (``python worker.py --no-periodic``; batches of 100, no
   quiet hours), waits until they are registered with RQ, then creates the broadcast to
   everyone (English and Kiswahili texts; Kikamba falls back to Kiswahili) in this process,
   as the API would.
4. Measures the wall time from creating the broadcast to the last recipient recorded at the
   emulator (its ``received_at``), recipients per second over all of it and over the steady
   middle 80% (the 10th to the 90th percentile recipient), and the workers' peak memory: the
   sum over each worker and its children (RQ's work horse, its scheduler) of VmRSS and of Pss
   (``/proc/PID/smaps_rollup``, which shares copy-on-write pages out fairly), sampled every
   100 ms. RSS double-counts the pages a forked horse shares with its worker; Pss does not.
5. Baseline, same run: the same recipients posted by a plain loop through the ``africastalking``
   SDK (``SmsChannel``) in batches of 100, in ``--workers`` processes, to a fresh emulator; the
   gateway's rate is shown as a ratio of it.
6. Rate cap: ``GATEWAY_SEND_RATE=50`` with ``--rate-size`` recipients and ``--rate-workers``
   workers; from the emulator's ``received_at`` the most recipients in any sliding one-second
   window, against the cap plus 5%.

Prints every run and the medians, with PASS/FAIL against the targets (>= 2,000 recipients/s;
peak memory at the largest size within 25% of the smallest; no one-second window over 52.5).
It exits 0 either way: it is a benchmark, not a test. The ``busy`` column is the cores the
machine used in the second before a run (the bench first waits up to ``--quiet-wait`` seconds
for an idle machine): other people's work on a 2-core machine skews a run badly. ``CPU ms`` is
the workers' CPU time (work horses included) per 100 recipients, which contention moves less.

Other options: ``--profile FILE`` samples the first worker and its work horses with py-spy
(``.venv/bin/pip install py-spy``) during the first run of the largest size, writes the raw
stacks to FILE and prints the busiest gateway and ORM functions; ``--worker-script PATH`` runs
another entry point than ``worker.py`` (to measure a patched worker); ``--json FILE``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
FIRST_PHONE = 254_710_000_000  # recipients are +254710000000, +254710000001, ...
LANGUAGES = ("en", "sw", "kam")
TEXTS = {
    "en": "Community meeting on the Mui coal blocks, Saturday 10:00 at Mui Primary School.",
    "sw": "Mkutano wa jamii kuhusu vitalu vya makaa ya Mui, Jumamosi saa 4 asubuhi, Shule ya Mui.",
}
RECEIVED_TEXT = {"en": TEXTS["en"], "sw": TEXTS["sw"], "kam": TEXTS["sw"]}  # Kikamba: fallback
BATCH = 100
TARGET_RATE = 2000.0
MEMORY_GROWTH = 1.25  # the largest size's peak over the smallest's
RATE_SLACK = 1.05
SAMPLE_S = 0.1
RUN_TIMEOUT_S = 900.0


# -- processes ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc's children lists."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, Pss) of one process in kB; zeros if it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


class MemorySampler(threading.Thread):
    """Peak memory of some process trees, summed, sampled every ``SAMPLE_S``."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_rss_kb = self.peak_pss_kb = self.peak_process_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            sizes = [memory_kb(p) for root in self.pids for p in process_tree(root)]
            self.peak_rss_kb = max(self.peak_rss_kb, sum(rss for rss, _ in sizes))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(pss for _, pss in sizes))
            self.peak_process_kb = max([self.peak_process_kb, *(rss for rss, _ in sizes)])
            self._done.wait(SAMPLE_S)

    def stop(self) -> None:
        self._done.set()
        self.join()


def cpu_seconds(roots: list[int]) -> float:
    """CPU time used so far by ``roots`` and their descendants, the reaped ones (RQ's finished
    work horses) included."""
    ticks = 0
    for root in roots:
        for pid in process_tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime, stime, and for the roots cutime, cstime (children reaped so far); a
            # descendant's own reaped children are counted in its cutime when it is reaped.
            ticks += int(fields[11]) + int(fields[12])
            if pid == root:
                ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def wait_for_quiet(limit_s: float, cores: float = 0.3) -> float:
    """Wait (at most ``limit_s``) for a second in which the machine uses under ``cores`` cores
    (others' builds and tests skew a run badly on a 2-core machine); the cores busy in the
    last second checked."""
    deadline = time.monotonic() + limit_s
    while True:
        before = machine_busy()
        time.sleep(1.0)
        after = machine_busy()
        used = (after[0] - before[0]) / max(1, after[1] - before[1]) * (os.cpu_count() or 1)
        if used < cores or time.monotonic() >= deadline:
            return used


def stop_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process and its descendants (RQ's work horse has a process group of its
    own, so signalling the group would miss it), then SIGKILL what is left."""
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        for pid in process_tree(process.pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@contextmanager
def emulator(logs: Path) -> Iterator[str]:
    """The emulator in its own process on a free port; its base URL."""
    port = free_port()
    process = start(
        [sys.executable, "-m", "gateway.channels.emulator", "--port", str(port)],
        dict(os.environ),
        logs / f"emulator-{port}.log",
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/_emulator/requests", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start; see {logs}")
            time.sleep(0.1)
        yield url
    finally:
        stop_tree(process)


def recorded(url: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{url}/_emulator/messages", timeout=120)
    answer.raise_for_status()
    return list(answer.json()["messages"])


def timestamps(messages: list[dict[str, Any]]) -> list[float]:
    return sorted(datetime.fromisoformat(m["received_at"]).timestamp() for m in messages)


# -- database and Redis -------------------------------------------------------------------
def worker_env(database_url: str, redis_url: str, at_url: str, rate: float) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("AT_API_KEY", "AT_USERNAME", "AT_WEBHOOK_SECRET"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        AT_API_URL=at_url,
        SECRET_KEY="bench",
        GATEWAY_SEND_BATCH_SIZE=str(BATCH),
        GATEWAY_QUIET_HOURS="off",
        GATEWAY_MONTHLY_BUDGET_KES="1000000000",
        GATEWAY_SEND_RATE=str(rate),
    )
    return env


def fresh_database(given: str | None, directory: Path, name: str, redis_url: str) -> str:
    """An empty, migrated database: a new SQLite file, or ``given`` with its schema reset."""
    if given:
        from sqlalchemy import create_engine, make_url, text

        from gateway.settings import database_url

        url = database_url(given)
        if "bench" not in (make_url(url).database or ""):
            raise SystemExit("--database-url: its schema is dropped; name it bench_something")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{directory / f'{name}.sqlite3'}"
    migrated = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=url, REDIS_URL=redis_url, SECRET_KEY="bench"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if migrated.returncode:
        raise RuntimeError(f"flask db upgrade failed:\n{migrated.stderr[-3000:]}")
    return url


def bench_app(database_url: str, redis_url: str, rate: float) -> Any:
    from gateway import create_app
    from gateway.settings import load_settings

    settings = replace(
        load_settings({}, ROOT / "instance"),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench",
        send_batch_size=BATCH,
        quiet_start=clock(0, 0),
        quiet_end=clock(0, 0),
        monthly_budget_kes=1e9,
        send_rate_per_s=rate,
    )
    return create_app({"GATEWAY": settings})


def phones(size: int) -> list[str]:
    return [f"+{FIRST_PHONE + n}" for n in range(size)]


def expected_text(phone: str) -> str:
    """The text a seeded recipient must get: their language's, or its fallback's."""
    return RECEIVED_TEXT[LANGUAGES[(int(phone) - FIRST_PHONE) % len(LANGUAGES)]]


def seed_contacts(app: Any, size: int) -> None:
    """``size`` contacts with consent (and its event), in turn en, sw and kam speakers."""
    from sqlalchemy import insert, literal, select

    from gateway.contacts.models import ConsentEvent, Contact
    from gateway.extensions import db, utcnow

    now = utcnow()
    with app.app_context():
        numbers = phones(size)
        for start_at in range(0, size, 20_000):
            db.session.execute(
                insert(Contact),
                [
                    {
                        "phone": numbers[n],
                        "language": LANGUAGES[n % len(LANGUAGES)],
                        "county": "Kitui",
                        "consent_at": now,
                        "consent_channel": "bench",
                        "consent_wording": "consent.v1",
                    }
                    for n in range(start_at, min(size, start_at + 20_000))
                ],
            )
        db.session.execute(
            insert(ConsentEvent).from_select(
                ["contact_id", "action", "channel", "wording_version", "language", "created_at"],
                select(
                    Contact.id,
                    literal("granted"),
                    literal("bench"),
                    literal("consent.v1"),
                    Contact.language,
                    literal(now),
                ),
            )
        )
        db.session.commit()
        db.session.remove()


def create(app: Any) -> int:
    from gateway.broadcasts.dispatch import create_broadcast
    from gateway.extensions import db

    with app.app_context():
        broadcast, _ = create_broadcast(
            name="Bench",
            texts=TEXTS,
            audience={},
            send_at=None,
            urgent=False,
            urgent_reason=None,
            created_by="bench",
        )
        db.session.commit()  # the start job is enqueued now
        broadcast_id: int = broadcast.id
        db.session.remove()
        return broadcast_id


def broadcast_status(app: Any, broadcast_id: int) -> str:
    from gateway.broadcasts.models import Broadcast
    from gateway.extensions import db

    with app.app_context():
        broadcast = db.session.get(Broadcast, broadcast_id)
        status = broadcast.status if broadcast is not None else "missing"
        db.session.remove()
        return str(status)


@contextmanager
def redis_for(given: str | None, directory: Path) -> Iterator[str]:
    if given:
        yield given
        return
    from gateway.embedded_redis import EmbeddedRedis

    with EmbeddedRedis(directory) as server:
        yield server.url


# -- the measurements ---------------------------------------------------------------------
@dataclass
class Run:
    size: int
    workers: int
    seconds: float  # broadcast created → last recipient at the emulator
    rate: float
    middle_rate: float
    peak_rss_mb: float
    peak_pss_mb: float
    peak_process_mb: float  # the largest single process seen
    cpu_ms_per_100: float  # the workers' CPU time (horses included) per 100 recipients
    recorded: int
    duplicates: int
    missing: int  # recipients the emulator never got
    wrong_text: int  # recipients who got another language's text than theirs
    busy: float = 0.0  # cores the machine used in the second before the run (others' work)
    baseline_rate: float = 0.0
    windows: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline_rate if self.baseline_rate else 0.0


def middle_rate(stamps: list[float]) -> float:
    low, high = stamps[len(stamps) // 10], stamps[(len(stamps) * 9) // 10 - 1]
    return (0.8 * len(stamps)) / (high - low) if high > low else float("inf")


def max_window(stamps: list[float], width_s: float = 1.0) -> int:
    """The most recipients whose ``received_at`` falls in one window of ``width_s``."""
    best, first = 0, 0
    for last, moment in enumerate(stamps):
        while moment - stamps[first] >= width_s:
            first += 1
        best = max(best, last - first + 1)
    return best


def run_gateway(
    args: argparse.Namespace,
    size: int,
    workers: int,
    rate: float,
    work: Path,
    name: str,
    profile: Path | None = None,
) -> Run:
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_for(args.redis_url, work / f"redis-{name}"))
        from redis import Redis
        from rq import Worker

        redis = Redis.from_url(redis_url)
        redis.flushdb()
        database_url = fresh_database(args.database_url, work, name, redis_url)
        app = bench_app(database_url, redis_url, rate)
        seed_contacts(app, size)
        at_url = stack.enter_context(emulator(work))
        env = worker_env(database_url, redis_url, at_url, rate)
        processes = [
            start(
                [sys.executable, args.worker_script, "--no-periodic"],
                env,
                work / f"{name}-w{n}.log",
            )
            for n in range(workers)
        ]
        for process in processes:
            stack.callback(stop_tree, process)
        deadline = time.monotonic() + 60
        while Worker.count(connection=redis) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError(f"the workers did not start; see {work}")
            time.sleep(0.1)
        busy = wait_for_quiet(args.quiet_wait)
        sampler = MemorySampler([p.pid for p in processes])
        sampler.start()
        cpu_before = cpu_seconds([p.pid for p in processes])
        spy = start_profiler(processes[0].pid, profile) if profile else None
        created = time.time()
        broadcast_id = create(app)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while broadcast_status(app, broadcast_id) != "sent":
            if time.monotonic() > deadline:
                raise RuntimeError(f"broadcast {broadcast_id} not sent in {RUN_TIMEOUT_S} s")
            time.sleep(0.25)
        sampler.stop()
        cpu = cpu_seconds([p.pid for p in processes]) - cpu_before
        if spy is not None:
            stop_profiler(spy)
        messages = [m for m in recorded(at_url) if m["status"] == "Success"]
        stamps = timestamps(messages)
        seconds = stamps[-1] - created
        redis.close()
        for leftover in work.glob(f"{name}.sqlite3*"):
            leftover.unlink()
        return Run(
            size=size,
            workers=workers,
            seconds=seconds,
            rate=len(stamps) / seconds,
            middle_rate=middle_rate(stamps),
            peak_rss_mb=sampler.peak_rss_kb / 1024,
            peak_pss_mb=sampler.peak_pss_kb / 1024,
            peak_process_mb=sampler.peak_process_kb / 1024,
            cpu_ms_per_100=100_000 * cpu / max(1, len(messages)),
            recorded=len(messages),
            busy=busy,
            duplicates=len(messages) - len({m["to"] for m in messages}),
            missing=size - len({m["to"] for m in messages} & set(phones(size))),
            wrong_text=sum(1 for m in messages if m["text"] != expected_text(m["to"])),
            windows={"max_1s": max_window(stamps), "span_s": stamps[-1] - stamps[0]},
        )


def _post_share(at_url: str, share: list[tuple[str, list[str]]], begin_at: float) -> float:
    """Post ``share`` (text, phones) requests one after the other; the wall time it ended."""
    from gateway.channels.africastalking import SmsChannel

    channel = SmsChannel(username="emulator", api_key="emulator", api_url=at_url)
    time.sleep(max(0.0, begin_at - time.time()))
    for text, numbers in share:
        channel.send(text, numbers)
    return time.time()


def run_baseline(size: int, workers: int, work: Path, quiet_wait: float) -> float:
    """Recipients per second that a plain SDK loop hands to a fresh emulator."""
    numbers = phones(size)
    batches = [
        (RECEIVED_TEXT[language], group[start_at : start_at + BATCH])
        for n, language in enumerate(LANGUAGES)
        for group in [numbers[n :: len(LANGUAGES)]]
        for start_at in range(0, len(group), BATCH)
    ]
    with emulator(work) as at_url:
        wait_for_quiet(quiet_wait)
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            begin_at = time.time() + 2.0  # every process imported and waiting
            ends = pool.starmap(
                _post_share, [(at_url, batches[n::workers], begin_at) for n in range(workers)]
            )
        got = len(recorded(at_url))
    if got != size:
        raise RuntimeError(f"baseline: the emulator recorded {got} of {size}")
    return size / (max(ends) - begin_at)


# -- profiling (--profile) --------------------------------------------------------------------
def start_profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` and its forked children (the work horses) into ``out``."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    command = [spy, "record", "--subprocesses", "--nonblocking", "--rate", "200"]
    command += ["--format", "raw", "--output", str(out), "--pid", str(pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(spy: subprocess.Popen[bytes]) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    spy.wait(timeout=60)


def hot_spots(raw: Path, top: int = 15) -> list[tuple[float, float, str]]:
    """(% of samples inside, % on top of the stack, function) for the busiest functions of
    the gateway and SQLAlchemy's ORM, from py-spy's collapsed stacks."""
    inside: dict[str, int] = {}
    on_top: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [f.rsplit(":", 1)[0] + ")" for f in stack.split(";")[1:]]
        count = int(samples)
        total += count
        on_top[frames[-1]] = on_top.get(frames[-1], 0) + count
        for frame in set(frames):
            inside[frame] = inside.get(frame, 0) + count
    wanted = [
        f for f in inside if "(gateway/" in f or "(sqlalchemy/orm/" in f or "(africastalking/" in f
    ]
    wanted.sort(key=lambda f: -inside[f])
    return [(100 * inside[f] / total, 100 * on_top.get(f, 0) / total, f) for f in wanted[:top]]


# -- the report ---------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(runs: list[Run], rate_runs: list[Run], args: argparse.Namespace) -> dict[str, Any]:
    header = (
        f"{'size':>8} {'run':>4} {'wall s':>7} {'rcpt/s':>7} {'mid80/s':>8} {'SDK/s':>7} "
        f"{'ratio':>6} {'RSS MB':>7} {'Pss MB':>7} {'proc MB':>8} {'CPU ms':>6} {'dupes':>5} "
        f"{'busy':>5}"
    )
    print(f"\nBroadcast throughput (workers: {args.workers}, batch {BATCH})")
    print(header)
    medians: dict[int, dict[str, float]] = {}
    for size in args.sizes:
        mine = [r for r in runs if r.size == size]
        for n, r in enumerate(mine, 1):
            print(
                f"{size:>8} {n:>4} {r.seconds:>7.2f} {r.rate:>7.0f} {r.middle_rate:>8.0f} "
                f"{r.baseline_rate:>7.0f} {r.ratio:>6.2f} {r.peak_rss_mb:>7.1f} "
                f"{r.peak_pss_mb:>7.1f} {r.peak_process_mb:>8.1f} {r.cpu_ms_per_100:>6.1f} "
                f"{r.duplicates:>5} {r.busy:>5.2f}"
            )
        median = {
            key: statistics.median(getattr(r, key) for r in mine)
            for key in (
                "seconds",
                "rate",
                "middle_rate",
                "baseline_rate",
                "ratio",
                "peak_rss_mb",
                "peak_pss_mb",
                "peak_process_mb",
                "cpu_ms_per_100",
            )
        }
        medians[size] = median
        print(
            f"{size:>8} {'med':>4} {median['seconds']:>7.2f} {median['rate']:>7.0f} "
            f"{median['middle_rate']:>8.0f} {median['baseline_rate']:>7.0f} "
            f"{median['ratio']:>6.2f} {median['peak_rss_mb']:>7.1f} "
            f"{median['peak_pss_mb']:>7.1f} {median['peak_process_mb']:>8.1f} "
            f"{median['cpu_ms_per_100']:>6.1f}"
        )
    largest, smallest = max(args.sizes), min(args.sizes)
    rate_ok = all(m["rate"] >= TARGET_RATE for m in medians.values())
    growth = medians[largest]["peak_pss_mb"] / medians[smallest]["peak_pss_mb"]
    rates = ", ".join(f"{size}: {m['rate']:.0f}/s" for size, m in medians.items())
    print(f"\n  throughput >= {TARGET_RATE:.0f}/s at every size (median): {verdict(rate_ok)}")
    print(f"    ({rates})")
    print(
        f"  memory does not grow ({largest} vs {smallest}, Pss, <= x{MEMORY_GROWTH}): "
        f"{verdict(growth <= MEMORY_GROWTH)} (x{growth:.2f})"
    )
    faults = [
        (r.size, r.duplicates, r.missing, r.wrong_text)
        for r in runs + rate_runs
        if r.duplicates or r.missing or r.wrong_text
    ]
    print(
        f"  every recipient exactly once, in their language (emulator's record, every run): "
        f"{verdict(not faults)}"
    )
    for size, twice, missing, wrong in faults:
        print(f"    size {size}: {twice} twice, {missing} missing, {wrong} wrong text")
    summary: dict[str, Any] = {"runs": [r.__dict__ for r in runs], "medians": medians}
    if rate_runs:
        cap = args.rate * RATE_SLACK
        windows = [r.windows["max_1s"] for r in rate_runs]
        print(
            f"\nRate cap {args.rate:.0f}/s ({args.rate_size} recipients, "
            f"{args.rate_workers} workers): most recipients in one second, per run: "
            f"{windows}; effective rate "
            f"{[round(r.recorded / r.windows['span_s'], 1) for r in rate_runs]}/s; dupes "
            f"{[r.duplicates for r in rate_runs]}"
        )
        print(
            f"  no one-second window over {cap:.1f}: {verdict(max(windows) <= cap)} "
            f"(median {statistics.median(windows)}, worst {max(windows)})"
        )
        summary["rate_runs"] = [r.__dict__ for r in rate_runs]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each configuration")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--database-url", help="PostgreSQL (its schema is reset); else SQLite")
    parser.add_argument("--redis-url", help="a Redis database for the bench alone (flushed)")
    parser.add_argument("--rate", type=float, default=50.0, help="the rate cap run's cap (0: skip)")
    parser.add_argument("--rate-size", type=int, default=1500)
    parser.add_argument("--rate-workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="seconds to wait, before each run, for a second in which the machine is idle",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy the first worker during the first run of the largest size; raw stacks here",
    )
    parser.add_argument(
        "--worker-script",
        default="worker.py",
        help="the worker's entry point (to try a patched worker; default worker.py)",
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    print(f"database: {args.database_url or 'SQLite'}; redis: {args.redis_url or 'embedded'}")
    print(f"logs and databases in {work}")
    runs, rate_runs = [], []
    try:
        for n in range(args.repeat):
            for size in args.sizes:
                name = f"b{size}-{n}"
                profile = args.profile if n == 0 and size == max(args.sizes) else None
                run = run_gateway(args, size, args.workers, 0.0, work, name, profile)
                run.baseline_rate = run_baseline(size, args.workers, work, args.quiet_wait)
                runs.append(run)
                print(
                    f"  {size} recipients, run {n + 1}: {run.rate:.0f}/s "
                    f"(SDK loop {run.baseline_rate:.0f}/s), peak Pss {run.peak_pss_mb:.0f} MB",
                    flush=True,
                )
            if args.rate > 0:
                run = run_gateway(
                    args, args.rate_size, args.rate_workers, args.rate, work, f"rate-{n}"
                )
                rate_runs.append(run)
                print(f"  rate cap run {n + 1}: max {run.windows['max_1s']} in 1 s", flush=True)
        summary = report(runs, rate_runs, args)
        if args.profile:
            print(
                f"\nHot spots in the worker (py-spy, {max(args.sizes)} recipients; {args.profile})"
            )
            print(f"{'inside':>7} {'self':>6}  function")
            for inside, own, function in hot_spots(args.profile):
                print(f"{inside:>6.1f}% {own:>5.1f}%  {function}")
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2, default=str))
    except BaseException:
        print(f"failed: the logs are in {work}", file=sys.stderr)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
