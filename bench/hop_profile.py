"""CPU time of one mid-menu USSD hop, in process, next to the hello-world app.

Run from the repository root::

    .venv/bin/python bench/hop_profile.py [--hops 5000] [--profile] [--database-url URL]
                                          [--redis-url URL]

The same database, Redis and sessions as ``bench/ussd.py`` (a migrated database with seeded
callers; sessions copied from one dialled up to ``1`` with DUMP/RESTORE), but no HTTP server:
each hop is one call of the gateway's WSGI app with an environ as gunicorn builds it, so the
figure is the app's own CPU per hop (``time.process_time``), without gunicorn's parsing and
socket work. The hello-world app is timed the same way in the same run. ``--profile`` prints
cProfile's top entries for the gateway's hops.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ussd import (  # noqa: E402
    PATH,
    hop_body,
    migrate,
    phone,
    redis_for,
    seed_contacts,
    server_env,
)

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(body: bytes) -> dict[str, Any]:
    """A WSGI environ like gunicorn's for one Africa's Talking form post."""
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": PATH,
        "RAW_URI": PATH,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "bench",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app: Wsgi, body: bytes) -> bytes:
    status: list[str] = []

    def start_response(code: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        status.append(code)

    result = app(environ(body), start_response)
    try:
        out = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not status[0].startswith("200") or not out.startswith(b"CON "):
        raise RuntimeError(f"{status[0]} {out[:80]!r}")
    return out


def timed(app: Wsgi, bodies: list[bytes]) -> float:
    """CPU milliseconds per call over ``bodies``."""
    started = time.process_time()
    for body in bodies:
        call(app, body)
    return (time.process_time() - started) * 1000 / len(bodies)


def prepare(gateway: Wsgi, redis_url: str, tag: str, count: int, callers: int) -> list[bytes]:
    """``count`` hop bodies for ``1*1``, each on a session standing at ``1`` in Redis."""
    from redis import Redis

    probe = f"ATUid_{tag}_probe"
    for text in ("", "1"):
        call(gateway, hop_body(probe, phone(0), text))
    client = Redis.from_url(redis_url)
    templates = list(client.scan_iter(match=f"*{probe}*"))
    dumps = [(k, bytes(client.dump(k) or b""), client.pttl(k)) for k in templates]
    pipe = client.pipeline(transaction=False)
    rng = random.Random(7)
    bodies = []
    for n in range(count):
        session = f"ATUid_{tag}_{n}"
        for key, dumped, ttl in dumps:
            pipe.restore(key.replace(probe.encode(), session.encode()), ttl, dumped, replace=True)
        bodies.append(hop_body(session, phone(rng.randrange(callers)), "1*1"))
    pipe.execute()
    client.close()
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hops", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="hop-profile-") as tmp,
        redis_for(args.redis_url, Path(tmp)) as (redis_url, _),
    ):
        database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        migrate(database_url, redis_url)
        seed_contacts(database_url, redis_url, args.contacts, Path(tmp))
        import os

        os.environ.update(server_env(database_url, redis_url))
        from bench.hello import app as hello
        from gateway import create_app

        gateway = create_app()
        warm = prepare(gateway, redis_url, "warm", 500, args.contacts)
        timed(gateway, warm)
        timed(hello, warm)
        rows = []
        for round_ in range(args.rounds):
            bodies = prepare(gateway, redis_url, f"r{round_}", args.hops, args.contacts)
            hello_ms = timed(hello, bodies)
            hop_ms = timed(gateway, bodies)
            rows.append((hello_ms, hop_ms))
            print(f"round {round_ + 1}: hello {hello_ms:.3f} ms, hop {hop_ms:.3f} ms CPU per call")
        for name, pick in (("median", statistics.median), ("lowest", min)):
            hello_ms, hop_ms = pick(r[0] for r in rows), pick(r[1] for r in rows)
            print(f"{name}: hello {hello_ms:.3f} ms, hop {hop_ms:.3f} ms CPU per call")
        if args.profile:
            bodies = prepare(gateway, redis_url, "prof", args.hops, args.contacts)
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for body in bodies:
                call(gateway, body)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
