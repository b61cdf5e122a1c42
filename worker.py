"""The worker entry point: ``python worker.py`` (``--burst`` drains the queues and exits).

An RQ worker with RQ's scheduler on, listening to every gateway queue, inside the app context,
and beside it RQ's cron scheduler for the periodic jobs (:data:`gateway.wiring.PERIODIC`).
Every worker runs one; the periodic jobs take a lock, so running them from many machines does
them once.
"""

from __future__ import annotations

import argparse
import gc
import logging
import multiprocessing
import sys
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from sqlalchemy.orm import configure_mappers

from gateway import create_app
from gateway.extensions import redis_client
from gateway.queues import ALL, process_alive
from gateway.wiring import PERIODIC


def run_periodic() -> None:
    """RQ's cron scheduler, enqueueing ``PERIODIC`` (runs in its own process)."""
    from rq.cron import CronScheduler

    app = create_app()
    with app.app_context():
        scheduler = CronScheduler(connection=redis_client(), logging_level="WARNING")
        for job, queue, seconds in PERIODIC:
            scheduler.register(job, queue, interval=seconds)
        scheduler.start()  # type: ignore[no-untyped-call]  # RQ leaves it unannotated


def release_dead_schedulers(
    connection: Redis, queue_names: list[str], unborn_grace_s: float = 2.0
) -> list[str]:
    """Free the scheduler locks that a killed worker on this machine left behind.

    RQ's scheduler holds a lock per queue for a minute past its last refresh, and a worker that
    finds a lock taken only tries again minutes later: after a SIGKILL, the restarted worker
    would leave scheduled jobs (meeting reminders, retries) waiting that long. A lock is
    released when its holder ran on this host under a process id that no longer exists, or
    never registered at all: the worker takes the lock before it forks the scheduler process
    that registers, so one killed in between leaves a lock with no holder to be found (a live
    one registers within ``unborn_grace_s``). Locks held on other machines, or by live
    processes, are left alone.
    """
    from rq.scheduler import RQScheduler

    def holder_of(lock: str) -> tuple[bytes | None, dict[str, str]]:
        holder = connection.get(lock)
        if holder is None:
            return None, {}
        info = connection.hgetall(f"rq:scheduler:{holder.decode()}")
        return holder, {k.decode(): v.decode() for k, v in info.items()}

    locks = {name: RQScheduler.get_locking_key(name) for name in queue_names}
    unborn = set()
    for lock in locks.values():
        holder, info = holder_of(lock)
        if holder is not None and not info:
            unborn.add(holder)
    if unborn:
        time.sleep(unborn_grace_s)
    released = []
    for name, lock in locks.items():
        holder, info = holder_of(lock)
        if holder is None:
            continue
        if info:
            if process_alive(info.get("hostname", ""), int(info.get("pid") or 0)):
                continue
        elif holder not in unborn:
            continue  # taken during the grace: its scheduler may be forking now
        if connection.get(lock) == holder:
            connection.delete(lock)
            released.append(name)
    return released


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="drain the queues, then exit")
    parser.add_argument(
        "--simple",
        action="store_true",
        help="run jobs in this process instead of a forked child per job",
    )
    parser.add_argument("--queues", nargs="*", default=list(ALL), help="queues to listen to")
    parser.add_argument(
        "--no-periodic",
        action="store_true",
        help="do not run the periodic jobs' scheduler beside this worker",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()
    with app.app_context():
        connection = redis_client()
        try:
            connection.ping()
        except (RedisError, OSError) as exc:
            print(
                f"No Redis answers ({exc}). Start the gateway with `make run`, or set REDIS_URL.",
                file=sys.stderr,
            )
            return 1
        if not args.burst and not args.no_periodic:
            multiprocessing.Process(target=run_periodic, name="periodic", daemon=True).start()
        released = release_dead_schedulers(connection, args.queues)
        if released:
            logging.getLogger("worker").info("released dead schedulers' locks: %s", released)
        worker_class = SimpleWorker if args.simple else Worker
        queues = [Queue(name, connection=connection) for name in args.queues]
        worker = worker_class(queues, connection=connection)
        # SQLAlchemy configures its mappers on first use; done here, once, instead of in every
        # forked work horse (a sixth of a short job's CPU in a radio burst).
        configure_mappers()
        # What is loaded by now (the app, SQLAlchemy's mappers, the SDK) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it (a
        # fifth of a broadcast's CPU), and a forked work horse does not copy its pages.
        gc.freeze()
        worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
