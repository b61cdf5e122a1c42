"""The phone simulator's call mode: a voice call as the simulated number, through the bundled
emulator's voice control endpoints (``/_emulator/voice/…``), which post to the gateway's voice
callback as Africa's Talking does.

The page dials the voice number, shows what each answer plays (a ``Say``'s text; a ``Play``'s
prompt, its text when the audio is a known prompt, and a player), presses keys, "records" by
uploading a sound file, and hangs up. A missed call is rejected and the gateway calls back: the
call part polls the emulator for that number's latest call, so the call-back shows when
answered. Open only while the simulator is (the gateway uses its emulator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import render_template, request
from sqlalchemy import select

from gateway.admin import bp
from gateway.admin.simulator import _number, _open
from gateway.admin.templating import t
from gateway.extensions import db
from gateway.i18n import MissingText, catalogs
from gateway.phones import mask_phone
from gateway.settings import current_settings
from gateway.users import audit
from gateway.voice.models import AudioClip, VoicePrompt

ACTIONS = ("dial", "press", "silence", "record", "hangup")
EMULATOR_TIMEOUT_S = 30  # a step may post several requests to the gateway (redirects)


@dataclass(frozen=True)
class PromptText:
    """A prompt's key, language and script, for a Play of a known prompt recording."""

    key: str
    language: str
    text: str


def _emulator(path: str) -> str:
    return f"{current_settings().sms_api_url}/_emulator/voice/{path}"


def _latest_call(number: str) -> dict[str, Any] | None:
    answer = requests.get(_emulator("calls"), params={"phone": number}, timeout=10)
    answer.raise_for_status()
    calls: list[dict[str, Any]] = answer.json()["calls"]
    return calls[-1] if calls else None


def _heard(call: dict[str, Any]) -> list[dict[str, Any]]:
    """What the call's last answered request played (a poll shows where the call is)."""
    for step in reversed(call["transcript"]):
        if not step["final"] and step["actions"]:
            return list(step["actions"])
    return []


def _prompt_of(url: str) -> PromptText | None:
    """The prompt a Play url speaks, when its file name is a known clip's sha256."""
    name = urlsplit(url).path.rsplit("/", 1)[-1].split(".", 1)[0].lower()
    if len(name) != 64:
        return None
    prompt = db.session.scalars(
        select(VoicePrompt)
        .join(AudioClip, AudioClip.id == VoicePrompt.audio_id)
        .where(AudioClip.sha256 == name)
        .limit(1)
    ).first()
    if prompt is None:
        return None
    try:
        text, _ = catalogs().raw(prompt.key, prompt.language)
    except MissingText:
        text = ""
    return PromptText(prompt.key, prompt.language, text)


def _render(number: str, **values: Any) -> str:
    settings = current_settings()
    call = values.get("call")
    actions = values.pop("actions", None)
    if actions is None:
        actions = _heard(call) if call else []
    prompts = {
        item["url"]: _prompt_of(item["url"])
        for action in actions
        for item in [action, *action.get("prompts", [])]
        if item["action"] == "Play" and item.get("url")
    }
    return render_template(
        "admin/simulator/_call.html",
        number=number,
        voice_number=settings.at_voice_number,
        actions=actions,
        prompts=prompts,
        **{"call": None, "error": None, **values},
    )


@bp.route("/simulator/call")
def simulator_call() -> str | tuple[str, int]:
    """The simulated number's latest call (the page polls this while no call is live): 204
    when it is the one the page shows (``known``), unchanged."""
    _open()
    number, error = _number(request.args.get("phone"))
    if number is None:
        return _render("", error=error)
    try:
        call = _latest_call(number)
    except requests.RequestException as exc:
        return _render(number, error=t("admin.simulator.call.unreachable", error=str(exc)))
    known = f"{call['session_id']}:{len(call['transcript'])}" if call else ""
    if "known" in request.args and request.args["known"] == known:
        return "", 204
    return _render(number, call=call)


@bp.route("/simulator/call", methods=["POST"])
def simulator_call_step() -> str:
    """One thing the phone does: ``dial`` the voice number, ``press`` keys (a keypad key comes
    as ``digits`` alone), stay ``silence``, ``record`` (an uploaded sound file), ``hangup``."""
    _open()
    number, error = _number(request.form.get("phone"))
    if number is None:
        return _render("", error=error)
    digits = request.form.get("digits") or request.form.get("typed", "").strip()
    action = request.form.get("action") or ("press" if request.form.get("digits") else "")
    if action not in ACTIONS:
        return _render(number, error=t("admin.simulator.call.unknown_action"))
    upload = request.files.get("audio")
    if action == "record" and (upload is None or not upload.filename):
        return _render(number, error=t("admin.simulator.call.no_file"), call=_quietly(number))
    if action == "dial":
        audit.record("simulator.call", "simulator", None, phone=mask_phone(number))
        db.session.commit()
    session_id = request.form.get("session_id", "")
    try:
        if action == "dial":
            body = {"from": number, "to": current_settings().at_voice_number}
            answer = requests.post(_emulator("dial"), json=body, timeout=EMULATOR_TIMEOUT_S)
        elif action == "record" and upload is not None:
            answer = requests.post(
                _emulator("record"),
                data={"session_id": session_id},
                files={"audio": (upload.filename, upload.read(), upload.mimetype)},
                timeout=EMULATOR_TIMEOUT_S,
            )
        else:
            body = {"session_id": session_id, "digits": digits}
            answer = requests.post(_emulator(action), json=body, timeout=EMULATOR_TIMEOUT_S)
        result: dict[str, Any] = answer.json()
        call = _latest_call(number)
    except (requests.RequestException, ValueError) as exc:
        return _render(number, error=t("admin.simulator.call.unreachable", error=str(exc)))
    if answer.status_code != 200:
        refused = t("admin.simulator.call.refused", error=result.get("error", answer.text))
        return _render(number, call=call, error=refused)
    return _render(number, call=call, actions=result["actions"], error=_failure(result))


def _quietly(number: str) -> dict[str, Any] | None:
    """The latest call, or None if the emulator does not answer (an error is shown anyway)."""
    try:
        return _latest_call(number)
    except requests.RequestException:
        return None


def _failure(result: dict[str, Any]) -> str | None:
    """The error to show when a request the emulator posted to the gateway failed."""
    for step in result["steps"]:
        if step["error"] or step["status"] not in (200, None):
            status = step["status"] or step["error"]
            return t("admin.simulator.call.gateway_error", status=status)
    return None
