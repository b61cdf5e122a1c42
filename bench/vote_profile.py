"""The inbound worker's cost per SMS vote, in process: SQL statements and CPU per vote.

Run from the repository root::

    .venv/bin/python bench/vote_profile.py [--votes 2000] [--phones 1000] [--profile]
                                           [--database-url URL] [--redis-url URL]

The same show and poll as ``bench/radio_burst.py`` (a show on air with the keyword MADINI and
its open poll), on a fresh migrated database (a SQLite file, or ``--database-url``: a
PostgreSQL database named ``bench_*`` whose schema is reset) and a Redis (``--redis-url``,
flushed; else an embedded one). The votes are stored as ``/at/sms`` stores them, then handled
by the inbound job (:func:`gateway.sms.inbound.handle_inbound_sms`) in this process, and the
thank-you sends it enqueued are run in this process too (against the bundled emulator).
Statements are counted with SQLAlchemy's ``before_cursor_execute``; CPU is this process's
(``time.process_time``), wall time includes the database's.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.radio_burst import (  # noqa: E402
    FIRST_PHONE,
    KEYWORD,
    OPTIONS,
    fresh_database,
    redis_for,
    set_up_run,
)

_TABLE = re.compile(r"(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


class Statements:
    """Counts the statements an engine runs, by their first words."""

    def __init__(self) -> None:
        self.total = 0
        self.kinds: Counter[str] = Counter()

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.total += 1
        verb = statement.split(None, 1)[0].upper() if statement.strip() else "?"
        table = _TABLE.search(statement)
        self.kinds[f"{verb} {table.group(1) if table else ''}".strip()] += 1


@contextmanager
def counting(engine: Any) -> Iterator[Statements]:
    from sqlalchemy import event

    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def store_votes(app: Any, votes: int, phones: int) -> None:
    from gateway.extensions import db
    from gateway.sms.receive import store_inbound_sms

    with app.app_context():
        for i in range(votes):
            phone = f"+{FIRST_PHONE + i % phones}"
            store_inbound_sms(
                external_id=f"ATXid-profile-{i}",
                phone=phone,
                shortcode="22384",
                text=f"{KEYWORD} {1 + i % OPTIONS}",
                received_at=datetime.now(UTC),
            )
            db.session.commit()


def run_queue(app: Any, name: str) -> int:
    """Run every job waiting on queue ``name`` in this process; how many ran."""
    from rq import Queue, SimpleWorker

    from gateway.extensions import redis_client

    with app.app_context():
        queue = Queue(name, connection=redis_client())
        jobs = queue.count
        SimpleWorker([queue], connection=redis_client()).work(burst=True, logging_level="WARNING")
        return jobs


def measure(app: Any, name: str, votes: int, profile: bool) -> None:
    from gateway.extensions import db

    with app.app_context():
        engine = db.engine
    profiler = cProfile.Profile() if profile else None
    with counting(engine) as counter:
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        jobs = run_queue(app, name)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{name}: {jobs} jobs, {counter.total / votes:.1f} statements per vote, "
        f"{1000 * cpu / votes:.2f} ms CPU and {1000 * wall / votes:.2f} ms wall per vote"
    )
    for kind, n in counter.kinds.most_common(12):
        print(f"    {n / votes:6.2f}  {kind}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile the inbound job")
    parser.add_argument("--database-url", help="a PostgreSQL database named bench_*")
    parser.add_argument("--redis-url", help="a Redis database of the bench's own (flushed)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)  # not RQ's line per job
    from gateway.channels.emulator_server import EmulatorServer

    with tempfile.TemporaryDirectory(prefix="hmk-vote-profile-") as tmp:
        with redis_for(args.redis_url, Path(tmp) / "redis") as redis_url:
            database_url = fresh_database(args.database_url, Path(tmp), redis_url)
            with EmulatorServer() as emulator:
                app = _with_emulator(database_url, redis_url, emulator.url)
                set_up_run(app, 1, voting=True)
                store_votes(app, args.votes, args.phones)
                measure(app, "inbound", args.votes, args.profile)
                measure(app, "outbound", args.votes, False)


def _with_emulator(database_url: str, redis_url: str, emulator_url: str) -> Any:
    from dataclasses import replace

    from gateway import create_app
    from gateway.settings import load_settings

    settings = replace(
        load_settings({}, Path(__file__).resolve().parent.parent / "instance"),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench",
        at_api_url=emulator_url,
    )
    return create_app({"GATEWAY": settings})


if __name__ == "__main__":
    main()
