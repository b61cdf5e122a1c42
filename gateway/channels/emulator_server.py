"""The Africa's Talking emulator on a free port in a background thread, for tests.

It is the same app ``python -m gateway.channels.emulator`` serves (:func:`create_emulator`),
so tests talk to a real HTTP server and the real SDK makes real requests.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gateway.channels.emulator import create_emulator


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Tests make hundreds of requests; one access-log line each is noise."""


class EmulatorServer:
    """The emulator on 127.0.0.1 and a free port, in a daemon thread: for tests.

    Use it as a context manager (``with EmulatorServer() as at: ...``) or call :meth:`start`
    and :meth:`stop` around a long-lived session fixture. Takes :func:`create_emulator`'s
    arguments.
    """

    def __init__(self, **options: Any) -> None:
        self.app = create_emulator(**options)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL to give :class:`~gateway.channels.africastalking.SmsChannel` as api_url."""
        if self._server is None:
            raise RuntimeError("EmulatorServer is not started")
        return f"http://127.0.0.1:{self._server.port}"

    def start(self) -> EmulatorServer:
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def messages(self) -> list[dict[str, Any]]:
        """Every recipient of every accepted send, in arrival order."""
        return list(self._call("GET", "/_emulator/messages")["messages"])

    def requests(self) -> list[dict[str, Any]]:
        """Every request made to the send endpoint, refused ones included."""
        return list(self._call("GET", "/_emulator/requests")["requests"])

    def clear(self) -> None:
        """Forget all records and rules, voice calls included."""
        self._call("DELETE", "/_emulator/messages")
        self._call("DELETE", "/_emulator/voice/calls")

    def set_recipient_status(self, phone: str, status: str | None) -> None:
        """Answer ``status`` (a name in FAILURE_CODES) for ``phone``; None to undo."""
        self._call("PUT", "/_emulator/rules", {"recipients": {phone: status}})

    def fail_next(self, http_status: int = 500, count: int = 1) -> None:
        """Answer the next ``count`` sends with ``http_status`` and an HTML error page."""
        self._call(
            "PUT",
            "/_emulator/rules",
            {"next_requests": {"http_status": http_status, "count": count}},
        )

    def reject_next(self, reason: str = "InvalidSenderId", count: int = 1) -> None:
        """Answer the next ``count`` sends 201 with no recipients and ``reason`` as Message."""
        self._call("PUT", "/_emulator/rules", {"next_requests": {"reject": reason, "count": count}})

    def deliver(
        self, message_id: str, status: str, failure_reason: str | None = None
    ) -> dict[str, Any]:
        """Post a delivery report for ``message_id``; returns ``{"status_code", "body"}``."""
        body = {"message_id": message_id, "status": status, "failure_reason": failure_reason}
        return self._call("POST", "/_emulator/deliver", body)

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = requests.request(method, self.url + path, json=body, timeout=10)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result
