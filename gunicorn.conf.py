"""gunicorn's settings for the gateway's web process (gunicorn reads this file by itself).

The access log leaves out query strings: Africa's Talking's callbacks carry the webhook secret
there. Phone numbers in paths are masked, and control characters in them (a ``%0A`` decoded to a
line break) escaped, by the gateway's log record factory (``gateway.phones``).

``/metrics`` counts callbacks in each worker; the workers share their counts through files in
``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary folder per gunicorn start unless set), and a
worker that exits is marked dead so its live gauges go with it.
"""

import os
import tempfile
from typing import Any

worker_connections = 1000  # per worker; a slow client takes one, a greenlet's few kilobytes
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'


def on_starting(server: Any) -> None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hmk-metrics-")


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
