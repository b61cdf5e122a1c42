"""Callbacks served first come, first served, a few at a time per gevent worker.

Under gevent every request a worker has read runs at once, and each yields at every Redis or
database round trip: a USSD hop that yields twice waits behind every other request in the
worker each time, so under load its time grows with the number in flight and the slowest hops
waited hundreds of milliseconds (``bench/ussd.py``: p99 0.4-0.7 s at 32 sessions, against
43 ms with sync workers, which serve one request at a time). Here a callback waits its turn in
arrival order before it starts, and at most :data:`SLOTS` run together, so a hop once started
is answered in about its own time.

A callback's body is read before it waits (callbacks are small; a bigger one is passed on as it
is, for the handler to refuse), so a client that sends its body slowly holds no slot. Other
paths (the admin, the public site, the radio board's stream) are not held back. The one callback
that waits on the network is a staff member keeping a prompt recorded by phone (the take is
fetched from Africa's Talking): it holds one turn while it downloads, and the other goes on.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from gevent.event import Event  # this module is loaded only in a gevent worker

# A hop is about 1 ms of CPU with two short waits on Redis: two at a time keeps the CPU busy
# through one's wait without making either queue behind many others.
SLOTS = 2

Environ = dict[str, Any]
WsgiApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


class Turns:
    """A first-come, first-served semaphore for greenlets. gevent's own lets a newcomer take a
    slot freed before the waiters wake: a keep-alive connection whose next request comes at once
    took it again and again while others waited (bench/ussd.py: p50 3 ms, p99 376 ms)."""

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiting: deque[Event] = deque()

    def acquire(self) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return
        turn = Event()
        self.waiting.append(turn)
        try:
            turn.wait()  # handed the slot by release: ``free`` was not raised for it
        except BaseException:  # killed while waiting (a worker stopping): pass the turn on
            if turn.is_set():
                self.release()
            else:
                self.waiting.remove(turn)
            raise

    def release(self) -> None:
        if self.waiting:
            self.waiting.popleft().set()
        else:
            self.free += 1


class CallbacksInTurn:
    """WSGI middleware: requests under ``prefix`` run at most ``slots`` at a time."""

    def __init__(self, app: WsgiApp, prefix: str, max_body: int, slots: int = SLOTS) -> None:
        self.app = app
        self.prefix = prefix
        self.max_body = max_body
        self.turns = Turns(slots)

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).startswith(self.prefix):
            return self.app(environ, start_response)
        if not _read_body_first(environ, self.max_body):
            return self.app(environ, start_response)
        self.turns.acquire()
        try:
            # A callback's answer is a few hundred bytes: made whole inside the turn.
            answer = self.app(environ, start_response)
            try:
                return list(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
        finally:
            self.turns.release()


def _read_body_first(environ: Environ, limit: int) -> bool:
    """Read a body of at most ``limit`` bytes into memory; False when it may be bigger (no
    length given, or a larger one), leaving it unread."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    if length < 0 or length > limit or environ.get("HTTP_TRANSFER_ENCODING"):
        return False
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return True
