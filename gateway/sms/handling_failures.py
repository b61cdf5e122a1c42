"""Incoming SMS whose handling fails: tried again a few times, then given up on.

A bug or a bad row can make one SMS fail every time it is handled (a poison message). Each
failure is counted on the message (``handling_attempts``, with the error), and the message is
left pending for the recovery sweep to bring back, until it has failed
``GATEWAY_INBOUND_ATTEMPTS`` times. Then it is marked failed (handling state and status ``failed``:
counted on ``/metrics`` and on the dashboard) and its sender gets the help text, once, rather
than no answer at all; nothing tries it again.
"""

from __future__ import annotations

import logging

from sqlalchemy import update

from gateway.contacts.service import DELETED, get_or_create_contact
from gateway.extensions import db, utcnow
from gateway.settings import Settings, current_settings
from gateway.sms.models import Handling, Message
from gateway.sms.replies import queue_reply
from gateway.sms.send_batch import one_send_job
from gateway.sms.texts import say

log = logging.getLogger(__name__)

ERROR_MAX = 64  # the length of Message.error


def describe(error: BaseException) -> str:
    """What is kept of an error: its type and the start of its message."""
    return f"{type(error).__name__}: {error}"[:ERROR_MAX]


def note_failure(message: Message, error: BaseException) -> bool:
    """Count a failed handling of ``message`` (claimed, in the current transaction, with its
    own work rolled back): it goes back to the pending ones for another try or, at the last
    try, is marked failed and its sender answered with the help text. True if given up."""
    settings = current_settings()
    message.handling_attempts = (message.handling_attempts or 0) + 1
    message.error = describe(error)
    if message.handling_attempts < settings.inbound_attempts:
        message.handling_state = Handling.PENDING
        return False
    message.handling_state, message.status = Handling.FAILED, "failed"
    message.failed_at = utcnow()
    _answer_with_help(message, settings)
    return True


def _answer_with_help(message: Message, settings: Settings) -> None:
    if message.phone == DELETED:
        return
    try:
        with db.session.begin_nested():  # a failure here must not keep the message unmarked
            contact = get_or_create_contact(message.phone)
            message.contact_id = contact.id
            language = contact.language or settings.default_language
            queue_reply(  # a reply like any other: its country and the number's cap apply
                phone=contact.phone,
                text=say("sms.help", language),
                kind="help",
                contact=contact,
                language=language,
            )
    except Exception:
        log.exception("inbound sms %s: given up on, and the help text not queued", message.id)


def note_failure_apart(message_id: int, error: BaseException) -> None:
    """Count a failure that rolled back the whole transaction (so also the claim of
    ``message_id``), in a transaction of its own."""
    try:
        with one_send_job():
            message = db.session.scalars(
                update(Message)
                .where(Message.id == message_id, Message.handling_state == Handling.PENDING)
                .values(handling_state=Handling.HANDLING)
                .returning(Message)
            ).first()
            if message is not None:
                note_failure(message, error)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("inbound sms %s: its failure could not be counted", message_id)
