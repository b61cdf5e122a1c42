"""``/at/ussd`` (one hop of a session) and ``/at/ussd/events`` (the session has ended)."""

from __future__ import annotations

import logging

from flask import Response, request
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.contacts.service import get_or_create_contact, read_contact
from gateway.extensions import db, redis_client
from gateway.i18n import catalogs
from gateway.numbers import whole_number
from gateway.phones import mask_phone
from gateway.settings import current_settings
from gateway.ussd import answer_hop
from gateway.ussd.engine import Hop
from gateway.ussd.models import UssdSessionEnd
from gateway.ussd.screens import Screen
from gateway.ussd.sessions import SessionStore
from gateway.webhooks import MAX_CALLBACK_BYTES, bp, plain
from gateway.webhooks.forms import BadCallback, at_datetime, field, phone_field, read_form

log = logging.getLogger(__name__)


def _closing(key: str, language: str) -> Response:
    return plain(Screen(catalogs().text(key, language), end=True).body)


@bp.post("/ussd")
def ussd_hop() -> Response:
    """Answer one hop; always ``CON …`` or ``END …`` with HTTP 200, whatever arrives."""
    settings = current_settings()
    language = settings.default_language
    try:
        form = read_form(request)
    except RequestEntityTooLarge:  # no hop of Africa's Talking's; still a screen, not a 413
        log.warning("USSD hop refused: a body over %d bytes", MAX_CALLBACK_BYTES)
        return _closing("ussd.bad_request", language)
    try:
        hop = Hop(
            session_id=field(form, "sessionId", limit=128),
            phone=phone_field(form, "phoneNumber"),
            service_code=field(form, "serviceCode", limit=64),
            text=field(form, "text", required=False),
            network_code=field(form, "networkCode", required=False, limit=16) or None,
        )
    except BadCallback as exc:
        log.warning("unreadable USSD hop: %s", exc)
        return _closing("ussd.bad_request", language)
    try:
        contact = read_contact(hop.phone) or get_or_create_contact(hop.phone)
        language = contact.language or language
        store = SessionStore(redis_client())
        answer = answer_hop(hop, contact, settings, catalogs(), store)
        db.session.commit()  # a report is saved before its last screen is answered
        answer.remember(store)
    except RedisError:
        log.warning("USSD hop for %s: Redis unavailable", mask_phone(hop.phone))
        db.session.rollback()
        return _closing("ussd.unavailable", language)
    except Exception:
        log.exception("USSD hop failed for %s", mask_phone(hop.phone))
        db.session.rollback()
        return _closing("ussd.unavailable", language)
    return plain(answer.screen.body)


@bp.post("/ussd/events")
def ussd_session_ended() -> Response:
    """Keep Africa's Talking's end-of-session notification (once per session)."""
    form = request.form
    ended = field(form, "date", required=False)
    record = UssdSessionEnd(
        session_id=field(form, "sessionId", limit=128),
        phone=phone_field(form, "phoneNumber"),
        status=field(form, "status", limit=16),
        service_code=field(form, "serviceCode", required=False, limit=32) or None,
        network_code=field(form, "networkCode", required=False, limit=16) or None,
        input=field(form, "input", required=False) or None,
        hops=_int(field(form, "hopsCount", required=False), "hopsCount"),
        duration_ms=_int(field(form, "durationInMillis", required=False), "durationInMillis"),
        cost=field(form, "cost", required=False, limit=32) or None,
        error_message=field(form, "errorMessage", required=False) or None,
        ended_at=at_datetime(ended) if ended else None,
    )
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return plain("duplicate: already recorded")
    return plain("recorded")


def _int(raw: str, name: str) -> int | None:
    if not raw:
        return None
    number = whole_number(raw, high=2**31 - 1)
    if number is None:
        raise BadCallback(f"field '{name}' is not a whole number from 0 to 2147483647")
    return number
