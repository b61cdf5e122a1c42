"""The emulator's Africa's Talking Voice: outbound call requests, and calls driven as a phone.

``POST /voice/call`` answers as Africa's Talking does (the SDK's ``VoiceService.call``) and,
with auto-answer on, the called phone answers: its first callback goes to the voice URL. The
control endpoints under ``/_emulator/voice/`` play the person on the phone (``dial``, ``answer``,
``press``, ``record``, ``silence``, ``hangup``); each posts what Africa's Talking would post,
runs the gateway's XML answer as Africa's Talking does (prompts heard in order, ``Redirect``
followed, ``Reject`` or a response with no input action ending the call with its final request)
and answers with the requests it made and the actions it read. ``GET /_emulator/voice/calls``
lists every call with its transcript. The whole-request failures of ``PUT /_emulator/rules``
(``next_requests``) apply to call requests as to sends: to whichever request comes next.

The final request goes to the voice number's URL (where the call's first callback went), not to
an action's ``callbackUrl``. Prices are Africa's Talking's, per started minute: about 1 KES for
an answered inbound call, 5 KES for an outbound one, nothing for a rejected or unanswered one.
"""

from __future__ import annotations

import threading
import time
import uuid
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request

from gateway.channels.emulator_phone import (
    answer_call,
    call_price,
    exchange,
    finish,
    parse_actions,
    proceed,
)
from gateway.channels.emulator_state import (
    AUTH_FAILED,
    EmulatorState,
    at_json,
    now_iso,
    valid_number,
)
from gateway.channels.emulator_voice_state import (
    DEFAULT_VOICE_NUMBER,
    Call,
    VoiceConfig,
    VoiceState,
    waiting_for,
)

__all__ = ["VoiceConfig", "call_price", "parse_actions", "register_voice"]

bp = Blueprint("at_emulator_voice", __name__)


def register_voice(app: Flask, config: VoiceConfig) -> None:
    """Give the emulator app its voice endpoints."""
    app.extensions["at_emulator_voice"] = VoiceState(config)
    app.register_blueprint(bp)


def _voice() -> VoiceState:
    state: VoiceState = current_app.extensions["at_emulator_voice"]
    return state


def _sms_state() -> EmulatorState:
    state: EmulatorState = current_app.extensions["at_emulator"]
    return state


# Africa's Talking's voice API ---------------------------------------------------------------


@bp.post("/voice/call")
def place_call() -> Response:
    """Africa's Talking's outbound call request, as the SDK's ``VoiceService.call`` sends it."""
    sms, voice, form, arrived = _sms_state(), _voice(), request.form, now_iso()
    entry: dict[str, Any] = {
        "username": form.get("username"),
        "from": form.get("from"),
        "to": [n.strip() for n in form.get("to", "").split(",") if n.strip()],
        "received_at": arrived,
        "session_ids": [],
    }
    if sms.api_key is not None and request.headers.get("apiKey") != sms.api_key:
        voice.record_request({**entry, "http_status": 401})
        return Response(AUTH_FAILED, 401, content_type="text/plain")
    for name in ("username", "from", "to"):
        if not form.get(name):
            voice.record_request({**entry, "http_status": 400})
            text = f"Request is missing required form field '{name}'"
            return Response(text, 400, content_type="text/plain")
    mode = sms.take_request_mode()
    time.sleep(float(mode.get("delay_s", 0)))
    if "http_status" in mode:
        code = int(mode["http_status"])
        voice.record_request({**entry, "http_status": code})
        title = f"{code} {HTTPStatus(code).phrase}"
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Response(page, code, content_type="text/html")
    config, caller = voice.config, form["from"]
    known = not config.voice_numbers or caller in config.voice_numbers
    if "reject" in mode or not (valid_number(caller) and known):
        voice.record_request({**entry, "http_status": 200})
        reason = mode.get("reject") or f"Invalid callerId: {caller}"
        return at_json({"entries": [], "errorMessage": reason}, 200)
    entries = []
    for number in entry["to"]:
        if not valid_number(number):
            entries.append(
                {"phoneNumber": number, "status": "InvalidPhoneNumber", "sessionId": "None"}
            )
            continue
        call = voice.add(
            Call(f"ATVId_{uuid.uuid4().hex}", "Outbound", number, caller, config.voice_url)
        )
        entry["session_ids"].append(call.session_id)
        entries.append({"phoneNumber": number, "status": "Queued", "sessionId": call.session_id})
        if config.auto_answer and config.voice_url:
            args = (call, config.answer_delay_s)
            threading.Thread(target=_answer_later, args=args, daemon=True).start()
    voice.record_request({**entry, "http_status": 200})
    return at_json({"entries": entries, "errorMessage": "None"}, 200)


def _answer_later(call: Call, delay_s: float) -> None:
    time.sleep(delay_s)
    with call.lock:
        if call.state == "ringing":
            answer_call(call)


# Control endpoints: the person on the phone ------------------------------------------------


def _outcome(call: Call, steps: list[dict[str, Any]]) -> tuple[Response, int]:
    """What a control endpoint answers: the requests it made and the actions it read."""
    heard = [action for step in steps if not step["final"] for action in step["actions"]]
    return jsonify(
        session_id=call.session_id,
        state=call.state,
        waiting_for=waiting_for(call.waiting),
        actions=heard,
        steps=steps,
        final=call.final,
    ), 200


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


def _call_of(body: dict[str, Any]) -> Call:
    """The call ``session_id`` names; a 404 answer if there is none."""
    call = _voice().get(str(body.get("session_id") or ""))
    if call is None:
        missing = jsonify(error="no such session_id")
        missing.status_code = 404
        abort(missing)
    return call


@bp.put("/_emulator/voice/config")
def configure() -> tuple[Response, int]:
    """Body: any of ``voice_url``, ``auto_answer``, ``answer_delay_s``, ``voice_numbers``."""
    body = request.get_json(silent=True) or {}
    known = {"voice_url", "auto_answer", "answer_delay_s", "voice_numbers"}
    if not isinstance(body, dict) or set(body) - known:
        return jsonify(error="unknown option", known=sorted(known)), 400
    if "voice_numbers" in body:
        body["voice_numbers"] = tuple(body["voice_numbers"] or ())
    config = _voice().configure(**body)
    return jsonify(
        voice_url=config.voice_url,
        auto_answer=config.auto_answer,
        answer_delay_s=config.answer_delay_s,
        voice_numbers=list(config.voice_numbers),
    ), 200


@bp.get("/_emulator/voice/calls")
def list_calls() -> Response:
    """Every call, oldest first (``?phone=`` for one person's), with its transcript."""
    return jsonify(calls=_voice().listing(request.args.get("phone")))


@bp.get("/_emulator/voice/requests")
def list_call_requests() -> Response:
    """Every outbound call request the gateway made, refused ones included."""
    voice = _voice()
    with voice._lock:
        return jsonify(requests=list(voice.requests))


@bp.delete("/_emulator/voice/calls")
def clear_calls() -> tuple[Response, int]:
    _voice().reset()
    return jsonify(cleared=True), 200


@bp.post("/_emulator/voice/dial")
def dial() -> tuple[Response, int]:
    """An inbound call: ``from`` (the person) dials ``to`` (default: the first voice number);
    ``url`` overrides the voice URL."""
    voice, body = _voice(), _body()
    caller = str(body.get("from") or "")
    if not valid_number(caller):
        return jsonify(error="from must be a valid E.164 number"), 400
    config = voice.config
    destination = str(body.get("to") or next(iter(config.voice_numbers), DEFAULT_VOICE_NUMBER))
    url = body.get("url") or config.voice_url
    if not url:
        return jsonify(error="no voice URL configured or given"), 400
    call = voice.add(Call(f"ATVId_{uuid.uuid4().hex}", "Inbound", caller, destination, url))
    with call.lock:
        steps = answer_call(call)
        return _outcome(call, steps)


@bp.post("/_emulator/voice/answer")
def answer() -> tuple[Response, int]:
    """The called phone answers a ringing outbound call (when auto-answer is off)."""
    call = _call_of(_body())
    with call.lock:
        if call.state != "ringing":
            return jsonify(error=f"the call is {call.state}"), 409
        if call.home_url is None:
            return jsonify(error="no voice URL configured"), 400
        return _outcome(call, answer_call(call))


@bp.post("/_emulator/voice/press")
def press() -> tuple[Response, int]:
    """Keys pressed during a ``GetDigits``: posted as ``dtmfDigits`` to its callbackUrl."""
    body = _body()
    call = _call_of(body)
    digits = str(body.get("digits") or "")
    if not digits:
        return jsonify(error="digits are needed"), 400
    with call.lock:
        waiting = call.waiting
        if call.state != "live" or waiting is None or waiting["action"] != "GetDigits":
            return jsonify(error="the call is not waiting for keys"), 409
        url = urljoin(call.url or "", waiting.get("callbackUrl") or call.url or "")
        call.waiting, call.rest = None, []
        steps: list[dict[str, Any]] = []
        exchange(call, url, {"dtmfDigits": digits}, steps)
        return _outcome(call, steps)


@bp.post("/_emulator/voice/record")
def record() -> tuple[Response, int]:
    """Speech for a ``Record``: the uploaded ``audio`` file (multipart) is served by the
    emulator, and its URL posted as ``recordingUrl`` to the Record's callbackUrl."""
    body = request.form.to_dict()
    call = _call_of(body)
    upload = request.files.get("audio")
    if upload is None:
        return jsonify(error="an audio file is needed"), 400
    audio = upload.read()
    content_type = upload.mimetype or "application/octet-stream"
    with call.lock:
        waiting = call.waiting
        if call.state != "live" or waiting is None or waiting["action"] != "Record":
            return jsonify(error="the call is not recording"), 409
        recording_id = _voice().keep_recording(audio, content_type)
        recording_url = f"{request.host_url}_emulator/voice/recordings/{recording_id}"
        url = urljoin(call.url or "", waiting.get("callbackUrl") or call.url or "")
        call.waiting, call.rest = None, []
        steps: list[dict[str, Any]] = []
        exchange(call, url, {"recordingUrl": recording_url}, steps)
        return _outcome(call, steps)


@bp.get("/_emulator/voice/recordings/<recording_id>")
def recording(recording_id: str) -> Response:
    voice = _voice()
    with voice._lock:
        found = voice.recordings.get(recording_id)
    if found is None:
        return Response("Not found", 404, content_type="text/plain")
    audio, content_type = found
    return Response(audio, 200, content_type=content_type)


@bp.post("/_emulator/voice/silence")
def silence() -> tuple[Response, int]:
    """No key pressed, nothing said: after a ``GetDigits`` the next action runs (nothing is
    posted); after a ``Record`` an empty ``recordingUrl`` is posted."""
    call = _call_of(_body())
    with call.lock:
        waiting, rest = call.waiting, call.rest
        if call.state != "live" or waiting is None:
            return jsonify(error="the call is not waiting for the phone"), 409
        call.waiting, call.rest = None, []
        steps: list[dict[str, Any]] = []
        if waiting["action"] == "GetDigits":
            proceed(call, rest, steps)
        else:
            url = urljoin(call.url or "", waiting.get("callbackUrl") or call.url or "")
            exchange(call, url, {"recordingUrl": ""}, steps)
        return _outcome(call, steps)


@bp.post("/_emulator/voice/hangup")
def hangup() -> tuple[Response, int]:
    """The phone hangs up: the final request is posted (``twice`` posts it twice; a call that
    has ended posts its final request again). ``duration_s`` sets the call's length."""
    body = _body()
    call = _call_of(body)
    twice = str(body.get("twice", "")).lower() in ("1", "true")
    duration = body.get("duration_s")
    with call.lock:
        cause = "NO_ANSWER" if call.state == "ringing" else "NORMAL_CLEARING"
        steps: list[dict[str, Any]] = []
        seconds = int(duration) if duration not in (None, "") else None
        finish(call, steps, cause, seconds, times=2 if twice else 1)
        return _outcome(call, steps)
