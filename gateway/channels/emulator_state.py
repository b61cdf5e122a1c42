"""What the Africa's Talking emulator remembers and has been told, shared by request threads."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from flask import Response, request

REQUEST_MODES = ("http_status", "reject", "delay_s")
# A misbehaving Africa's Talking, by shares drawn from a seeded generator (see ``chaos_*``).
CHAOS_KEYS = (
    "seed",
    "http_500_share",
    "slow_share",
    "slow_s",
    "recipient_failure_share",
    "recipient_failure_statuses",
    "report_statuses",
    "reorder_share",
    "early_share",
    "early_count",
    "report_share",
    "report_delay_s",
    "delivery_url",
)


AUTH_FAILED = "The supplied authentication is invalid"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def valid_number(number: str) -> bool:
    """Whether ``number`` is a real phone number in E.164 (what Africa's Talking accepts)."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def at_json(payload: dict[str, Any], status: int = 201) -> Response:
    """An Africa's Talking JSON answer."""
    # The SDK parses JSON only when Content-Type is exactly "application/json": no charset.
    return Response(json.dumps(payload), status, content_type="application/json")


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
        self.chaos: dict[str, Any] = {}
        self._chaos_rng = random.Random(0)
        self._chaos_due: dict[str, float] = {}

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.messages.clear()
            self.recipient_rules.clear()
            self.next_requests = {}
            self.chaos = {}

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
        self,
        http_status: int,
        messages: Sequence[dict[str, Any]] = (),
        at: str | None = None,
        delay_s: float = 0.0,
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
                    "delay_s": delay_s,  # how much later than usual it was answered
                }
            )
            for message in messages:
                self.messages.append({**message, "request_id": len(self.requests)})

    def find_message(self, message_id: str) -> dict[str, Any] | None:
        with self._lock:
            return next((m for m in self.messages if m["message_id"] == message_id), None)

    # A misbehaving Africa's Talking (``PUT /_emulator/rules {"chaos": {...}}``) ---------------

    def set_chaos(self, chaos: dict[str, Any] | None) -> None:
        """Misbehave by shares from now on (None or ``{}``: behave); the generator is seeded."""
        with self._lock:
            self.chaos = dict(chaos or {})
            self._chaos_rng = random.Random(self.chaos.get("seed", 0))
            # Whole-request misbehaviour comes at its exact share, from a seeded phase.
            self._chaos_due = {"500": self._chaos_rng.random(), "slow": self._chaos_rng.random()}

    def chaos_request_mode(self) -> dict[str, Any]:
        """For the request arriving now: ``{"http_status": 500}`` (a share ``http_500_share``),
        ``{"delay_s": slow_s}`` (a share ``slow_share``: answered late, but acted on), or ``{}``.
        Each comes at its share exactly (one request in ten for 0.1), from a seeded phase."""
        with self._lock:
            if not self.chaos:
                return {}
            mode: dict[str, Any] = {}
            for kind, share in (("500", "http_500_share"), ("slow", "slow_share")):
                self._chaos_due[kind] += float(self.chaos.get(share, 0))
                if self._chaos_due[kind] >= 1:
                    self._chaos_due[kind] -= 1
                    if not mode:  # one misbehaviour a request; the other's turn waits
                        mode = (
                            {"http_status": 500}
                            if kind == "500"
                            else {"delay_s": float(self.chaos.get("slow_s", 10))}
                        )
                    else:
                        self._chaos_due[kind] += 1
            return mode

    def chaos_recipient_status(self) -> str | None:
        """A failure status for one recipient (a share ``recipient_failure_share``), or None."""
        with self._lock:
            share = float(self.chaos.get("recipient_failure_share", 0))
            if not share or self._chaos_rng.random() >= share:
                return None
            statuses = self.chaos.get("recipient_failure_statuses") or ["InternalServerError"]
            return str(self._chaos_rng.choice(statuses))

    def chaos_reports(
        self, accepted: Sequence[tuple[str, str]]
    ) -> tuple[str | None, list[tuple[str, str, str]], list[tuple[str, str, str]]]:
        """The delivery reports for a request's accepted ``(message_id, phone)``: where they go,
        those posted before the answer (a share ``early_share`` of requests: the first report
        of their first ``early_count`` recipients, default 5) and those posted after it. A
        share ``report_share`` of the recipients (default all) get reports; each gets
        ``report_statuses`` in order, or (a share ``reorder_share``) with the last status
        moved first."""
        with self._lock:
            statuses = list(self.chaos.get("report_statuses") or [])
            url = self.chaos.get("delivery_url") or self.delivery_url
            if not statuses or not url:
                return None, [], []
            early_request = self._chaos_rng.random() < float(self.chaos.get("early_share", 0))
            reorder = float(self.chaos.get("reorder_share", 0))
            early_count = int(self.chaos.get("early_count", 5))
            share = float(self.chaos.get("report_share", 1))
            before: list[tuple[str, str, str]] = []
            after: list[tuple[str, str, str]] = []
            chosen = [a for a in accepted if share >= 1 or self._chaos_rng.random() < share]
            for number, (message_id, phone) in enumerate(chosen):
                order = list(statuses)
                if len(order) > 1 and self._chaos_rng.random() < reorder:
                    order.insert(0, order.pop())  # e.g. Success before Sent and Submitted
                reports = [(message_id, phone, status) for status in order]
                if early_request and number < early_count:
                    before.append(reports[0])
                    after.extend(reports[1:])
                else:
                    after.extend(reports)
            return str(url), before, after
