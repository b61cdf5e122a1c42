"""Real processes for the reliability tests: the worker (``python worker.py``) killed whole with
SIGKILL, the gateway as a real HTTP server (for the emulator's delivery reports), a
``redis-server`` of the test's own that can be restarted, and the recovery sweep played as
RQ's cron scheduler would play it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import requests
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gateway.embedded_redis import redis_binary
from gateway.queues import DEFAULT
from gateway.recovery import LOCK, recover_stranded

ROOT = Path(__file__).resolve().parent.parent.parent
# Retries come after 5, 30, 120 and 600 s in production (gateway.sms.outbound.BACKOFF_S); a
# test of a minute cannot wait that long, so the worker runs with these, as many of them.
SHORT_BACKOFF_S = (1, 2, 3, 4)
_PATCHED_WORKER = (
    "import sys, gateway.sms.outbound as outbound; "
    f"outbound.BACKOFF_S = {SHORT_BACKOFF_S!r}; "
    "import worker; sys.exit(worker.main(sys.argv[1:]))"
)


def session_members(session_id: int) -> list[int]:
    """Live processes (zombies left out) of the session ``session_id``, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, session = fields[0], int(fields[3])
        if session == session_id and state != "Z":
            members.append(int(entry.name))
    return members


class WorkerProcess:
    """``python worker.py --no-periodic`` in a session of its own, killed whole with SIGKILL
    (RQ's work horse has a process group of its own: the session is what holds them all).
    With ``short_backoff`` its send retries wait :data:`SHORT_BACKOFF_S`; ``args`` go on to
    ``worker.py`` (``--simple``)."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        short_backoff: bool = False,
        args: Sequence[str] = (),
    ) -> None:
        self.env, self.log, self.short_backoff, self.args = env, log, short_backoff, args
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        program = ["-c", _PATCHED_WORKER] if self.short_backoff else ["worker.py"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *program, "--no-periodic", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def kill(self) -> int:
        """SIGKILL every process of the worker's session; how many there were."""
        assert self.process is not None
        killed: set[int] = set()
        deadline = time.monotonic() + 10
        while members := session_members(self.process.pid):
            assert time.monotonic() < deadline, f"processes {members} survived SIGKILL"
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        self.process.wait(timeout=10)
        return len(killed)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def assert_alive(self) -> None:
        assert self.alive, (
            "the worker exited by itself:\n" + self.log.read_text(errors="replace")[-3000:]
        )

    def stop(self) -> None:
        if self.alive:
            self.kill()


def worker_env(database: str, redis_url: str, emulator_url: str, **settings: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "AT_API_URL": emulator_url,
        "SECRET_KEY": "reliability",
        "GATEWAY_QUIET_HOURS": "off",
        **settings,
    }
    env.pop("GATEWAY_SEND_RATE", None)
    return env


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Thousands of delivery reports: no access-log line each."""


class GatewayServer:
    """The gateway app as a real threaded HTTP server on a free port (for callbacks that come
    from another process, such as the emulator's delivery reports)."""

    def __init__(self, app: Flask) -> None:
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_Quiet
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class WebProcess:
    """The web process as in production (``gunicorn wsgi:app``), on a free port: callbacks from
    other processes (the emulator's delivery reports) reach the gateway over HTTP, and their
    handling does not share a Python process (and its lock) with the test or the emulator."""

    def __init__(self, env: dict[str, str], log: Path, threads: int = 8) -> None:
        self.env, self.log, self.port = env, log, free_port()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", str(threads)]
                + ["-b", f"127.0.0.1:{self.port}", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code < 500:
                    break
            except requests.RequestException:
                pass
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
            time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A ``redis-server`` of the test's own, with no persistence (``--save ''``,
    ``--appendonly no``): :meth:`restart` loses every key, the worst case."""

    def __init__(self, workdir: Path) -> None:
        self.binary, self.workdir = redis_binary(), workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        client = Redis.from_url(self.url)
        while True:
            try:
                client.ping()
                break
            except (OSError, RedisError):
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, down_s: float = 0.5) -> None:
        """Kill the server (SIGKILL: nothing saved) and start an empty one on the same port."""
        self.stop()
        time.sleep(down_s)
        self.start()
        self.restarts += 1


def sweep(redis: Redis) -> bool:
    """Enqueue the recovery sweep as RQ's cron scheduler would, unless one waits already; its
    lock (held for its grace period) is let go first, as if that much time had passed."""
    if Queue(DEFAULT, connection=redis).count:
        return False
    redis.delete(LOCK)
    Queue(DEFAULT, connection=redis).enqueue(recover_stranded)
    return True
