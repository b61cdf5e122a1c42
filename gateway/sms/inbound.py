"""Incoming SMS: stored in the request, interpreted and answered by a worker."""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    outcome = None
    for route in routes():
        outcome = route(message, contact, match)
        if outcome is not None:
            break
    else:
        outcome = _to_inbox(message, contact)
    db.session.commit()
    log.info("inbound sms %s from %s: %s", message.id, mask_phone(message.phone), outcome)
    return outcome


Route = Callable[[Message, Contact, KeywordMatch | None], str | None]


def routes() -> list[Route]:
    """Who may take an incoming SMS, in order; the first to answer (not None) has it, and
    what nobody takes goes to the inbox. STOP, JOIN and HELP come first, so they always work."""
    from gateway.polls.sms import poll_votes
    from gateway.radio.call_in import radio_call_in
    from gateway.surveys.sms import survey_messages

    return [system_keywords, radio_call_in, survey_messages, poll_votes, engagement_keywords]


def _keyword(message: Message, contact: Contact, match: KeywordMatch) -> None:
    message.kind = f"keyword:{match.name}"
    if contact.language is None:
        contact.language = match.language


def system_keywords(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    """STOP, JOIN and HELP, in every language."""
    if match is None or match.name not in ("stop", "join", "help"):
        return None
    _keyword(message, contact, match)
    if match.name == "stop":
        opt_out(contact, channel="sms")
        reply(contact, "sms.stop", kind="opt_out_confirmation", ignores_opt_out=True)
        return "opted out"
    if match.name == "join":
        record_consent(
            contact,
            channel="sms",
            wording_version="sms.join",
            language=contact.language,
            wording_text=message.text,
        )
        if contact.county:
            reply(contact, "sms.welcome", kind="welcome", county=contact.county)
        else:
            reply(contact, "sms.join", kind="welcome")
        return "joined"
    reply(contact, "sms.help", kind="help")
    return "help sent"


def engagement_keywords(
    message: Message, contact: Contact, match: KeywordMatch | None
) -> str | None:
    """YES/NO to a meeting (or, with no meeting waiting, nothing: the inbox has it) and NEXT."""
    if match is None or match.name not in ("yes", "no", "next"):
        return None
    if match.name == "next":
        from gateway.guides.series import send_next_now

        _keyword(message, contact, match)
        return send_next_now(contact)
    from gateway.meetings.notices import answer_rsvp_sms

    outcome = answer_rsvp_sms(contact, match.name == "yes")
    if outcome is not None:
        _keyword(message, contact, match)
    return outcome


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
