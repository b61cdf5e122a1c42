"""Browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``; ``.ci/run``
installs it) against the gateway served over real HTTP, with a real worker process.

- ``live``: the test's app served by werkzeug on a free port in a thread, a ``python
  worker.py`` process on the same database and Redis, and the emulator (``live.url``,
  ``live.emulator``).
- ``page``: a fresh browser page; ``login(page, email)`` logs in through the form.
- ``shot(page, name)``: a screenshot in ``test-artifacts/screenshots/`` (CI keeps them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from conftest import BROWSER_HOWTO, CHROMIUM, PASSWORD
from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Live:
    url: str
    emulator: str
    app: Flask
    worker: subprocess.Popen[bytes] | None


def _serve(app: Flask) -> tuple[Any, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def live(
    app: Flask, database: str, redis_url: str, emulator: Any, tmp_path: Path
) -> Iterator[Live]:
    # The served app and its worker both without quiet hours: a browser test runs at any hour.
    app.config["GATEWAY"] = replace(
        app.config["GATEWAY"], quiet_start=time(0, 0), quiet_end=time(0, 0)
    )
    server, url = _serve(app)
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "AT_API_URL": emulator.url,
        "SECRET_KEY": "test",
        "GATEWAY_QUIET_HOURS": "off",
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield Live(url, emulator.url, app, worker)
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed for the browser tests ({CHROMIUM}): {BROWSER_HOWTO}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


def login(page: Any, live: Live, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{live.url}/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin/**")


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
