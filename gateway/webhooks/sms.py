"""``/at/sms``: an incoming SMS, stored once however often Africa's Talking retries it."""

from __future__ import annotations

from flask import Response, request
from sqlalchemy import select

from gateway.extensions import db
from gateway.sms.models import Handling, Message
from gateway.sms.receive import store_inbound_sms
from gateway.sms.wake import wake
from gateway.webhooks import bp, plain
from gateway.webhooks.forms import MAX_TEXT, at_datetime, field, phone_field, read_form


@bp.post("/sms")
def incoming_sms() -> Response:
    form = read_form(request)
    external_id = field(form, "id", limit=64)
    phone = phone_field(form, "from")
    shortcode = field(form, "to", limit=32)
    text = field(form, "text", limit=MAX_TEXT)
    received_at = at_datetime(field(form, "date", limit=64))
    message_id = store_inbound_sms(
        external_id=external_id,
        phone=phone,
        shortcode=shortcode,
        text=text,
        received_at=received_at,
    )
    if message_id is not None:
        db.session.commit()
        return plain("received")
    unhandled = _still_unhandled(external_id)
    db.session.commit()
    if unhandled is not None:  # its first handling never got a job (Redis was away): now
        wake(unhandled)
    return plain("duplicate: already received")


def _still_unhandled(external_id: str) -> int | None:
    """The id of the SMS a retried callback carries, if no worker has handled it yet."""
    return db.session.scalar(
        select(Message.id).where(
            Message.direction == "in",
            Message.provider_id == external_id,
            Message.handling_state == Handling.PENDING,
        )
    )
