"""Phone simulator: a basic phone in the browser that dials the gateway's USSD code and sends
SMS, through the gateway's own Africa's Talking callbacks (``/at/ussd``, ``/at/sms``) in AT's
wire format, with the webhook secret as AT sends it, and shows the USSD screens and the SMS
the gateway sent back to the simulated number (read from the messages table).

The callbacks are called through the app itself (a request of its own, as AT's would be), not
over the network, so a single-worker web process cannot deadlock calling itself.

The gateway answers a simulated number with real queued SMS, so the simulator is only open
while the gateway sends through its bundled emulator (:attr:`Settings.uses_emulator`): with an
Africa's Talking account configured, those replies would go out to the simulated number, so the
page says it is off and its callbacks answer 404. Anyone
logged in may use it with a simulation number (:data:`SIM_PREFIX`); only an admin may dial as
any number, since the gateway treats the number as that person (their consent, their
reports, their opt-out).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, current_app, render_template, request
from sqlalchemy import select

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.extensions import db, utcnow
from gateway.phones import mask_phone, normalise_phone
from gateway.settings import Settings, current_settings
from gateway.sms.models import Message
from gateway.users import audit
from gateway.users.access import principal

SIM_PREFIX = "+254700000"  # +254 700 000 xxx: numbers kept for the simulator
DEFAULT_NUMBER = "+254700000123"
REPLIES_SHOWN = 10
NETWORK_CODE = "63902"  # Safaricom, as AT sends it


def available() -> bool:
    """Whether the simulator is open: only while outbound SMS go to the emulator."""
    settings = current_settings()
    return settings.uses_emulator


def _open() -> None:
    principal()
    if not available():
        abort(404)


def _number(raw: str | None) -> tuple[str | None, str | None]:
    """The simulated number in E.164, or the reason it may not be used."""
    try:
        number = normalise_phone((raw or DEFAULT_NUMBER).strip())
    except ValueError:
        return None, t("admin.simulator.bad_number")
    if not number.startswith(SIM_PREFIX) and not principal().is_admin:
        return None, t("admin.simulator.only_test_numbers", prefix=SIM_PREFIX)
    return number, None


def _callback(path: str, form: dict[str, str]) -> tuple[int, str]:
    """Post ``form`` to one of the gateway's AT callbacks, as Africa's Talking does."""
    settings = current_settings()
    query = {"secret": settings.at_webhook_secret} if settings.at_webhook_secret else None
    response = current_app.test_client().post(path, data=form, query_string=query)
    return response.status_code, response.get_data(as_text=True)


def _replies(number: str) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .where(Message.phone == number, Message.direction == "out")
            .order_by(Message.id.desc())
            .limit(REPLIES_SHOWN)
        )
    )


def _last_sent(number: str) -> str | None:
    """What the simulated number last texted the gateway, as stored: shown above the replies
    by the send and by the page's polling alike, so a poll never wipes it."""
    return db.session.scalar(
        select(Message.text)
        .where(Message.phone == number, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )


def _screen(**values: Any) -> str:
    return render_template("admin/simulator/_screen.html", **values)


@bp.route("/simulator")
def simulator() -> str:
    principal()
    settings = current_settings()
    if not available():
        return render_template("admin/simulator/off.html")
    number, error = _number(request.args.get("phone"))
    return render_template(
        "admin/simulator/page.html",
        number=number or DEFAULT_NUMBER,
        error=error,
        ussd_code=settings.ussd_code,
        shortcode=settings.at_shortcode,
        replies=_replies(number) if number else [],
        voice_number=settings.at_voice_number,
    )


@bp.route("/simulator/ussd", methods=["POST"])
def simulator_ussd() -> str:
    """One USSD hop: the first (``dial``), one more answer (``reply``: the entry typed on the
    keypad), or hanging up (``end``)."""
    _open()
    settings = current_settings()
    number, error = _number(request.form.get("phone"))
    if number is None:
        return _screen(error=error, ended=True, screen="", session_id="", text="")
    action = request.form.get("action")
    entry = request.form.get("input", "").strip()
    if action == "end":
        return _hang_up(number, settings)
    dialing = action == "dial" or not request.form.get("session_id")
    if dialing and _looks_like_code(entry) and entry != settings.ussd_code:
        # What a network answers a code nobody serves; the simulator dials only the gateway's.
        wrong = t("admin.simulator.unknown_code", typed=entry, code=settings.ussd_code)
        return _screen(error=None, ended=True, screen=wrong, session_id="", text="", number=number)
    session_id = f"ATUid_sim_{secrets.token_hex(8)}" if dialing else request.form["session_id"]
    text = "" if dialing else request.form.get("text", "")
    if not dialing:
        if not entry:
            abort(400)
        text = f"{text}*{entry}" if text else entry
    if dialing:
        audit.record("simulator.dial", "simulator", None, phone=mask_phone(number))
        db.session.commit()
    status, body = _callback(
        "/at/ussd",
        {
            "sessionId": session_id,
            "serviceCode": settings.ussd_code,
            "phoneNumber": number,
            "networkCode": NETWORK_CODE,
            "text": text,
        },
    )
    ended = status != 200 or not body.startswith("CON ")
    screen = body[4:] if body[:4] in ("CON ", "END ") else body
    return _screen(
        error=None if status == 200 else t("admin.simulator.failed", status=status),
        ended=ended,
        screen=screen,
        session_id=session_id,
        text=text,
        number=number,
    )


def _looks_like_code(entry: str) -> bool:
    return len(entry) > 2 and entry[0] == "*" and entry[-1] == "#"


def _hang_up(number: str, settings: Settings) -> str:
    """End the open session, telling the gateway as Africa's Talking does when a caller hangs
    up (an ``Incomplete`` end-of-session notification with what they had typed)."""
    session_id = request.form.get("session_id", "")
    error = None
    if session_id:
        status, _ = _callback(
            "/at/ussd/events",
            {
                "sessionId": session_id,
                "phoneNumber": number,
                "serviceCode": settings.ussd_code,
                "networkCode": NETWORK_CODE,
                "status": "Incomplete",
                "input": request.form.get("text", ""),
                "date": utcnow().strftime("%Y-%m-%d %H:%M:%S"),
            },
        )
        error = None if status == 200 else t("admin.simulator.failed", status=status)
    ended = t("admin.simulator.ended", code=settings.ussd_code)
    return _screen(error=error, ended=True, screen=ended, session_id="", text="", number=number)


@bp.route("/simulator/sms", methods=["POST"])
def simulator_sms() -> str:
    """An SMS from the simulated number to the gateway's short code."""
    _open()
    settings = current_settings()
    number, error = _number(request.form.get("phone"))
    body = request.form.get("text", "").strip()
    status = 0
    if number is not None and body:
        audit.record("simulator.sms", "simulator", None, phone=mask_phone(number))
        db.session.commit()
        status, _ = _callback(
            "/at/sms",
            {
                "from": number,
                "to": request.form.get("to") or settings.at_shortcode,
                "text": body,
                "date": utcnow().strftime("%Y-%m-%d %H:%M:%S"),
                "id": f"ATXid_sim_{secrets.token_hex(8)}",
                "linkId": "",
                "networkCode": NETWORK_CODE,
            },
        )
        if status != 200:
            error = t("admin.simulator.failed", status=status)
    return render_template(
        "admin/simulator/_replies.html",
        number=number,
        replies=_replies(number) if number else [],
        error=error,
        sent=_last_sent(number) if number else None,
    )


@bp.route("/simulator/replies")
def simulator_replies() -> str:
    """The SMS the gateway sent the simulated number, newest first (the page polls this)."""
    _open()
    number, error = _number(request.args.get("phone"))
    return render_template(
        "admin/simulator/_replies.html",
        number=number,
        replies=_replies(number) if number else [],
        error=error,
        sent=_last_sent(number) if number else None,
    )


# The call mode's routes (a module of their own, on this blueprint).
from gateway.admin import simulator_call  # noqa: E402, F401
