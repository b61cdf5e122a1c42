"""A local Africa's Talking: a small real HTTP server speaking AT's SMS and Voice wire formats.

Used by the tests and by ``make run`` so that the real SDK makes real HTTP calls without an
account. It answers ``POST /version1/messaging`` as Africa's Talking does, remembers every
request and recipient, fails on demand (per recipient or for whole requests), and posts delivery
reports back to the gateway, on request or automatically. Control endpoints live under
``/_emulator/``; :class:`EmulatorServer` runs it on a free port for tests.

Voice (calls placed and driven as a phone) is in :mod:`.emulator_voice`.

Run it with ``python -m gateway.channels.emulator --port 8001 [--delivery-url URL --auto-deliver]
[--voice-url URL]``.
"""

from __future__ import annotations

import argparse
import logging
import math
import threading
import time
import uuid
from collections.abc import Sequence
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import requests
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.serving import make_server

from gateway.channels.emulator_state import (
    AUTH_FAILED,
    CHAOS_KEYS,
    REQUEST_MODES,
    EmulatorState,
    at_json,
    now_iso,
    valid_number,
)
from gateway.channels.emulator_voice import VoiceConfig, register_voice

log = logging.getLogger(__name__)

# Per-recipient failures the emulator can be told to produce, with AT's statusCode for each.
FAILURE_CODES = {
    "InvalidPhoneNumber": 403,
    "InsufficientBalance": 405,
    "UserInBlacklist": 406,
    "CouldNotRoute": 407,
    "DoNotDisturbRejection": 409,
    "InternalServerError": 500,
    "GatewayError": 501,
    "RejectedByGateway": 502,
}
PRICE_PER_SEGMENT = Decimal("0.80")
NETWORK_CODE = "63902"  # Safaricom

bp = Blueprint("at_emulator", __name__)


def create_emulator(
    api_key: str | None = None,
    delivery_url: str | None = None,
    auto_deliver: bool = False,
    delivery_delay_s: float = 0.2,
    deliver_before_answer: bool = False,
    voice_url: str | None = None,
    auto_answer: bool = True,
    answer_delay_s: float = 0.2,
) -> Flask:
    """Build the emulator app.

    Args:
        api_key: when set, the ``apiKey`` header must equal it (else HTTP 401).
        delivery_url: where delivery reports go (the gateway's ``/at/sms/delivery``).
        auto_deliver: post a ``Success`` report for every accepted recipient after each send.
        delivery_delay_s: how long after the send answer an automatic report is posted.
        deliver_before_answer: post the automatic reports before answering the send request,
            as happens for real when a report overtakes the send response.
        voice_url: where voice calls are posted (the gateway's ``/at/voice``).
        auto_answer: a phone the gateway calls answers by itself, ``answer_delay_s`` later.
    """
    app = Flask(__name__)
    app.extensions["at_emulator"] = EmulatorState(
        api_key, delivery_url, auto_deliver, delivery_delay_s, deliver_before_answer
    )
    app.register_blueprint(bp)
    register_voice(app, VoiceConfig(voice_url, auto_answer, answer_delay_s))
    return app


def _state() -> EmulatorState:
    state: EmulatorState = current_app.extensions["at_emulator"]
    return state


@bp.post("/version1/messaging")
def send_sms() -> Response:
    """Africa's Talking's bulk SMS endpoint."""
    state, form, arrived = _state(), request.form, now_iso()
    if state.api_key is not None and request.headers.get("apiKey") != state.api_key:
        state.record(401)
        return Response(AUTH_FAILED, 401, content_type="text/plain")
    for field in ("username", "to", "message"):
        if not form.get(field):
            state.record(400)
            text = f"Request is missing required form field '{field}'"
            return Response(text, 400, content_type="text/plain")
    mode = state.take_request_mode() or state.chaos_request_mode()
    time.sleep(float(mode.get("delay_s", 0)))
    if "http_status" in mode:
        code = int(mode["http_status"])
        state.record(code, at=arrived)
        title = f"{code} {HTTPStatus(code).phrase}"
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Response(page, code, content_type="text/html")
    if "reject" in mode:
        state.record(201, at=arrived)
        return at_json({"SMSMessageData": {"Message": mode["reject"], "Recipients": []}})
    numbers = [n.strip() for n in form["to"].split(",") if n.strip()]
    recipients = [_recipient(state, number, form["message"]) for number in numbers]
    messages = [
        {
            "message_id": r["messageId"] if r["messageId"] != "None" else None,
            "to": r["number"],
            "text": form["message"],
            "from": form.get("from"),
            "status_code": r["statusCode"],
            "status": r["status"],
            "cost": r["cost"],
            "received_at": arrived,
        }
        for r in recipients
    ]
    state.record(201, messages, at=arrived, delay_s=float(mode.get("delay_s", 0)))
    accepted = [r for r in recipients if r["statusCode"] == 101]
    total = sum((Decimal(r["cost"].split()[-1]) for r in accepted), Decimal(0))
    summary = f"Sent to {len(accepted)}/{len(recipients)} Total Cost: KES {total:.4f}"
    chaos_url, early, later = state.chaos_reports([(r["messageId"], r["number"]) for r in accepted])
    if chaos_url is not None and (early or later):
        _post_reports(chaos_url, early, 0)  # before the send answer, as a report may overtake it
        delay_s = float(state.chaos.get("report_delay_s", state.delivery_delay_s))
        args = (chaos_url, later, delay_s)
        threading.Thread(target=_post_reports, args=args, daemon=True).start()
    if state.auto_deliver and state.delivery_url and accepted:
        reports = [(r["messageId"], r["number"]) for r in accepted]
        if state.deliver_before_answer:
            _deliver_later(state.delivery_url, reports, 0)
            return at_json({"SMSMessageData": {"Message": summary, "Recipients": recipients}})
        threading.Thread(
            target=_deliver_later,
            args=(state.delivery_url, reports, state.delivery_delay_s),
            daemon=True,
        ).start()
    return at_json({"SMSMessageData": {"Message": summary, "Recipients": recipients}})


def _recipient(state: EmulatorState, number: str, text: str) -> dict[str, Any]:
    status = state.rule_for(number) or state.chaos_recipient_status()
    status = status or ("Success" if valid_number(number) else "InvalidPhoneNumber")
    if status != "Success":
        code = FAILURE_CODES[status]
        return {
            "statusCode": code,
            "number": number,
            "status": status,
            "cost": "0",
            "messageId": "None",
        }
    parts = count_segments(text)
    return {
        "statusCode": 101,
        "number": number,
        "status": "Success",
        "cost": f"KES {PRICE_PER_SEGMENT * parts:.4f}",
        "messageId": f"ATXid_{uuid.uuid4().hex}",
        "messageParts": parts,
    }


def count_segments(text: str) -> int:
    """Segments as the emulator bills them: 160/153 characters, or 70/67 past U+00FF."""
    single, multi = (70, 67) if any(ord(c) > 0xFF for c in text) else (160, 153)
    return 1 if len(text) <= single else math.ceil(len(text) / multi)


def post_delivery_report(
    url: str, message_id: str, phone: str, status: str, failure_reason: str | None = None
) -> requests.Response:
    """POST one delivery report in Africa's Talking's form format to ``url``."""
    form = {"id": message_id, "status": status, "phoneNumber": phone, "networkCode": NETWORK_CODE}
    if failure_reason or status in ("Failed", "Rejected"):
        form["failureReason"] = failure_reason or "DeliveryFailure"
    return requests.post(url, data=form, timeout=10)


def _deliver_later(url: str, reports: list[tuple[str, str]], delay_s: float) -> None:
    time.sleep(delay_s)
    for message_id, phone in reports:
        try:
            answer = post_delivery_report(url, message_id, phone, "Success")
        except Exception as exc:  # a background thread must not die loudly: log and drop
            log.warning("Delivery report for %s not posted: %s", message_id, exc)
            continue
        if answer.status_code >= 400:
            log.warning("Delivery report for %s answered %s", message_id, answer.status_code)


def _post_reports(url: str, reports: list[tuple[str, str, str]], delay_s: float) -> None:
    """Post ``(message_id, phone, status)`` reports in order (the chaos rules' reports)."""
    time.sleep(delay_s)
    for message_id, phone, status in reports:
        try:
            answer = post_delivery_report(url, message_id, phone, status)
        except Exception as exc:  # a background thread must not die loudly: log and drop
            log.warning("Delivery report for %s not posted: %s", message_id, exc)
            continue
        if answer.status_code >= 400:
            log.warning("Delivery report for %s answered %s", message_id, answer.status_code)


@bp.get("/_emulator/messages")
def list_messages() -> Response:
    state = _state()
    with state._lock:
        return jsonify(messages=list(state.messages))


@bp.get("/_emulator/requests")
def list_requests() -> Response:
    state = _state()
    with state._lock:
        return jsonify(requests=list(state.requests))


@bp.delete("/_emulator/messages")
def clear_messages() -> tuple[Response, int]:
    _state().clear()
    return jsonify(cleared=True), 200


@bp.put("/_emulator/rules")
def set_rules() -> tuple[Response, int]:
    """Body: ``{"recipients": {phone: status|null}, "next_requests": {mode..., "count": n},
    "chaos": {CHAOS_KEYS...}|null}``."""
    state = _state()
    body = request.get_json(silent=True) or {}
    recipients = body.get("recipients") or {}
    unknown = sorted({s for s in recipients.values() if s is not None and s not in FAILURE_CODES})
    if unknown:
        return jsonify(error=f"unknown recipient status {unknown}", known=list(FAILURE_CODES)), 400
    if "chaos" in body:
        chaos = body["chaos"] or {}
        if not isinstance(chaos, dict) or set(chaos) - set(CHAOS_KEYS):
            return jsonify(error="chaos takes a mapping", known=list(CHAOS_KEYS)), 400
        failing = set(chaos.get("recipient_failure_statuses") or []) - set(FAILURE_CODES)
        if failing:
            return jsonify(error=f"unknown recipient status {sorted(failing)}"), 400
        state.set_chaos(chaos)
    next_requests = body.get("next_requests")
    if next_requests is not None and not any(key in next_requests for key in REQUEST_MODES):
        return jsonify(error=f"next_requests needs one of {list(REQUEST_MODES)}"), 400
    with state._lock:
        for phone, status in recipients.items():
            if status is None:
                state.recipient_rules.pop(phone, None)
            else:
                state.recipient_rules[phone] = status
        if next_requests is not None:
            state.next_requests = {"count": 1, **next_requests}
        return jsonify(recipients=state.recipient_rules, next_requests=state.next_requests), 200


@bp.post("/_emulator/deliver")
def deliver() -> tuple[Response, int]:
    """Post a delivery report for a recorded message; answer with what the receiver said."""
    state = _state()
    body = request.get_json(silent=True) or {}
    message = state.find_message(str(body.get("message_id")))
    if message is None:
        return jsonify(error="no such message_id"), 404
    url = body.get("url") or state.delivery_url
    if not url:
        return jsonify(error="no delivery URL configured or given"), 400
    status = str(body.get("status") or "Success")
    try:
        answer = post_delivery_report(
            url, message["message_id"], message["to"], status, body.get("failure_reason")
        )
    except requests.RequestException as exc:
        return jsonify(error=str(exc)), 502
    return jsonify(status_code=answer.status_code, body=answer.text), 200


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: serve the emulator until interrupted."""
    parser = argparse.ArgumentParser(description="Local Africa's Talking SMS emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--api-key", help="require this apiKey header")
    parser.add_argument("--delivery-url", help="where delivery reports are posted")
    parser.add_argument("--auto-deliver", action="store_true", help="report Success after sends")
    parser.add_argument("--delivery-delay", type=float, default=0.2, help="seconds (default 0.2)")
    parser.add_argument("--voice-url", help="where voice calls are posted (the gateway's)")
    parser.add_argument(
        "--no-auto-answer", action="store_true", help="phones the gateway calls do not answer"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_emulator(
        args.api_key,
        args.delivery_url,
        args.auto_deliver,
        args.delivery_delay,
        voice_url=args.voice_url,
        auto_answer=not args.no_auto_answer,
    )
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"Africa's Talking emulator listening on http://{args.host}:{server.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
