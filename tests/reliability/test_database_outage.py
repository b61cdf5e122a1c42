"""The database goes away for a few seconds while Africa's Talking posts an SMS: the callback
answers 503 (so Africa's Talking retries), and the retry, once the database is back, is kept
once, handled once and answered once.

On PostgreSQL the outage is real: the app reaches the server through a TCP proxy that the test
stops (every connection cut, new ones refused) and starts again. On SQLite it is what takes a
SQLite gateway down in practice: another process holding the write lock past the busy timeout.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gateway.extensions import db
from gateway.queues import ALL
from gateway.sms.models import Message

SMS = {
    "from": "+254712345678",
    "to": "22384",
    "text": "Maji ya mto Tiva yamechafuka",
    "date": "2026-11-29 10:04:45",
    "id": "ATXid_outage1",
    "linkId": "",
    "networkCode": "63902",
}


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``down()`` cuts every connection and refuses
    new ones until ``up()``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.is_up = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def down(self) -> None:
        self.is_up = False
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets.clear()

    def up(self) -> None:
        self.is_up = True

    def close(self) -> None:
        self.down()
        self.listener.close()


@contextmanager
def outage_app(
    database: str, make_app: Callable[..., Flask]
) -> Iterator[tuple[Flask, Callable[[], Any]]]:
    """An app, and a context manager factory that makes its database unavailable."""
    if database.startswith("postgresql"):
        url = make_url(database)
        proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
        app = make_app(
            database_url=url.set(host="127.0.0.1", port=proxy.port).render_as_string(
                hide_password=False
            )
        )

        @contextmanager
        def outage() -> Iterator[None]:
            proxy.down()
            try:
                yield
            finally:
                proxy.up()

        try:
            yield app, outage
        finally:
            proxy.close()
        return
    path = make_url(database).database
    app = make_app()

    @contextmanager
    def locked() -> Iterator[None]:
        holder = sqlite3.connect(str(path), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    yield app, locked


def test_an_sms_posted_while_the_database_is_down_is_kept_once_from_the_retry(
    database: str, make_app: Callable[..., Flask], redis: Redis, emulator: Any
) -> None:
    with outage_app(database, make_app) as (app, outage):
        client = app.test_client()
        with outage():
            refused = client.post("/at/sms", data=SMS)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "60" and "retry" in refused.text
        # Africa's Talking retries; by then the database is back. Then a duplicate retry.
        kept = client.post("/at/sms", data=SMS)
        assert kept.status_code == 200 and kept.text == "received"
        again = client.post("/at/sms", data=SMS)
        assert again.status_code == 200 and "duplicate" in again.text
        with app.app_context():
            queues = [Queue(name, connection=redis) for name in ALL]
            SimpleWorker(queues, connection=redis).work(burst=True)
            rows = db.session.execute(
                select(Message.direction, func.count()).group_by(Message.direction)
            ).all()
        counts = dict(rows)
        assert counts["in"] == 1  # the SMS once, whatever the outage and the retries
        assert counts.get("out", 0) == 1  # answered once (the inbox auto-reply)
        answered = [m for m in emulator.messages() if m["to"] == SMS["from"]]
        assert len(answered) == 1
