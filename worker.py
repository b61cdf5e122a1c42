"""The worker entry point: ``python worker.py`` (``--burst`` drains the queues and exits).

An RQ worker with RQ's scheduler on, listening to every gateway queue, inside the app context.
"""

from __future__ import annotations

import argparse
import logging
import sys

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker

from gateway import create_app
from gateway.extensions import redis_client
from gateway.queues import ALL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="drain the queues, then exit")
    parser.add_argument(
        "--simple",
        action="store_true",
        help="run jobs in this process instead of a forked child per job",
    )
    parser.add_argument("--queues", nargs="*", default=list(ALL), help="queues to listen to")
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
        worker_class = SimpleWorker if args.simple else Worker
        queues = [Queue(name, connection=connection) for name in args.queues]
        worker = worker_class(queues, connection=connection)
        worker.work(burst=args.burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
