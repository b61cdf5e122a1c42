"""The shared extension objects, created unbound and bound by ``init_app`` in the app factory."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, Response, current_app
from flask import request as current_request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from sqlalchemy import DateTime, MetaData, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite forgets the zone it was given; this puts UTC back on the way out and refuses naive
    datetimes on the way in, so no naive datetime ever enters the gateway.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING),
        type_annotation_map={datetime: UtcDateTime()},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate(
    directory=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "migrations"))
)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write UtcDateTime into migrations as the plain column type it is in the database."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def conflict_insert(target: Any, dialect: str | None = None) -> Any:
    """An INSERT into ``target`` (a model or table) that can say what happens ON CONFLICT, in
    ``dialect`` or that of the database in use (SQLite or PostgreSQL: both have
    ``on_conflict_do_nothing`` and ``on_conflict_do_update``)."""
    dialect = dialect or db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def _guard_engine_across_fork(engine: Engine) -> None:
    """Never share a pooled connection between a process and its forked children.

    RQ's default worker forks a work horse per job; SQLAlchemy's recipe for pools and
    multiprocessing discards a connection checked out in a process other than its creator.
    """

    @event.listens_for(engine, "connect")
    def _remember_pid(dbapi_connection: Any, record: Any) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _check_pid(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("pid") != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None
            raise exc.DisconnectionError("connection belongs to another process")


def _sqlite_pragmas(engine: Engine) -> None:
    """SQLite only: foreign keys on, WAL, a writer waits up to 10 s for the lock, and
    ``synchronous=NORMAL``.

    ``NORMAL`` in WAL mode syncs the log at checkpoints instead of at every commit: a commit
    survives the crash of any process (the web's, a worker's), and only an OS crash or a power
    loss can take the last commits back (the database itself stays intact). At ``FULL`` every
    inbound SMS paid an fsync while holding the write lock, and every other writer (the other
    web processes, the workers) queued behind it. PostgreSQL keeps its own settings.
    """

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def gevent_patched() -> bool:
    """True in a gunicorn gevent worker (the web process), where the standard library's
    sockets and locks are gevent's."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("socket"))


def _sqlite_transactions_take_turns(engine: Engine) -> None:
    """Under gevent, one SQLite transaction at a time per process, the others waiting their
    turn cooperatively.

    A greenlet inside a transaction that waits on Redis lets another greenlet of the process
    run; if that one then waits for SQLite's write lock, SQLite's busy wait (a C sleep) stops
    the whole process, the lock's holder included, for up to ``busy_timeout``. Waiting on a
    gevent lock instead lets the holder finish. (Other processes' locks are waited for as
    before; PostgreSQL needs none of this: psycopg 3 yields to gevent by itself.)
    """
    from gevent.lock import RLock

    turn = RLock()

    @event.listens_for(engine, "begin")
    def _take(conn: Any) -> None:
        # Bounded: a turn never handed back must not stop the process; SQLite's own lock
        # still keeps transactions apart.
        if turn.acquire(timeout=30):
            conn.info["sqlite_turn"] = conn.info.get("sqlite_turn", 0) + 1

    def _give_back(conn: Any) -> None:
        held = conn.info.pop("sqlite_turn", 0)
        for _ in range(held):
            turn.release()

    event.listen(engine, "commit", _give_back)
    event.listen(engine, "rollback", _give_back)


def init_db(app: Flask) -> None:
    if gevent_patched() and str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # Transactions take turns (below), and one holding the turn may need a second
        # connection (a one-statement read): with a bounded pool, the greenlets waiting for the
        # turn could hold every connection, and the holder would wait for one until the pool's
        # timeout. An SQLite connection is an open file; the turn bounds the work anyway.
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "max_overflow": -1}
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, render_item=_render_item)
    with app.app_context():
        engine = db.engine
        _guard_engine_across_fork(engine)
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
            if gevent_patched():
                _sqlite_transactions_take_turns(engine)
            reader = engine  # pysqlite begins no transaction for a SELECT anyway
        else:
            reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        app.extensions["reading_engine"] = reader


def reading_engine() -> Engine:
    """The app's engine for a read that is one statement: the same pool, but no transaction
    around the statement (on PostgreSQL that saves a BEGIN and a ROLLBACK round trip)."""
    reader: Engine = current_app.extensions["reading_engine"]
    return reader


def init_redis(app: Flask, url: str) -> None:
    """Bind one Redis client (connection pool) to the app."""
    app.extensions["redis"] = Redis.from_url(url, health_check_interval=30)


def redis_client() -> Redis:
    """The app's Redis client."""
    client: Redis = current_app.extensions["redis"]
    return client


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with no signer built for a request without the cookie
    and nothing read to save an empty, unchanged session.

    Flask opens and saves the session of every request; Africa's Talking's callbacks carry no
    cookie, so they get the same empty session, and the same answer headers, as before without
    paying for a signing serializer or the cookie settings.

    Paths an area declares sessionless (:meth:`add_sessionless`: the public site's pages, shared
    by caches) never read the cookie nor set or vary on it, even for a logged-in admin.
    """

    def __init__(self) -> None:
        self._sessionless: list[Callable[[str], bool]] = []

    def add_sessionless(self, test: Callable[[str], bool]) -> None:
        """Requests whose path ``test`` accepts get an empty session that is never saved."""
        self._sessionless.append(test)

    def sessionless(self, request: Request) -> bool:
        return any(test(request.path) for test in self._sessionless)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        if self._sessionless and self.sessionless(request):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if self._sessionless and self.sessionless(current_request):
            return
        # An empty session nobody changed: Flask would only add the Vary header, after
        # reading seven cookie settings it then has no use for.
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
