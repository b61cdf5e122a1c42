"""USSD hop rate and latency under concurrent sessions, against a hello-world Flask app.

Run from the repository root (both servers are started by this script)::

    .venv/bin/python bench/ussd.py [--sessions 32] [--seconds 20] [--workers N]
                                   [--database-url URL] [--redis-url URL]

What it does:

1. Prepares a database (a fresh SQLite file in a temporary folder unless ``--database-url``),
   migrated with ``flask --app wsgi db upgrade``, and a Redis (``--redis-url``, else
   ``REDIS_URL``, else an embedded Redis in the temporary folder).
2. Seeds ``--contacts`` contacts (English, Kiswahili and Kikamba speakers) through the app's own
   models, so the hop's contact lookup reads a table of realistic size. Seeding is idempotent:
   contacts that exist are kept and given their language back.
3. Starts gunicorn twice on free loopback ports with the Procfile's ``web`` command line
   (``gunicorn APP --bind ... --workers N --access-logfile -``, the access log going to a file):
   once for ``wsgi:app`` (the gateway) and once for ``bench.hello:app`` (``CON hello``).
4. Drives ``--sessions`` concurrent sessions over HTTP/1.1 from a separate process: ``wrk`` with
   a generated Lua script when it is installed (``apt-get install wrk``), else a lean asyncio
   client in a child process. Requests are Africa's Talking's form posts. Each target first gets
   a warm-up of whole sessions (``""``, ``"1"``, ``"1*1"``); the timed window then repeats the
   mid-menu hop (``--hop``, default ``1*1``) with a new sessionId and a random seeded caller on
   every request, so every measured request is a mid-menu hop with a database read. Both
   servers get the same request bytes. Every answer must be HTTP 200 starting with ``CON ``.
5. Alternates the targets (hello, gateway, hello, gateway for ``--rounds 2``) and reports the
   median of the rounds, with each round shown so machine noise is visible.
6. Prints requests/s, p50/p95/p99 latency, errors, the CPU used by the servers and by the load
   generator, Redis commands per hop, and PASS/FAIL against the targets (gateway/hello rate
   >= 0.60, gateway p99 < 50 ms). It exits 0 either way: it is a benchmark, not a test.

The sessions are closed-loop with no think time: each one sends its next hop as soon as the last
is answered, so 32 sessions keep 32 requests in flight and the server is saturated.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PATH = "/at/ussd"
SERVICE_CODE = "*384*123#"
NETWORK_CODE = "63902"
FIRST_PHONE = 254_700_100_000  # seeded callers are +254700100000, +254700100001, ...
LANGUAGES = ("en", "sw", "kam")
TARGET_RATIO = 0.60
TARGET_P99_MS = 50.0
REQUEST_TIMEOUT_S = 10.0  # Africa's Talking gives up after about 10 s
START_TIMEOUT_S = 60.0
GATEWAY_APP = "wsgi:app"
HELLO_APP = "bench.hello:app"
SWEEP = (
    ("sync", 2, 1),
    ("sync", 3, 1),
    ("sync", 4, 1),
    ("sync", 5, 1),
    ("gthread", 2, 4),
    ("gthread", 3, 2),
)


# -- requests in Africa's Talking's wire format ----------------------------------------------
def phone(index: int) -> str:
    return f"+{FIRST_PHONE + index}"


def hop_body(session_id: str, caller: str, text: str) -> bytes:
    """One USSD hop as Africa's Talking posts it (``+`` arrives as ``%2B``)."""
    form = {
        "sessionId": session_id,
        "serviceCode": SERVICE_CODE,
        "phoneNumber": caller,
        "networkCode": NETWORK_CODE,
        "text": text,
    }
    return urlencode(form).encode()


def session_steps(hop: str) -> list[str]:
    """The texts of a session that reaches ``hop``: ``""``, ``"1"``, ``"1*1"`` for ``1*1``."""
    parts = hop.split("*")
    return [""] + ["*".join(parts[: n + 1]) for n in range(len(parts))]


# -- processes and the machine ---------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def wait_for_quiet(limit_s: float, cores: float = 0.2) -> float | None:
    """Wait (at most ``limit_s``) for a second in which the machine uses under ``cores`` cores.

    Other people's builds and tests on a 2-core machine skew a window badly; the servers here
    are idle between windows, so a quiet second means nobody else is busy. The cores used by
    others in the last second checked, or None when it was quiet.
    """
    deadline = time.monotonic() + limit_s
    while True:
        busy0 = machine_busy()
        time.sleep(1.0)
        busy1 = machine_busy()
        used = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * (os.cpu_count() or 1)
        if used < cores:
            return None
        if time.monotonic() >= deadline:
            return used


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def code_state() -> str:
    """The commit benchmarked, and whether gateway/ or flows/ differ from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "gateway", "flows"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"{ROOT} (not a git checkout)"
    return f"{head}" + (" with uncommitted changes in gateway/ or flows/" if dirty else " (clean)")


# -- database and Redis ----------------------------------------------------------------------
def server_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY="bench")
    env.pop("AT_WEBHOOK_SECRET", None)  # the callbacks are posted without ?secret=
    return env


def migrate(database_url: str, redis_url: str) -> None:
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=server_env(database_url, redis_url),
        check=True,
        capture_output=True,
        timeout=300,
    )


def seed_contacts(database_url: str, redis_url: str, count: int, instance: Path) -> int:
    """Make sure the ``count`` bench callers exist with a language; the number now stored."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, insert, select, update

    from gateway import create_app
    from gateway.contacts.models import Contact
    from gateway.extensions import db
    from gateway.settings import load_settings

    settings = replace(
        load_settings({}, instance),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench",
    )
    app = create_app({"GATEWAY": settings})
    phones = [phone(i) for i in range(count)]
    with app.app_context():
        try:
            existing = set(
                db.session.scalars(select(Contact.phone).where(Contact.phone.in_(phones)))
            )
            missing = [
                {"phone": p, "language": LANGUAGES[i % len(LANGUAGES)]}
                for i, p in enumerate(phones)
                if p not in existing
            ]
            if missing:
                db.session.execute(insert(Contact), missing)
            for n, language in enumerate(LANGUAGES):
                db.session.execute(
                    update(Contact)
                    .where(Contact.phone.in_(phones[n :: len(LANGUAGES)]))
                    .values(language=language, language_session_id=None)
                )
            db.session.commit()
            stored: int = db.session.scalar(select(func.count()).select_from(Contact)) or 0
        finally:
            db.session.remove()
            db.engine.dispose()
    return stored


def count_contacts(database_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM contacts")).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def redis_for(given: str | None, directory: Path) -> Iterator[tuple[str, str]]:
    """(URL, description): the given Redis, ``REDIS_URL``, or an embedded one."""
    url = given or os.environ.get("REDIS_URL")
    if url:
        yield url, f"{url} (given)"
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from gateway.embedded_redis import EmbeddedRedis

    with EmbeddedRedis(directory) as server:
        yield server.url, f"embedded redis-server on {server.url}"


def redis_commands(url: str) -> int | None:
    """Redis's own count of commands processed so far (instance-wide), None if unreadable."""
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url)
    try:
        return int(client.info("stats")["total_commands_processed"])
    except (RedisError, OSError, KeyError):
        return None
    finally:
        client.close()


# -- gunicorn --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workers:
    kind: str  # gunicorn worker class: sync or gthread
    count: int
    threads: int = 1

    def flags(self) -> list[str]:
        flags = ["--workers", str(self.count)]
        if self.kind != "sync":
            flags += ["--worker-class", self.kind, "--threads", str(self.threads)]
        return flags

    def __str__(self) -> str:
        threads = f" x {self.threads} threads" if self.kind != "sync" else ""
        return f"{self.count} {self.kind} workers{threads}"


class Server:
    """One gunicorn (master and workers) started like the Procfile's ``web`` process."""

    def __init__(
        self, app: str, workers: Workers, env: dict[str, str], logs: Path, access_log: bool
    ) -> None:
        self.app = app
        self.port = free_port()
        self.command = [
            str(BIN / "gunicorn"),
            app,
            "--bind",
            f"{HOST}:{self.port}",
            *workers.flags(),
        ]
        if access_log:
            self.command += ["--access-logfile", "-"]
        self.env = env
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def __enter__(self) -> Server:
        name = self.app.replace(":", "-")
        stem = self.logs / f"{name}-{self.port}"
        with open(f"{stem}.out", "ab") as out, open(f"{stem}.err", "ab") as err:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=out, stderr=err
            )
        self._wait_ready(stem)
        return self

    def _wait_ready(self, stem: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                tail = Path(f"{stem}.err").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"gunicorn {self.app} exited:\n{tail}")
            try:
                status, _ = self.post(hop_body("ATUid_ready", phone(0), ""))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn {self.app} did not answer within {START_TIMEOUT_S:.0f} s")

    def post(self, body: bytes) -> tuple[int, str]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("POST", PATH, body, {"Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            conn.close()

    def cpu(self) -> dict[int, float]:
        """CPU seconds used so far by the master and by each live worker, by pid."""
        if self.process is None:
            return {}
        pids = [self.process.pid, *children(self.process.pid)]
        return {pid: cpu_seconds(pid) for pid in pids}

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


# -- load generators -------------------------------------------------------------------------
@dataclass
class Load:
    """What one load-generator run saw."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    failures: int  # answered, but not 200 + "CON "
    socket_errors: int  # connect/read/write errors and timeouts
    sample: str  # the first bad answer, for the report
    loadgen_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.failures + self.socket_errors


WRK_SCRIPT = r"""
-- Generated by bench/ussd.py: USSD hops in Africa's Talking's wire format.
-- args: mode ("sessions" or "hop"), number of seeded callers, run tag, the session's texts.
local threads = {}
local thread_count = 0
failures = 0
sample = ""

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

local function encode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  mode = args[1]
  callers = tonumber(args[2])
  tag = args[3]
  steps = {}
  for i = 4, #args do table.insert(steps, encode(args[i])) end
  counter = 0
  math.randomseed(os.time() * 100 + tid)
  head = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port
    .. "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
end

function request()
  counter = counter + 1
  local session, caller, text
  if mode == "sessions" then
    session = math.floor((counter - 1) / #steps)
    text = steps[(counter - 1) % #steps + 1]
    caller = (session * 7919 + tid * 104729) % callers
  else
    session = counter
    text = steps[#steps]
    caller = math.random(0, callers - 1)
  end
  local body = "sessionId=ATUid_" .. tag .. "_" .. tid .. "_" .. session
    .. "&serviceCode=%2A384%2A123%23&phoneNumber=%2B"
    .. string.format("%.0f", FIRST_PHONE + caller)
    .. "&networkCode=63902&text=" .. text
  return head .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
  if status ~= 200 or string.sub(body, 1, 4) ~= "CON " then
    failures = failures + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 100) end
  end
end

local function quoted(s)
  s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
    local s = thread:get("sample")
    if first == "" and s then first = s end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "failures": %d, "socket_errors": %d, "sample": %s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, failed, e.connect + e.read + e.write + e.timeout,
    quoted(first)))
end
""".replace("FIRST_PHONE", str(FIRST_PHONE))


@dataclass(frozen=True)
class LoadSpec:
    port: int
    sessions: int
    seconds: float
    callers: int
    mode: str  # "sessions": whole sessions (warm-up); "hop": the mid-menu hop only
    steps: list[str]
    tag: str
    wrk_threads: int = 1


def run_wrk(spec: LoadSpec, script: Path) -> Load:
    command = [
        "wrk",
        f"-t{spec.wrk_threads}",
        f"-c{spec.sessions}",
        f"-d{max(1, round(spec.seconds))}s",
        f"--timeout={REQUEST_TIMEOUT_S:.0f}s",
        "-s",
        str(script),
        f"http://{HOST}:{spec.port}{PATH}",
        "--",
        spec.mode,
        str(spec.callers),
        spec.tag,
        *spec.steps,
    ]
    before = children_cpu()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=spec.seconds + 60, check=False
    )
    used = children_cpu() - before
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return Load(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        failures=raw["failures"],
        socket_errors=raw["socket_errors"],
        sample=raw["sample"],
        loadgen_cpu=used,
    )


def run_asyncio_client(spec: LoadSpec) -> Load:
    """The asyncio client, in a child process of its own (never in this interpreter)."""
    before = children_cpu()
    done = subprocess.run(
        [sys.executable, __file__, "--loadgen", json.dumps(spec.__dict__)],
        capture_output=True,
        text=True,
        timeout=spec.seconds + 60,
        check=False,
    )
    used = children_cpu() - before
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr}")
    return replace(Load(**json.loads(done.stdout)), loadgen_cpu=used)


class _Requests:
    """The bytes of each request the asyncio client sends, as the wrk script makes them."""

    def __init__(self, spec: LoadSpec) -> None:
        import random

        self.spec = spec
        self.random = random.Random(spec.tag)
        self.counter = 0
        self.head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{spec.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        )

    def __call__(self) -> bytes:
        spec = self.spec
        self.counter += 1
        if spec.mode == "sessions":
            session, step = divmod(self.counter - 1, len(spec.steps))
            text, caller = spec.steps[step], (session * 7919) % spec.callers
        else:
            session, text = self.counter, spec.steps[-1]
            caller = self.random.randrange(spec.callers)
        body = hop_body(f"ATUid_{spec.tag}_{session}", phone(caller), text)
        return f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body


async def _one_session(
    spec: LoadSpec, deadline: float, next_request: Callable[[], bytes], seen: dict[str, Any]
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, spec.port), REQUEST_TIMEOUT_S
                )
            started = time.perf_counter()
            writer.write(next_request())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT_S)
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(
                (k.strip().lower(), v.strip()) for k, _, v in (x.partition(":") for x in lines[1:])
            )
            body = await asyncio.wait_for(
                reader.readexactly(int(headers.get("content-length", "0"))), REQUEST_TIMEOUT_S
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            seen["socket_errors"] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        seen["latencies"].append(time.perf_counter() - started)
        status = int(lines[0].split()[1])
        if status != 200 or not body.startswith(b"CON "):
            seen["failures"] += 1
            seen["sample"] = seen["sample"] or f"{status} {body[:100].decode(errors='replace')}"
        if headers.get("connection", "").lower() == "close":
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def _asyncio_load(spec: LoadSpec) -> Load:
    seen: dict[str, Any] = {"latencies": [], "failures": 0, "socket_errors": 0, "sample": ""}
    next_request = _Requests(spec)
    started = time.perf_counter()
    deadline = started + spec.seconds
    await asyncio.gather(
        *(_one_session(spec, deadline, next_request, seen) for _ in range(spec.sessions))
    )
    ordered = sorted(seen["latencies"])
    return Load(
        requests=len(ordered),
        seconds=time.perf_counter() - started,
        p50_ms=percentile(ordered, 50) * 1000,
        p95_ms=percentile(ordered, 95) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=(ordered[-1] if ordered else 0.0) * 1000,
        failures=seen["failures"],
        socket_errors=seen["socket_errors"],
        sample=seen["sample"],
    )


def loadgen_main(raw: str) -> None:
    spec = LoadSpec(**json.loads(raw))
    load = asyncio.run(_asyncio_load(spec))
    print(json.dumps({k: v for k, v in load.__dict__.items() if k != "loadgen_cpu"}))


# -- one measurement -------------------------------------------------------------------------
@dataclass
class Run:
    round: int
    target: str  # "hello" or "gateway"
    load: Load
    server_cpu: float  # cores used by gunicorn during the window
    worker_cpu: list[float]  # cores used by each gunicorn worker, busiest first
    loadgen_cpu: float  # cores used by the load generator during the window
    machine_busy: float  # share of the whole machine busy during the window
    rest_cpu: float  # cores used by everything else: database, Redis, other people's work
    redis_per_hop: float | None = None


@dataclass
class Bench:
    args: argparse.Namespace
    tmp: Path
    redis_url: str
    script: Path
    use_wrk: bool
    runs: list[Run] = field(default_factory=list)

    def load(self, server: Server, mode: str, seconds: float, tag: str) -> Load:
        spec = LoadSpec(
            port=server.port,
            sessions=self.args.sessions,
            seconds=seconds,
            callers=self.args.contacts,
            mode=mode,
            steps=session_steps(self.args.hop),
            tag=tag,
            wrk_threads=self.args.wrk_threads,
        )
        return run_wrk(spec, self.script) if self.use_wrk else run_asyncio_client(spec)

    def measure(self, server: Server, target: str, round_: int, note: str = "") -> Run:
        tag = f"{target[0]}{round_}{int(time.time()) % 100000}"
        if self.args.quiet_wait > 0:
            others = wait_for_quiet(self.args.quiet_wait)
            if others is not None:
                print(f"  (machine still busy with other work: {others:.2f} cores; going on)")
        warm = self.load(server, "sessions", self.args.warmup, f"w{tag}")
        if warm.errors:
            print(f"  warm-up of {target}: {warm.errors} errors, first: {warm.sample!r}")
        cpu0, busy0, redis0 = server.cpu(), machine_busy(), redis_commands(self.redis_url)
        load = self.load(server, "hop", self.args.seconds, f"m{tag}")
        cpu1, busy1, redis1 = server.cpu(), machine_busy(), redis_commands(self.redis_url)
        seconds = load.seconds or 1.0
        used = {pid: (cpu1[pid] - cpu0.get(pid, 0.0)) / seconds for pid in cpu1}
        workers = sorted((c for pid, c in used.items() if pid != server.pid), reverse=True)
        per_hop = None
        if redis0 is not None and redis1 is not None and load.requests:
            per_hop = max(0, redis1 - redis0 - 1) / load.requests  # less our own INFO
        run = Run(
            round=round_,
            target=target,
            load=load,
            server_cpu=sum(used.values()),
            worker_cpu=workers,
            loadgen_cpu=load.loadgen_cpu / seconds,
            machine_busy=(busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
            rest_cpu=0.0,
            redis_per_hop=per_hop,
        )
        cores = run.machine_busy * (os.cpu_count() or 1)
        run.rest_cpu = max(0.0, cores - run.server_cpu - run.loadgen_cpu)
        self.runs.append(run)
        print(row(run) + (f"  {note}" if note else ""), flush=True)
        return run


# -- report ----------------------------------------------------------------------------------
HEADER = (
    f"{'round':>5}  {'target':<8} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
    f"{'max ms':>7} {'errors':>6}  {'server':>6} {'loadgen':>7} {'rest':>5} {'busy':>5} "
    f"{'redis/hop':>9}  per worker"
)


def row(run: Run) -> str:
    load = run.load
    redis = "-" if run.redis_per_hop is None else f"{run.redis_per_hop:.2f}"
    return (
        f"{run.round:>5}  {run.target:<8} {load.rate:>8.0f} {load.p50_ms:>7.1f} "
        f"{load.p95_ms:>7.1f} {load.p99_ms:>7.1f} {load.max_ms:>7.1f} {load.errors:>6}  "
        f"{run.server_cpu:>6.2f} {run.loadgen_cpu:>7.2f} {run.rest_cpu:>5.2f} "
        f"{run.machine_busy:>5.0%} {redis:>9}  {'/'.join(f'{c:.2f}' for c in run.worker_cpu)}"
    )


@dataclass(frozen=True)
class Summary:
    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def summarise(runs: list[Run]) -> Summary:
    return Summary(
        rate=statistics.median(r.load.rate for r in runs),
        p50_ms=statistics.median(r.load.p50_ms for r in runs),
        p95_ms=statistics.median(r.load.p95_ms for r in runs),
        p99_ms=statistics.median(r.load.p99_ms for r in runs),
        errors=sum(r.load.errors for r in runs),
    )


def report(bench: Bench) -> None:
    hello = summarise([r for r in bench.runs if r.target == "hello"])
    gateway = summarise([r for r in bench.runs if r.target == "gateway"])
    ratio = gateway.rate / hello.rate if hello.rate else 0.0
    sessions = bench.args.sessions
    print()
    print(f"median of {bench.args.rounds} rounds, {sessions} concurrent sessions:")
    for name, s in (("hello", hello), ("gateway", gateway)):
        print(
            f"  {name:<8} {s.rate:>7.0f} req/s   p50 {s.p50_ms:.1f} ms   p95 {s.p95_ms:.1f} ms"
            f"   p99 {s.p99_ms:.1f} ms   errors {s.errors}"
        )
    ratios = [
        g.load.rate / h.load.rate
        for h, g in zip(
            [r for r in bench.runs if r.target == "hello"],
            [r for r in bench.runs if r.target == "gateway"],
            strict=False,
        )
        if h.load.rate
    ]
    each = ", ".join(f"{x:.2f}" for x in ratios)
    print(f"  ratio gateway/hello {ratio:.2f} (per round: {each})")
    print()
    valid = hello.errors == 0 and gateway.errors == 0
    if not valid:
        bad = next(r.load.sample for r in bench.runs if r.load.errors)
        print(f"INVALID: {hello.errors + gateway.errors} errors; first bad answer: {bad!r}")
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(f"{verdict}  hop rate {ratio:.2f} of hello world (target >= {TARGET_RATIO:.2f})")
    verdict = "PASS" if gateway.p99_ms < TARGET_P99_MS else "FAIL"
    print(
        f"{verdict}  hop p99 {gateway.p99_ms:.1f} ms at {sessions} sessions "
        f"(target < {TARGET_P99_MS:.0f} ms{'' if sessions == 32 else '; target is for 32'})"
    )
    if not valid:
        print("(a run with errors is not a valid figure)")


# -- main ------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="USSD hop rate and latency under gunicorn, against a hello-world Flask app."
    )
    parser.add_argument("--sessions", type=int, default=32, help="concurrent sessions (32)")
    parser.add_argument("--seconds", type=float, default=20, help="timed window per run (20)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up before each run (3)")
    parser.add_argument("--rounds", type=int, default=2, help="hello+gateway alternations (2)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3)")
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread"), default="sync", help="(sync)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--database-url", help="e.g. postgresql://postgres@127.0.0.1/bench")
    parser.add_argument("--redis-url", help="default: REDIS_URL, else an embedded Redis")
    parser.add_argument("--contacts", type=int, default=2000, help="seeded callers (2000)")
    parser.add_argument("--hop", default="1*1", help="the measured mid-menu hop's text (1*1)")
    parser.add_argument("--client", choices=("auto", "wrk", "asyncio"), default="auto")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument(
        "--no-access-log", action="store_true", help="drop the Procfile's --access-logfile -"
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="first measure the gateway alone with several worker set-ups, then use the best",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="before each run, wait up to this many seconds for the machine to be idle (120)",
    )
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)  # the asyncio client's child
    args = parser.parse_args(argv)
    limits = ((args.sessions, 1, 1024), (args.seconds, 1, 600), (args.rounds, 1, 10))
    for value, low, high in limits:
        if not low <= value <= high:
            parser.error(f"{value} is outside {low}..{high}")
    return args


def sweep(bench: Bench, env: dict[str, str], logs: Path) -> Workers:
    """Measure the gateway alone under each set-up in SWEEP, ``--rounds`` times interleaved.

    The choice: the highest median rate among the set-ups whose median p99 meets the target
    (among all when none does), never one that had errors.
    """
    setups = [Workers(kind, count, threads) for kind, count, threads in SWEEP]
    print(f"sweep: the gateway alone, each set-up {bench.args.rounds} times, interleaved")
    print(HEADER)
    seen: dict[Workers, list[Run]] = {workers: [] for workers in setups}
    for round_ in range(1, bench.args.rounds + 1):
        for workers in setups:
            with Server(GATEWAY_APP, workers, env, logs, not bench.args.no_access_log) as server:
                seen[workers].append(bench.measure(server, "gateway", round_, str(workers)))
    bench.runs.clear()
    scored: list[tuple[bool, float, Workers]] = []
    for workers, runs in seen.items():
        s = summarise(runs)
        print(
            f"  {str(workers):<28} median {s.rate:>6.0f} req/s   p99 {s.p99_ms:>7.1f} ms"
            f"   errors {s.errors}"
        )
        if s.errors == 0:
            scored.append((s.p99_ms < TARGET_P99_MS, s.rate, workers))
    if not scored:
        raise RuntimeError("every worker set-up had errors")
    chosen = max(scored, key=lambda score: (score[0], score[1]))[2]
    print(f"chosen: {chosen}\n")
    return chosen


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.loadgen:
        loadgen_main(args.loadgen)
        return
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hmk-bench-")))
        redis_url, redis_text = stack.enter_context(redis_for(args.redis_url, tmp / "redis"))
        database_url = args.database_url or f"sqlite:///{tmp / 'gateway.sqlite3'}"
        migrate(database_url, redis_url)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from gateway.settings import database_url as normalised

        stored = seed_contacts(normalised(database_url), redis_url, args.contacts, tmp / "inst")
        script = tmp / "ussd.lua"
        script.write_text(WRK_SCRIPT)
        bench = Bench(args, tmp, redis_url, script, use_wrk)
        env = server_env(database_url, redis_url)
        logs = tmp / "logs"
        logs.mkdir()
        database_text = "fresh SQLite file" if not args.database_url else args.database_url
        wrk_version = (
            "wrk "
            + subprocess.run(
                ["wrk", "--version"], capture_output=True, text=True, check=False
            ).stdout.split()[1]
            if use_wrk
            else ""
        )
        print(f"USSD hop benchmark: {ROOT} at {code_state()}")
        print(
            f"  machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"gunicorn {metadata.version('gunicorn')}, Flask {metadata.version('flask')}, "
            f"SQLAlchemy {metadata.version('sqlalchemy')}"
        )
        print(f"  database: {database_text}, {stored} contacts ({args.contacts} bench callers)")
        print(f"  redis: {redis_text}")
        loadgen = (
            f"{wrk_version}, {args.wrk_threads} thread(s)"
            if use_wrk
            else "asyncio client (wrk not installed), 1 process"
        )
        print(
            f"  load: {loadgen}, {args.sessions} connections = concurrent sessions, closed loop, "
            f"no think time; {args.warmup:.0f} s warm-up + {args.seconds:.0f} s window per run"
        )
        steps = " -> ".join(repr(s) for s in session_steps(args.hop))
        print(
            f"  warm-up: whole sessions {steps}; window: only {args.hop!r}, "
            "a new sessionId and a random seeded caller per request"
        )
        workers = Workers(args.worker_class, args.workers, args.threads)
        if args.sweep:
            workers = sweep(bench, env, logs)
        access = "no access log" if args.no_access_log else "--access-logfile - (to a file)"
        print(f"  gunicorn: {workers}, {access}, same for both apps")
        print(
            "  columns: server, loadgen, rest = CPU cores used in the window by gunicorn, by the "
            "load generator and by everything else (database, Redis, other work on the machine); "
            "busy = share of all cores busy; redis/hop = commands Redis processed per request "
            "(instance-wide counter)"
        )
        access_log = not args.no_access_log
        hello = stack.enter_context(Server(HELLO_APP, workers, env, logs, access_log))
        gateway = stack.enter_context(Server(GATEWAY_APP, workers, env, logs, access_log))
        show_session(gateway, args.hop)
        print()
        print(HEADER)
        for round_ in range(1, args.rounds + 1):
            bench.measure(hello, "hello", round_)
            bench.measure(gateway, "gateway", round_)
        report(bench)
        after = count_contacts(normalised(database_url))
        if after != stored:
            print(f"NOTE: contacts went from {stored} to {after}: the hops created callers")


def show_session(gateway: Server, hop: str) -> None:
    """Dial one session by hand and show its screens, so the measured hop is visible."""
    print("  one session, screen by screen:")
    for text in session_steps(hop):
        status, body = gateway.post(hop_body("ATUid_show", phone(0), text))
        first = body.split("\n", 1)[0]
        print(f"    text={text!r:<8} HTTP {status}  {len(body):>3} chars  {first[:70]!r}")


if __name__ == "__main__":
    main()
