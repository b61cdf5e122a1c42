"""End to end: the real processes (gunicorn and the worker from the Procfile, the emulator)
on free ports, driven over HTTP as Africa's Talking and the secretariat would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import requests
from honcho.environ import parse_procfile
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout_s: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
        except requests.RequestException:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: str, **env: str) -> None:
        with (self.logs / f"{name}.log").open("wb") as log:
            self.running.append(
                (
                    name,
                    subprocess.Popen(
                        command,
                        shell=True,
                        cwd=ROOT,
                        env={**self.env, **env},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),
                )
            )

    def stop(self) -> None:
        for _, process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def assert_alive(self) -> None:
        for name, process in self.running:
            log = (self.logs / f"{name}.log").read_text(errors="replace")
            assert process.poll() is None, f"{name} exited:\n{log[-3000:]}"


@pytest.fixture
def gateway(database: str, redis_url: str, redis, tmp_path: Path) -> Iterator[dict[str, Any]]:
    web_port, web2_port, emulator_port = free_port(), free_port(), free_port()
    web, web2 = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{web2_port}"
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "AT_API_URL": f"http://127.0.0.1:{emulator_port}",
        "AT_WEBHOOK_SECRET": "e2e-secret",
        "SECRET_KEY": "e2e",
        "PORT": str(web_port),
        "WEB_CONCURRENCY": "2",
    }
    procfile = parse_procfile((ROOT / "Procfile").read_text()).processes
    processes = Processes(env, tmp_path)
    processes.start(
        "emulator",
        f"{sys.executable} -m gateway.channels.emulator "
        f"--port {emulator_port} --delivery-url "
        f"'{web}/at/sms/delivery?secret=e2e-secret' --auto-deliver",
    )
    # Two of each, as on two machines: two gunicorns (each with the Procfile's two workers)
    # and two RQ workers, sharing the database and Redis.
    processes.start("web", procfile["web"])
    processes.start("web2", procfile["web"], PORT=str(web2_port))
    processes.start("worker", procfile["worker"])
    processes.start("worker2", procfile["worker"])
    try:
        for url in (web, web2):
            wait_for(lambda url=url: requests.get(f"{url}/healthz", timeout=2).ok, what="gunicorn")
        token = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "tokens", "create", "e2e"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        yield {
            "web": web,
            "web2": web2,
            "emulator": env["AT_API_URL"],
            "token": token,
            "processes": processes,
        }
    finally:
        processes.stop()


def test_the_real_processes_serve_a_ussd_join_and_an_sms_end_to_end(gateway):
    """Do gunicorn, the worker and the emulator, started from the Procfile, together take a USSD
    join and an SMS keyword through to delivered SMS that the API reports."""
    web, web2, secret = gateway["web"], gateway["web2"], {"secret": "e2e-secret"}
    phone = "+254711222333"
    hops = count()

    def hop(text: str) -> str:
        # Hops of one session alternate between the two web processes, as behind a balancer.
        answer = requests.post(
            f"{(web, web2)[next(hops) % 2]}/at/ussd",
            params=secret,
            timeout=10,
            data={
                "sessionId": "ATUid_e2e",
                "serviceCode": "*384*123#",
                "phoneNumber": phone,
                "networkCode": "63902",
                "text": text,
            },
        )
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/")
        return answer.text

    assert requests.post(f"{web}/at/ussd", timeout=10, data={}).status_code == 403
    assert hop("").startswith("CON ")
    assert hop("1").startswith("CON Haki Madini Kenya")
    assert "Kitui" in hop("1*1")
    assert "1. Mui" in hop("1*1*1")
    assert "Kitui" in hop("1*1*1*1")
    assert hop("1*1*1*1*1").startswith("END ")

    for target in (web, web2):  # Africa's Talking retries: the same id twice, to either
        sms = requests.post(
            f"{target}/at/sms",
            params=secret,
            timeout=10,
            data={
                "from": "0722333444",
                "to": "22384",
                "text": "MSAADA",
                "date": "2026-11-29T10:00:00Z",
                "id": "ATXid_e2e_in",
            },
        )
        assert sms.status_code == 200

    def at_emulator() -> list[dict[str, str]]:
        answer = requests.get(f"{gateway['emulator']}/_emulator/messages", timeout=5)
        return list(answer.json()["messages"])

    sent = wait_for(
        lambda: len(at_emulator()) >= 2 and at_emulator(), what="two SMS at the emulator"
    )
    by_phone = {m["to"]: m["text"] for m in sent}
    assert "Welcome to Haki Madini Kenya, Kitui" in by_phone[phone]
    assert "Piga *384*123#" in by_phone["+254722333444"]
    time.sleep(1)
    assert len(at_emulator()) == 2  # the retried callback was answered once

    headers = {"Authorization": f"Bearer {gateway['token']}"}

    def delivered() -> bool:
        listed = requests.get(
            f"{web}/api/v1/messages", params={"phone": phone}, headers=headers, timeout=5
        ).json()
        return any(m["direction"] == "out" and m["status"] == "delivered" for m in listed)

    wait_for(delivered, what="the emulator's delivery report to reach the API")
    contact = requests.get(f"{web}/api/v1/contacts/{phone}", headers=headers, timeout=5).json()
    assert contact["county"] == "Kitui" and contact["has_consent"] is True
    gateway["processes"].assert_alive()
    requests.get(f"{web}/api/v1/contacts/0722333444", headers=headers, timeout=5)

    # /metrics of each web process counts what its gunicorn workers answered, together.
    answered = 0.0
    for url in (web, web2):
        for family in text_string_to_metric_families(requests.get(f"{url}/metrics").text):
            for sample in family.samples:
                if sample.name == "hmk_callbacks_total" and sample.labels["kind"] == "ussd":
                    answered += sample.value if sample.labels["outcome"] in ("con", "end") else 0
    assert answered == 6
    login = requests.get(f"{web}/admin/login", timeout=5)
    assert (
        'name="csrf_token"' in login.text
        and "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]
    )
    gateway["processes"].stop()
    for name in ("web", "web2", "worker", "worker2"):
        written = gateway["processes"].log(name)
        assert "POST /at/ussd" in written or name.startswith("worker")
        # Personal data and secrets never reach the logs: numbers masked, no query strings.
        for digits in ("711222333", "722333444"):
            assert digits not in written, f"{name} log shows a phone number"
        assert "e2e-secret" not in written


@pytest.fixture
def web_alone(database: str, redis_url: str, redis, tmp_path: Path) -> Iterator[str]:
    """One gunicorn started with the Procfile's web command (two workers), nothing else."""
    port = free_port()
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "AT_WEBHOOK_SECRET": "e2e-secret",
        "SECRET_KEY": "e2e",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    processes = Processes(env, tmp_path)
    processes.start("web", parse_procfile((ROOT / "Procfile").read_text()).processes["web"])
    web = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{web}/healthz", timeout=2).ok, what="gunicorn")
        yield web
    finally:
        processes.stop()


def _dial(web: str, session: str, phone: str, timeout: float) -> requests.Response:
    """A USSD session's first hop, as Africa's Talking posts it."""
    return requests.post(
        f"{web}/at/ussd",
        params={"secret": "e2e-secret"},
        timeout=timeout,
        data={
            "sessionId": session,
            "serviceCode": "*384*123#",
            "phoneNumber": phone,
            "networkCode": "63902",
            "text": "",
        },
    )


def _slow_client(port: int, stop: threading.Event) -> None:
    """Slowloris: start a request and send its headers one byte every half second."""
    head = b"POST /at/ussd?secret=e2e-secret HTTP/1.1\r\nHost: gateway\r\n" + b"X-Slow: " * 500
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for byte in head:
                if stop.wait(0.5):
                    return
                sock.sendall(bytes([byte]))
    except OSError:
        return  # the server closed the connection: it did not let us hold it


def test_slow_clients_cannot_hold_the_web_process(web_alone: str) -> None:
    """Twenty clients that send their request a byte at a time (a slowloris attack) leave
    USSD callers answered within a second, and /healthz too."""
    port = int(web_alone.rsplit(":", 1)[1])
    stop = threading.Event()
    slow = [threading.Thread(target=_slow_client, args=(port, stop)) for _ in range(20)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(2)  # every slow client connected and sending
        took = []
        for n in range(10):
            started = time.monotonic()
            answer = _dial(web_alone, f"ATUid_slow{n}", f"+2547112220{n:02d}", timeout=10)
            took.append(time.monotonic() - started)
            assert answer.status_code == 200 and answer.text.startswith("CON ")
        started = time.monotonic()
        assert requests.get(f"{web_alone}/healthz", timeout=10).ok
        took.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in slow:
            thread.join()
    print("answered in, seconds:", ", ".join(f"{s:.2f}" for s in took))
    assert max(took) < 1.0, took


def _slow_body(port: int, n: int, stop: threading.Event) -> None:
    """A USSD callback whose headers come at once and whose body then comes a byte a second."""
    body = (
        f"sessionId=ATUid_body{n}&serviceCode=%2A384%2A123%23&phoneNumber=%2B2547113330{n:02d}"
        "&networkCode=63902&text="
    ).encode()
    head = (
        "POST /at/ussd?secret=e2e-secret HTTP/1.1\r\nHost: gateway\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(head)
            for byte in body:
                if stop.wait(1.0):
                    return
                sock.sendall(bytes([byte]))
    except OSError:
        return


def test_callbacks_whose_body_comes_slowly_hold_no_callers_turn(web_alone: str) -> None:
    """Callbacks take turns, a few at a time per worker (gateway.webhooks.admission); twelve
    that send their body a byte a second (about two minutes each) wait outside the turns, so
    other callers' hops are answered meanwhile."""
    port = int(web_alone.rsplit(":", 1)[1])
    stop = threading.Event()
    slow = [threading.Thread(target=_slow_body, args=(port, n, stop)) for n in range(12)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(2)  # every slow callback connected, its body started
        screens = []
        for n in range(10):
            answer = _dial(web_alone, f"ATUid_quick{n}", f"+2547112221{n:02d}", timeout=20)
            screens.append(answer.text.split("\n", 1)[0])
    finally:
        stop.set()
        for thread in slow:
            thread.join()
    assert screens == ["CON Choose your language"] * 10  # a new caller's first screen


def test_many_callers_at_once_are_answered_without_stalls(web_alone: str) -> None:
    """Eighty callers joining at once (forty at a time), each hop a write to the database, are
    all answered promptly by the Procfile's web process: on SQLite its gevent workers' requests
    take turns at transactions instead of stalling each other in SQLite's busy wait."""

    def join(n: int) -> float:
        worst = 0.0
        for text in ("", "1", "1*1", "1*1*1", "1*1*1*1", "1*1*1*1*1"):
            started = time.monotonic()
            answer = requests.post(
                f"{web_alone}/at/ussd",
                params={"secret": "e2e-secret"},
                timeout=30,
                data={
                    "sessionId": f"ATUid_crowd{n}",
                    "serviceCode": "*384*123#",
                    "phoneNumber": f"+2547113{n:05d}",
                    "networkCode": "63902",
                    "text": text,
                },
            )
            worst = max(worst, time.monotonic() - started)
            assert answer.status_code == 200 and answer.text.startswith(("CON ", "END "))
        assert answer.text.startswith("END ")  # joined
        return worst

    with ThreadPoolExecutor(40) as pool:
        worst = sorted(pool.map(join, range(80)))
    print(f"slowest hop per caller: median {worst[40]:.2f} s, max {worst[-1]:.2f} s")
    assert worst[-1] < 3.0, worst[-5:]
