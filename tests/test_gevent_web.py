"""The web process under gevent (the Procfile's worker class): many requests at once never wait
for one another's database connections.

Under gevent, SQLite transactions take turns (``gateway.extensions``), and a request holding the
turn sometimes needs a second connection: the text overrides are read again every minute by
whichever request renders a text first. With a bounded pool, the requests waiting for the turn
could hold every connection, and the one holding it would wait for a connection until the pool
gave up (30 s): a caller's USSD hop went unanswered under load. The script below plays that
moment in a gevent process of its own, with the pool's timeout cut to 3 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e

SCRIPT = """
from gevent import monkey

monkey.patch_all()

import json, sys
import gevent
from sqlalchemy import func, select

from gateway import create_app
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.i18n import catalogs

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    db.engine.pool._timeout = 3  # give up after 3 s instead of 30: a wait is the failure
    overlay = catalogs().overlay
errors, screens = [], []


def request(i):
    with app.app_context():
        try:
            db.session.scalar(select(func.count(Contact.id)))  # the transaction (and turn) begins
            gevent.sleep(0.05 if i == 0 else 0)  # waits on Redis; the others arrive meanwhile
            if i == 0:
                overlay._due = 0.0  # the minute is up: this request reads the overrides again
            screens.append(catalogs().text("ussd.bad_request", "sw"))
            db.session.commit()
        except Exception as exc:
            errors.append(exc.__class__.__name__ + ": " + str(exc)[:100])
        finally:
            db.session.remove()


gevent.joinall([gevent.spawn(request, i) for i in range(40)])
print(json.dumps({"errors": errors, "screens": len(screens)}))
"""


def test_forty_requests_at_once_under_gevent_all_get_their_text(database: str, app) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, database],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"errors": [], "screens": 40}, done.stderr[-2000:]
    # The overrides were read, not given up on after the pool's wait.
    assert "text overrides not reloaded" not in done.stderr, done.stderr[-2000:]


TURNS = """
from gevent import monkey

monkey.patch_all()

import io, json
import gevent

from gateway.webhooks.admission import CallbacksInTurn

inside, most, started, arrivals, admin_beside = [0], [0], [], [], []


def app(environ, start_response):
    if environ["PATH_INFO"].startswith("/admin"):
        # callbacks running, and waiting their turn, when the admin's request started
        admin_beside.append([inside[0] > 0, len(wrapped.turns.waiting) > 0])
    else:
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        started.append(environ["n"])
        assert environ["wsgi.input"].read() == b"text=1"  # the body was read for it, kept whole
        gevent.sleep(0.005)  # two waits on Redis, as a hop has
        gevent.sleep(0.005)
        inside[0] -= 1
    start_response("200 OK", [])
    return [b"CON ok"]


wrapped = CallbacksInTurn(app, "/at/", 16384, slots=2)


def call(n, path="/at/ussd"):
    body = io.BytesIO(b"text=1")
    environ = {"PATH_INFO": path, "CONTENT_LENGTH": "6", "wsgi.input": body, "n": n}
    assert b"".join(wrapped(environ, lambda *a: None)) == b"CON ok"


def arrive(n):
    arrivals.append(n)
    call(n)


def connection(c):
    for k in range(10):  # a keep-alive connection: its next request as soon as one is answered
        arrive((c, k))
        if (c, k) == (0, 5):
            gevent.spawn(call, -1, "/admin/inbox").join()


# Eight connections, each asking again at once: a semaphore that let a newcomer take a freed turn
# before the waiters woke would let one connection go again and again ahead of the others.
gevent.joinall([gevent.spawn(connection, c) for c in range(8)], raise_error=True)
# Two turns handed out in one moment may start either way round: overtaken by at most one.
overtaken = max(
    sum(1 for later in arrivals[i + 1:] if started.index(later) < started.index(n))
    for i, n in enumerate(arrivals)
)
print(json.dumps({"most": most[0], "overtaken": overtaken, "served": len(started),
                  "admin_beside": admin_beside}))
"""


def test_callbacks_take_turns_in_arrival_order_two_at_a_time(app) -> None:
    """Under gevent, a worker runs at most two callbacks at once and starts them in the order
    they came: a hop that has started is not slowed by all the others in flight (the tail that
    bench/ussd.py measured), and none is overtaken by one that came later. The admin is not
    held back by callbacks."""
    done = subprocess.run(
        [sys.executable, "-c", TURNS], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found.pop("overtaken") <= 1
    assert found == {"most": 2, "served": 80, "admin_beside": [[True, True]]}
