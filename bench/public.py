"""The public site's poll results page under load: a poll with 100,000 votes, served by the
Procfile's web command (gunicorn, gevent workers), against a hello-world page in the same run.

Run from the repository root (the servers are started by this script)::

    .venv/bin/python bench/public.py [--votes 100000] [--seconds 10] [--connections 32]

What it does:

1. Makes a fresh SQLite database in a temporary folder (``--database-url`` for another),
   migrated with ``flask --app wsgi db upgrade``, and a Redis (``REDIS_URL`` or an embedded one).
2. Seeds ``--votes`` voters across the counties and wards of ``flows/areas.yaml`` and one public
   poll with a vote from each (bulk inserts through the app's models).
3. Times the first, uncached render of ``/results/poll/<id>`` in a process of its own (the app
   built, the page rendered once with the cache off, then five more times: median).
4. Starts gunicorn twice with the Procfile's ``web`` options (``--workers 2 --worker-class
   gevent``, ``gunicorn.conf.py`` read as in production, no access log): once for the gateway,
   once for ``bench.public:hello`` (a Flask app answering a small fixed page).
5. Drives each with ``--connections`` keep-alive HTTP/1.1 connections from a child process (a
   lean asyncio client) for ``--seconds``, after a warm-up, asking for the full page (no
   If-None-Match: every answer is a 200 with the whole page, from each worker's cache after its
   first render). Prints requests/s, p50/p99, the ratio to hello, and PASS/FAIL against the
   targets (>= 1,000 requests/s cached; first render < 300 ms). It exits 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask, Response

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
TARGET_RATE = 1000.0
TARGET_FIRST_MS = 300.0

# The baseline: the smallest Flask app answering a GET with a fixed page.
hello = Flask(__name__)


@hello.get("/results/poll/<int:poll_id>")
def hello_page(poll_id: int) -> Response:
    return Response("<!doctype html><title>hello</title><p>hello</p>", mimetype="text/html")


def _gateway_app(database_url: str, redis_url: str, instance: Path, **overrides: object) -> Flask:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from gateway import create_app
    from gateway.settings import load_settings

    settings = replace(
        load_settings({}, instance),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench",
        **overrides,  # type: ignore[arg-type]
    )
    return create_app({"GATEWAY": settings})


def seed(database_url: str, redis_url: str, instance: Path, votes: int) -> int:
    """Voters across the counties and wards, one public poll with a vote from each; its id."""
    from sqlalchemy import insert, select

    from gateway.areas import areas
    from gateway.contacts.models import Contact
    from gateway.extensions import db, utcnow
    from gateway.polls.models import Poll, PollOption, Vote

    app = _gateway_app(database_url, redis_url, instance)
    with app.app_context():
        places = [(c, w) for c, county in areas().items() for w in (county.wards or [None])]
        now = utcnow()
        db.session.execute(
            insert(Contact),
            [
                {
                    "phone": f"+2547{n:08d}",
                    "language": "sw",
                    "county": places[n % len(places)][0],
                    "ward": places[n % len(places)][1],
                }
                for n in range(votes)
            ],
        )
        poll = Poll(
            keyword="BENCH",
            question={"en": "Should the county publish the mine's EIA report?"},
            public=True,
            opens_at=now,
            closes_at=now,
            options=[PollOption(position=n, label={"en": f"Option {n}"}) for n in (1, 2, 3)],
        )
        db.session.add(poll)
        db.session.flush()
        options = [o.id for o in poll.options]
        contacts = db.session.execute(select(Contact.id, Contact.county, Contact.ward)).all()
        db.session.execute(
            insert(Vote),
            [
                {
                    "poll_id": poll.id,
                    "contact_id": cid,
                    "option_id": options[(cid * 7) % 3],
                    "channel": "sms",
                    "county": county,
                    "ward": ward,
                    "language": "sw",
                    "voted_at": now,
                }
                for cid, county, ward in contacts
            ],
        )
        db.session.commit()
        poll_id: int = poll.id
        db.session.remove()
        db.engine.dispose()
    return poll_id


def first_render(
    database_url: str, redis_url: str, instance: Path, poll_id: int
) -> dict[str, float]:
    """The page rendered with no cache: the first time in a fresh process, then the median."""
    app = _gateway_app(database_url, redis_url, instance, public_cache_s=0)
    client = app.test_client()
    times = []
    for _ in range(6):
        started = time.perf_counter()
        answer = client.get(f"/results/poll/{poll_id}")
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200 or b"people answered" not in answer.data:
            raise RuntimeError(f"the results page answered {answer.status_code}")
    size = len(client.get(f"/results/poll/{poll_id}").data)
    image = len(client.get(f"/results/poll/{poll_id}.svg").data)
    return {"first_ms": times[0], "median_ms": statistics.median(times[1:]), "bytes": size + image}


class Server:
    """One gunicorn started with the Procfile's web options."""

    def __init__(self, app: str, env: dict[str, str], logs: Path, workers: int) -> None:
        from bench.ussd import free_port

        self.port = free_port()
        self.command = [
            str(BIN / "gunicorn"),
            app,
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gevent",
        ]
        self.env, self.logs, self.app = env, logs, app
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        err = open(self.logs / f"{self.app.replace(':', '-')}.err", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stderr=err, stdout=err
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/results/poll/1")
                if conn.getresponse().status in (200, 404):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.app} did not start: see {self.logs}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)


async def _connection(port: int, path: str, until: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection(HOST, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept-Encoding: identity\r\n\r\n".encode()
    done = 0
    while time.monotonic() < until:
        started = time.monotonic()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:200].decode(errors="replace"))
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append(time.monotonic() - started)
        done += 1
    writer.close()
    return done


async def _load(port: int, path: str, seconds: float, connections: int) -> dict[str, float]:
    warm = time.monotonic() + 1.0
    await asyncio.gather(*(_connection(port, path, warm, []) for _ in range(connections)))
    latencies: list[float] = []
    started = time.monotonic()
    until = started + seconds
    counts = await asyncio.gather(
        *(_connection(port, path, until, latencies) for _ in range(connections))
    )
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "rate": sum(counts) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
    }


def load(port: int, path: str, seconds: float, connections: int) -> dict[str, float]:
    """The load from a child process, so the client's CPU is not this script's."""
    done = subprocess.run(
        [sys.executable, __file__, "--loadgen", json.dumps([port, path, seconds, connections])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    parser.add_argument("--database-url")
    parser.add_argument("--loadgen")
    args = parser.parse_args()
    if args.loadgen:
        port, path, seconds, connections = json.loads(args.loadgen)
        print(json.dumps(asyncio.run(_load(port, path, seconds, connections))))
        return
    sys.path.insert(0, str(ROOT))
    from bench.ussd import migrate, redis_for, server_env

    with tempfile.TemporaryDirectory(prefix="hmk-bench-public-") as tmp:
        folder = Path(tmp)
        database_url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        with redis_for(None, folder) as (redis_url, redis_text):
            migrate(database_url, redis_url)
            started = time.monotonic()
            poll_id = seed(database_url, redis_url, folder / "instance", args.votes)
            print(f"seeded {args.votes} votes in {time.monotonic() - started:.1f} s ({redis_text})")
            first = _first_render(database_url, redis_url, folder / "instance", poll_id)
            path = f"/results/poll/{poll_id}"
            env = server_env(database_url, redis_url)
            runs: dict[str, list[dict[str, float]]] = {"hello": [], "gateway": []}
            for _ in range(args.rounds):  # alternated, so machine noise hits both alike
                for name, app in (("hello", "bench.public:hello"), ("gateway", "wsgi:app")):
                    with Server(app, env, folder, args.workers) as server:
                        runs[name].append(load(server.port, path, args.seconds, args.connections))
    report(args, first, runs)


def _first_render(database_url: str, redis_url: str, instance: Path, poll_id: int) -> Any:
    """:func:`first_render` in a fresh process (nothing imported or compiled before)."""
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from bench.public import first_render; "
        "print(json.dumps(first_render(sys.argv[2], sys.argv[3], Path(sys.argv[4]), "
        "int(sys.argv[5]))))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(ROOT),
            database_url,
            redis_url,
            str(instance),
            str(poll_id),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(
    args: argparse.Namespace, first: dict[str, float], runs: dict[str, list[dict[str, float]]]
) -> None:
    print(
        f"poll results page, {args.votes} votes, {args.workers} gevent workers, "
        f"{args.connections} connections, {args.seconds:.0f} s x {args.rounds} rounds"
    )
    print(
        f"  first uncached render: {first['first_ms']:.0f} ms "
        f"(then median {first['median_ms']:.0f} ms); "
        f"page + share image {first['bytes'] / 1000:.1f} kB"
    )
    rates = {}
    for name, found in runs.items():
        rates[name] = statistics.median(r["rate"] for r in found)
        each = ", ".join(f"{r['rate']:.0f}" for r in found)
        p99 = statistics.median(r["p99_ms"] for r in found)
        print(f"  {name:8} {rates[name]:6.0f} req/s (rounds: {each})  p99 {p99:.1f} ms")
    rate = rates["gateway"]
    print(f"  gateway/hello: {rate / rates['hello']:.2f}")
    verdict = "PASS" if rate >= TARGET_RATE else "FAIL"
    print(f"  {verdict}: cached page >= {TARGET_RATE:.0f} req/s")
    verdict = "PASS" if first["first_ms"] < TARGET_FIRST_MS else "FAIL"
    print(f"  {verdict}: first render < {TARGET_FIRST_MS:.0f} ms")


if __name__ == "__main__":
    main()
