"""``/at/sms/delivery`` (delivery reports) and ``/at/sms/optout`` (bulk-SMS opt-outs)."""

from __future__ import annotations

import json

from flask import Response, request
from sqlalchemy.exc import IntegrityError

from gateway.contacts.service import get_or_create_contact, opt_out
from gateway.extensions import db
from gateway.sms.delivery import apply_report
from gateway.sms.models import DeliveryReport, InboundReceipt
from gateway.webhooks import bp, plain
from gateway.webhooks.forms import field, phone_field


@bp.post("/sms/delivery")
def delivery_report() -> Response:
    """Keep the report, then move its message forward (or leave it for when the id is stored)."""
    form = request.form
    provider_id = field(form, "id", limit=64)
    status = field(form, "status", limit=32)
    report = DeliveryReport(
        provider_id=provider_id,
        status=status,
        failure_reason=field(form, "failureReason", required=False, limit=64) or None,
        phone=phone_field(form, "phoneNumber") if form.get("phoneNumber") else None,
        network_code=field(form, "networkCode", required=False, limit=16) or None,
        raw=json.dumps(form.to_dict(), ensure_ascii=False)[:2000],
    )
    retry_count = field(form, "retryCount", required=False, limit=8)
    db.session.add(InboundReceipt(kind="dlr", external_id=f"{provider_id}:{status}:{retry_count}"))
    db.session.add(report)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return plain("duplicate: already received")
    # Committed first: a send job storing this id now will find the report if we miss the message.
    applied = apply_report(report)
    db.session.commit()
    return plain("applied" if applied else "kept until the message is known")


@bp.post("/sms/optout")
def bulk_optout() -> Response:
    """The person blocked our sender: no further message of any kind goes to them."""
    phone = phone_field(request.form, "phoneNumber")
    field(request.form, "senderId", limit=64)
    contact = get_or_create_contact(phone)
    changed = opt_out(contact, channel="at_optout")
    db.session.commit()
    return plain("opted out" if changed else "already opted out")
