"""``/at/sms``: an incoming SMS, stored once however often Africa's Talking retries it."""

from __future__ import annotations

from flask import Response, request
from sqlalchemy import select

from gateway.extensions import db
from gateway.sms.models import Message
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
    db.session.commit()
    if message_id is None:
        _wake_if_still_unhandled(external_id)
        return plain("duplicate: already received")
    return plain("received")


def _wake_if_still_unhandled(external_id: str) -> None:
    """A retried callback whose first handling never got a job (Redis was away) gets one now."""
    message_id = db.session.scalar(
        select(Message.id).where(
            Message.direction == "in",
            Message.provider_id == external_id,
            Message.kind == "unhandled",
        )
    )
    db.session.rollback()  # end the read
    if message_id is not None:
        wake(message_id)
