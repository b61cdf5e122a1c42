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
