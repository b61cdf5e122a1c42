"""What the Africa's Talking emulator remembers and has been told, shared by request threads."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import request

REQUEST_MODES = ("http_status", "reject", "delay_s")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class EmulatorState:
    """What the emulator remembers and has been told; shared safely by request threads."""

    def __init__(
        self,
        api_key: str | None,
        delivery_url: str | None,
        auto_deliver: bool,
        delay_s: float,
        deliver_before_answer: bool = False,
    ) -> None:
        self.api_key = api_key
        self.delivery_url = delivery_url
        self.auto_deliver = auto_deliver
        self.delivery_delay_s = delay_s
        self.deliver_before_answer = deliver_before_answer
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.recipient_rules: dict[str, str] = {}
        self.next_requests: dict[str, Any] = {}

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.messages.clear()
            self.recipient_rules.clear()
            self.next_requests = {}

    def take_request_mode(self) -> dict[str, Any]:
        """The whole-request mode for the request arriving now (``{}`` for a normal answer)."""
        with self._lock:
            mode = self.next_requests
            if not mode:
                return {}
            mode["count"] -= 1
            if mode["count"] <= 0:
                self.next_requests = {}
            return {key: mode[key] for key in REQUEST_MODES if key in mode}

    def rule_for(self, phone: str) -> str | None:
        with self._lock:
            return self.recipient_rules.get(phone)

    def record(
        self, http_status: int, messages: Sequence[dict[str, Any]] = (), at: str | None = None
    ) -> None:
        """Remember the current request (and the recipients it produced, if any)."""
        form = request.form
        with self._lock:
            self.requests.append(
                {
                    "request_id": len(self.requests) + 1,
                    "http_status": http_status,
                    "username": form.get("username"),
                    "to": [n.strip() for n in form.get("to", "").split(",") if n.strip()],
                    "text": form.get("message"),
                    "from": form.get("from"),
                    "bulk_sms_mode": form.get("bulkSMSMode"),
                    "enqueue": form.get("enqueue"),
                    "received_at": at or now_iso(),
                }
            )
            for message in messages:
                self.messages.append({**message, "request_id": len(self.requests)})

    def find_message(self, message_id: str) -> dict[str, Any] | None:
        with self._lock:
            return next((m for m in self.messages if m["message_id"] == message_id), None)
