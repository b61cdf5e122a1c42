"""``/at/voice``: every request Africa's Talking makes about a call on the voice line.

- A live inbound call is a missed call: answered ``<Reject/>`` (free to the caller and to HMK),
  and a call-back is owed (:mod:`gateway.voice.callbacks`); a missed call to another number
  (a poll option's: beep to vote) is its area's (:mod:`gateway.voice.beeps`), never called back;
  unless an answerer takes the caller's number (:mod:`gateway.voice.answering`: staff recording
  prompts), whose flow answers.
- A live outbound call is a call-back that was answered: the voice menu
  (:mod:`gateway.voice.engine`), one request per key pressed or recording made.
- The final request (``isActive=0``) closes the call with its cost, once.

A live call's request with a field we cannot use is answered with a spoken goodbye (a status
of 400 would leave the caller in silence); any other malformed request gets 400 and the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask import Response, current_app, request
from sqlalchemy import select

from gateway.contacts.service import find_contact
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.numbers import whole_number
from gateway.phones import mask_phone
from gateway.settings import Settings, current_settings
from gateway.voice.answering import ANSWERERS, answerer_for
from gateway.voice.beeps import claim_call, take_beep
from gateway.voice.callbacks import owe_callback
from gateway.voice.calls import CallEnd, close_call, open_call
from gateway.voice.engine import CallContext, Turn, VoiceEngine
from gateway.voice.models import CallBack, VoiceCall
from gateway.voice.xml import Action, Reject, Say, response
from gateway.webhooks import bp, plain
from gateway.webhooks.forms import BadCallback, field, phone_field, read_form

log = logging.getLogger(__name__)

DIRECTIONS = {"Inbound": "in", "Outbound": "out"}


def xml(actions: list[Action]) -> Response:
    return Response(response(actions), mimetype="application/xml")


@bp.post("/voice")
def voice_call() -> Response:
    form = read_form(request)
    active = field(form, "isActive", limit=1)
    if active not in ("0", "1"):
        raise BadCallback("field 'isActive' must be 0 or 1")
    if active == "0":
        return _final(form)
    try:
        call = _live_call(form)
    except BadCallback as problem:
        log.warning("voice: a live call's request could not be used: %s", problem)
        return xml(_goodbye())
    if call.direction == "in":
        purpose = _answered(call)
        return _missed(call) if purpose is None else _menu(call, form, purpose)
    return _menu(call, form)


def _live_call(form: Mapping[str, str]) -> VoiceCall:
    direction = DIRECTIONS.get(field(form, "direction", limit=16))
    if direction is None:
        raise BadCallback("field 'direction' must be Inbound or Outbound")
    call, _ = open_call(
        field(form, "sessionId", limit=64),
        direction=direction,
        purpose="missed" if direction == "in" else "callback",
        phone=phone_field(form, "callerNumber"),
        destination=field(form, "destinationNumber", limit=32),
    )
    return call


def _answered(call: VoiceCall) -> str | None:
    """The purpose of an inbound call that is answered (its first request decides), or None."""
    if call.purpose in ANSWERERS:
        return call.purpose
    if call.state is not None or call.destination != current_settings().at_voice_number:
        return None
    answerer = answerer_for(call.phone)
    if answerer is None:
        return None
    call.purpose = answerer.purpose
    log.info("voice: %s call from %s answered", answerer.purpose, mask_phone(call.phone))
    return answerer.purpose


def _missed(call: VoiceCall) -> Response:
    settings = current_settings()
    outcome = "a repeated request: acted on already"
    if claim_call(call):  # a repeated request of this call owes nothing more
        if call.destination == settings.at_voice_number:
            _, outcome = owe_callback(call, settings)
        else:
            outcome = take_beep(call)
    db.session.commit()
    log.info("voice: missed call from %s: %s", mask_phone(call.phone), outcome)
    return xml([Reject()])


def _menu(call: VoiceCall, form: Mapping[str, str], purpose: str | None = None) -> Response:
    settings = current_settings()
    contact = find_contact(call.phone)
    if call.contact_id is None and contact is not None:
        call.contact_id = contact.id
    ctx = CallContext(
        phone=call.phone,
        session_id=call.session_id,
        call_id=call.id,
        contact=contact,
        settings=settings,
        catalogs=catalogs(),
        callback_url=callback_url(settings),
    )
    ctx.load(call.state)
    turn = Turn(
        digits=field(form, "dtmfDigits", required=False, limit=32) or None,
        recording_url=field(form, "recordingUrl", required=False, limit=500) or None,
        silent=request.args.get("silent") == "1",
    )
    engine: VoiceEngine = (
        current_app.extensions["voice_engines"][purpose]
        if purpose
        else current_app.extensions["voice_engine"]
    )
    actions = engine.answer(ctx, turn)
    call.state = ctx.dump()
    if ctx.contact is not None:
        call.contact_id = ctx.contact.id
    db.session.commit()
    return xml(actions)


def _final(form: Mapping[str, str]) -> Response:
    direction = DIRECTIONS.get(field(form, "direction", limit=16))
    if direction is None:
        raise BadCallback("field 'direction' must be Inbound or Outbound")
    end = CallEnd(
        duration_s=_whole(field(form, "durationInSeconds", limit=9), "durationInSeconds"),
        amount=_amount(field(form, "amount", limit=20)),
        currency=field(form, "currencyCode", required=False, limit=8) or "KES",
        end_state=field(form, "callSessionState", required=False, limit=32),
        hangup_cause=field(form, "hangupCause", required=False, limit=64),
    )
    session_id = field(form, "sessionId", limit=64)
    call, _ = open_call(
        session_id,
        direction=direction,
        purpose="missed" if direction == "in" else "callback",
        phone=phone_field(form, "callerNumber"),
        destination=field(form, "destinationNumber", limit=32),
    )
    if direction == "in" and call.destination != current_settings().at_voice_number:
        if claim_call(call):  # its first request never came: a beep counts from its final
            log.info("voice: beep from %s: %s", mask_phone(call.phone), take_beep(call))
    if call.contact_id is None and direction == "out":
        callback = db.session.scalar(select(CallBack).where(CallBack.session_id == session_id))
        call.contact_id = callback.contact_id if callback else None
    counted = close_call(call, end)
    db.session.commit()
    return plain("counted" if counted else "duplicate: already counted")


def _whole(raw: str, name: str) -> int:
    value = whole_number(raw.strip())
    if value is None:
        raise BadCallback(f"field '{name}' is not a whole number")
    return value


def _amount(raw: str) -> Decimal:
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        raise BadCallback("field 'amount' is not a number") from None
    if not amount.is_finite() or amount < 0 or amount > 100000:
        raise BadCallback("field 'amount' is out of range")
    return amount


def callback_url(settings: Settings) -> str:
    """Where Africa's Talking posts a call's next request (with the secret, if one is set)."""
    url = settings.public_url.rstrip("/") + "/at/voice"
    return f"{url}?secret={settings.at_webhook_secret}" if settings.at_webhook_secret else url


def _goodbye() -> list[Action]:
    """Spoken when we cannot go on: English text to speech needs no recording."""
    return [Say(catalogs().text("voice.goodbye", "en"))]
