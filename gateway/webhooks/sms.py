"""``/at/sms``: an incoming SMS, stored once however often Africa's Talking retries it."""

from __future__ import annotations

from flask import Response, request
from sqlalchemy.exc import IntegrityError

from gateway.extensions import db
from gateway.sms.inbound import store_inbound_sms
from gateway.webhooks import bp, plain
from gateway.webhooks.forms import MAX_TEXT, at_datetime, field, phone_field


@bp.post("/sms")
def incoming_sms() -> Response:
    form = request.form
    external_id = field(form, "id", limit=128)
    phone = phone_field(form, "from")
    shortcode = field(form, "to", limit=32)
    text = field(form, "text", limit=MAX_TEXT)
    received_at = at_datetime(field(form, "date", limit=64))
    try:
        store_inbound_sms(
            external_id=external_id,
            phone=phone,
            shortcode=shortcode,
            text=text,
            received_at=received_at,
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return plain("duplicate: already received")
    return plain("received")
