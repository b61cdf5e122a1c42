"""The phone's side of an emulated call: what Africa's Talking posts to the voice URL, and how
it runs the XML it is answered with (prompts in order, ``Redirect`` followed, ``Reject`` or no
input action ending the call with its final request, priced as Africa's Talking prices)."""

from __future__ import annotations

import math
import time
import xml.etree.ElementTree as ElementTree
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from gateway.channels.emulator_state import now_iso
from gateway.channels.emulator_voice_state import Call

PRICE_PER_MINUTE = {"Inbound": Decimal("1.00"), "Outbound": Decimal("5.00")}  # KES
INPUT_ACTIONS = ("GetDigits", "Record")
UNANSWERED = ("CALL_REJECTED", "NO_ANSWER")
MAX_REDIRECTS = 10
POST_TIMEOUT_S = 15


def answer_call(call: Call) -> list[dict[str, Any]]:
    """The called (or calling) phone is connected: post the call's first callback."""
    steps: list[dict[str, Any]] = []
    call.state, call.answered_at = "live", time.monotonic()
    if call.home_url is None:
        return steps
    exchange(call, call.home_url, {}, steps)
    return steps


def exchange(
    call: Call, url: str, extra: dict[str, str], steps: list[dict[str, Any]], redirects: int = 0
) -> None:
    """Post one request of a live call to ``url`` and run the actions it is answered with."""
    call.url = url
    step = _post(url, {**call.form(True), **extra})
    steps.append(step)
    call.steps.append(step)
    if step["error"]:
        finish(call, steps, "NORMAL_CLEARING")  # Africa's Talking hangs up on a broken answer
        return
    proceed(call, step["actions"], steps, redirects)


def proceed(
    call: Call, actions: list[dict[str, Any]], steps: list[dict[str, Any]], redirects: int = 0
) -> None:
    """Run ``actions`` in order until one waits for the phone; with none left the call ends."""
    for index, action in enumerate(actions):
        kind = action["action"]
        if kind in INPUT_ACTIONS:
            call.waiting, call.rest = action, actions[index + 1 :]
            return
        if kind == "Reject":
            finish(call, steps, "CALL_REJECTED")
            return
        if kind == "Redirect" and redirects < MAX_REDIRECTS:
            exchange(call, urljoin(call.url or "", action["url"]), {}, steps, redirects + 1)
            return
    finish(call, steps, "NORMAL_CLEARING")


def finish(
    call: Call,
    steps: list[dict[str, Any]],
    cause: str,
    duration_s: int | None = None,
    times: int = 1,
) -> None:
    """End the call and post its final request (``times`` times, as Africa's Talking may)."""
    if call.final is None:
        answered = cause not in UNANSWERED and call.answered_at is not None
        if duration_s is None:
            duration_s = int(time.monotonic() - call.answered_at) if call.answered_at else 0
        duration_s = duration_s if answered else 0
        amount = call_price(call.direction, duration_s) if answered else Decimal(0)
        call.final = {
            **call.form(False),
            "durationInSeconds": str(duration_s),
            "currencyCode": "KES",
            "amount": f"{amount:.2f}",
            "callSessionState": "Completed",
            "hangupCause": cause,
        }
    call.state, call.waiting, call.rest = "ended", None, []
    url = call.home_url
    for _ in range(times):
        if url is None:
            break
        step = {**_post(url, call.final, read=False), "final": True}
        steps.append(step)
        call.steps.append(step)


def call_price(direction: str, duration_s: int) -> Decimal:
    """Africa's Talking's charge: the direction's rate per started minute."""
    return PRICE_PER_MINUTE.get(direction, PRICE_PER_MINUTE["Outbound"]) * math.ceil(
        duration_s / 60
    )


def _post(url: str, form: dict[str, str], read: bool = True) -> dict[str, Any]:
    step: dict[str, Any] = {
        "at": now_iso(),
        "url": _without_query(url),
        "posted": dict(form),
        "status": None,
        "answer": "",
        "actions": [],
        "error": None,
        "final": False,
    }
    try:
        answer = requests.post(url, data=form, timeout=POST_TIMEOUT_S)
    except requests.RequestException as exc:
        # Only the kind: the message quotes the URL, whose query may hold the webhook secret.
        step["error"] = f"not posted: {type(exc).__name__}"
        return step
    step["status"], step["answer"] = answer.status_code, answer.text[:20_000]
    if not read:
        return step
    if answer.status_code != 200:
        step["error"] = f"answered {answer.status_code}"
        return step
    try:
        step["actions"] = parse_actions(answer.text)
    except ValueError as exc:
        step["error"] = f"unreadable answer: {exc}"
    return step


def _without_query(url: str) -> str:
    """The URL as listed: the query may hold the webhook secret."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def parse_actions(body: str) -> list[dict[str, Any]]:
    """The actions of a ``<Response>`` document, in order, as plain dicts.

    Raises:
        ValueError: not XML, or not a ``<Response>``.
    """
    try:
        root = ElementTree.fromstring(body.strip())
    except ElementTree.ParseError as exc:
        raise ValueError(str(exc)) from exc
    if root.tag != "Response":
        raise ValueError(f"<{root.tag}> instead of <Response>")
    return [_action(element) for element in root]


def _action(element: ElementTree.Element) -> dict[str, Any]:
    kind, attrs = element.tag, dict(element.attrib)
    if kind == "Say":
        return {"action": kind, "text": element.text or "", **attrs}
    if kind == "Redirect":
        return {"action": kind, "url": (element.text or "").strip()}
    if kind in INPUT_ACTIONS:
        return {"action": kind, **attrs, "prompts": [_action(child) for child in element]}
    return {"action": kind, **attrs}
