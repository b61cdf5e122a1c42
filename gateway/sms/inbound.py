"""Incoming SMS: stored in the request, interpreted and answered by a worker."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import update

from gateway.contacts.models import Contact
from gateway.contacts.service import DELETED, get_or_create_contact, opt_out, record_consent
from gateway.encoding import analyse, transliterate
from gateway.extensions import db, redis_client, utcnow
from gateway.i18n import catalogs
from gateway.phones import mask_phone
from gateway.queues import INBOUND, enqueue_after_commit
from gateway.settings import Settings
from gateway.sms.keywords import KeywordMatch, keyword_table, match_keyword
from gateway.sms.models import InboundReceipt, Message
from gateway.sms.outbound import queue_sms

log = logging.getLogger(__name__)


def store_inbound_sms(
    *, external_id: str, phone: str, shortcode: str, text: str, received_at: datetime
) -> Message | None:
    """Keep an incoming SMS and enqueue its handling; None if this callback id was seen before.

    The caller commits. The receipt and the message are one transaction, so a retried callback
    either finds the receipt (and is a duplicate) or finds nothing (and stores both).
    """
    info = analyse(text)
    db.session.add(InboundReceipt(kind="sms", external_id=external_id))
    message = Message(
        direction="in",
        channel="sms",
        kind="unhandled",
        phone=phone,
        shortcode=shortcode,
        provider_id=external_id,
        text=text,
        encoding=info.encoding,
        segments=info.segments,
        status="received",
        received_at=received_at,
    )
    db.session.add(message)
    db.session.flush()
    enqueue_handling(message.id)
    return message


def handling_job_id(message_id: int) -> str:
    return f"inbound-sms-{message_id}"


def enqueue_handling(message_id: int) -> None:
    """Interpret the message through a worker once the current transaction commits."""
    enqueue_after_commit(
        db.session,
        INBOUND,
        "gateway.jobs.handle_inbound_sms",
        message_id,
        job_id=handling_job_id(message_id),
    )


def _claim(message_id: int) -> Message | None:
    """Take an unhandled inbound message for handling, exactly once."""
    claimed = db.session.scalars(
        update(Message)
        .where(Message.id == message_id, Message.kind == "unhandled")
        .values(kind="handling")
        .returning(Message.id)
    ).all()
    if not claimed:
        db.session.rollback()
        return None
    return db.session.get(Message, message_id)


def reply(
    contact: Contact, key: str, *, kind: str, ignores_opt_out: bool = False, **values: object
) -> Message:
    """Queue a system text to ``contact`` in their language (transliterated to GSM-7)."""
    settings: Settings = current_app.config["GATEWAY"]
    language = contact.language or settings.default_language
    values.setdefault("code", settings.ussd_code)
    values.setdefault("shortcode", settings.at_shortcode)
    text = transliterate(catalogs().text(key, language, **values))
    return queue_sms(
        phone=contact.phone,
        text=text,
        kind=kind,
        contact=contact,
        language=language,
        ignores_opt_out=ignores_opt_out,
    )


def handle_inbound_sms(message_id: int) -> str:
    """Interpret one incoming SMS: a keyword is acted on, anything else goes to the inbox.

    Safe to run twice: the message is claimed in the same transaction that writes the answer.
    """
    message = _claim(message_id)
    if message is None:
        return "already handled"
    if message.phone == DELETED:  # the sender deleted their data before this was handled
        message.kind = "inbox"
        db.session.commit()
        return "sender deleted their data"
    contact = get_or_create_contact(message.phone)
    message.contact_id = contact.id
    match = match_keyword(message.text, keyword_table(catalogs()))
    if match is None:
        outcome = _to_inbox(message, contact)
    else:
        outcome = _act_on_keyword(message, contact, match)
    db.session.commit()
    log.info("inbound sms %s from %s: %s", message.id, mask_phone(message.phone), outcome)
    return outcome


def _act_on_keyword(message: Message, contact: Contact, match: KeywordMatch) -> str:
    message.kind = f"keyword:{match.name}"
    if contact.language is None:
        contact.language = match.language
    if match.name == "stop":
        opt_out(contact, channel="sms")
        reply(contact, "sms.stop", kind="opt_out_confirmation", ignores_opt_out=True)
        return "opted out"
    if match.name == "join":
        language = contact.language
        record_consent(
            contact,
            channel="sms",
            wording_version="sms.join",
            language=language,
            wording_text=message.text,
        )
        if contact.county:
            reply(contact, "sms.welcome", kind="welcome", county=contact.county)
        else:
            reply(contact, "sms.join", kind="welcome")
        return "joined"
    if match.name in ("yes", "no"):  # an RSVP, or if no meeting awaits one, a plain message
        from gateway.meetings.notices import answer_rsvp_sms

        return answer_rsvp_sms(contact, match.name == "yes") or _to_inbox(message, contact)
    if match.name == "next":
        from gateway.guides.series import send_next_now

        return send_next_now(contact)
    reply(contact, "sms.help", kind="help")
    return "help sent"


def _to_inbox(message: Message, contact: Contact) -> str:
    """Keep a free-text message; answer once per number per interval (no robot ping-pong)."""
    settings: Settings = current_app.config["GATEWAY"]
    message.kind = "inbox"
    if contact.opted_out_at is not None:
        return "kept (opted out, no reply)"
    first_in_interval = redis_client().set(
        f"sms:auto-reply:{contact.phone}",
        utcnow().isoformat(),
        nx=True,
        ex=settings.auto_reply_interval_s,
    )
    if not first_in_interval:
        return "kept (auto-reply sent recently)"
    reply(contact, "sms.auto_reply", kind="auto_reply")
    return "kept and answered"
