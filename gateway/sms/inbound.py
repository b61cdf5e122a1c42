"""Incoming SMS: stored in the request, interpreted and answered by a worker.

A burst (a radio show's poll: hundreds of SMS a second) must not cost a job per SMS: RQ's
default worker forks a fresh process per job, which costs several times the handling itself.
So the callbacks *wake* a worker instead of each enqueueing a job: the first SMS after a
quiet spell enqueues one job (``inbound-sms-<id>``); the SMS that arrive while that job waits
only leave their id in the wake-up note in Redis (the lowest id is kept), and the job, once
it starts, takes the note and handles every unhandled SMS from the lowest id on, oldest
first, each in its own transaction, until none is left (or its time is up, when it wakes the
next). An SMS committed after the note was taken writes a new note and enqueues a new job.
Nothing depends on the note for safety: each SMS is claimed once in the database, and one
whose wake-up was lost (Redis away) is found by the recovery sweep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from gateway.contacts.models import Contact
from gateway.contacts.service import (
    DELETED,
    get_or_create_contact,
    load_contacts,
    opt_out,
    record_consent,
)
from gateway.encoding import analyse, transliterate
from gateway.extensions import db, redis_client, utcnow
from gateway.i18n import catalogs
from gateway.phones import mask_phone
from gateway.queues import INBOUND, get_queue
from gateway.settings import Settings
from gateway.sms.group_cache import group_cache
from gateway.sms.keywords import KeywordMatch, keyword_table, match_keyword
from gateway.sms.models import InboundReceipt, Message
from gateway.sms.outbound import queue_sms
from gateway.sms.send_batch import one_send_job

log = logging.getLogger(__name__)

WAKE_KEY = "sms:inbound:wake"  # the lowest SMS id waiting for the job that was enqueued
WAKE_TTL_S = 30  # a note whose job never started stops holding later SMS back after this
DRAIN_S = 30.0  # one job hands on to a new one after this long
DRAIN_GROUP = 20  # SMS handled in one transaction
_WAKE = "inbound_wake"  # session.info: the SMS ids to wake a worker for after the commit
# Keep the lowest id in the note; 1 if a new note was made (the caller enqueues the job).
_WAKE_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current then
  if tonumber(ARGV[1]) < tonumber(current) then
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) end
  end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


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
    """Have a worker interpret the message once the current transaction commits (a job for it,
    or the job already waiting for earlier SMS: see the module's docstring)."""
    db.session.info.setdefault(_WAKE, []).append(message_id)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: not the commit yet
        return
    waiting: list[int] = session.info.pop(_WAKE, [])
    if waiting:
        wake(min(waiting))


@event.listens_for(Session, "after_soft_rollback")
def _forget_wake(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back transaction wakes nobody (a SAVEPOINT's rollback keeps the note: waking a
    worker for nothing is harmless)."""
    if previous.parent is None:
        session.info.pop(_WAKE, None)


def wake(message_id: int) -> bool:
    """Note ``message_id`` for the waiting job, or enqueue a job if none waits; True if a job
    was enqueued. With Redis away nothing is lost: the recovery sweep finds the message."""
    redis = redis_client()
    try:
        if not redis.eval(_WAKE_SCRIPT, 1, WAKE_KEY, message_id, WAKE_TTL_S):
            return False
        try:
            get_queue(INBOUND).enqueue(
                "gateway.jobs.handle_inbound_sms", message_id, job_id=handling_job_id(message_id)
            )
        except (RedisError, OSError):
            redis.delete(WAKE_KEY)  # no job to wait for: let the next SMS enqueue one
            raise
        return True
    except (RedisError, OSError) as exc:
        log.warning("inbound sms %s: no worker woken, left for recovery: %s", message_id, exc)
        return False


def _take_wake() -> int | None:
    """Take the wake-up note (the lowest SMS id waiting), so later SMS enqueue a new job."""
    try:
        pipe = redis_client().pipeline(transaction=True)
        pipe.get(WAKE_KEY)
        pipe.delete(WAKE_KEY)
        noted, _ = pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("inbound sms: wake-up note unavailable: %s", exc)
        return None
    return int(noted) if noted else None


def handle_inbound_sms(message_id: int) -> str:
    """The inbound job: take the wake-up note, then handle every unhandled SMS from the lowest
    id noted (or ``message_id``) on, oldest first, until none is left or :data:`DRAIN_S` have
    passed (then a new job is woken for the rest).

    Messages are handled :data:`DRAIN_GROUP` to a transaction: one commit for many saves most
    of the cost of a commit per SMS. When one fails, its group is handled again one message to
    a transaction, so the failing message alone is rolled back, logged and left unhandled for
    the recovery sweep (if it is ``message_id``, the job fails after handling the others, so
    it shows in RQ too). A message another worker is handling is left to it.
    """
    noted = _take_wake()
    after = min(message_id, noted) - 1 if noted is not None else message_id - 1
    deadline = time.monotonic() + DRAIN_S
    counts = {"handled": 0, "skipped": 0, "failed": 0}
    failed_own = False
    while time.monotonic() < deadline:
        page = db.session.scalars(
            select(Message.id)
            .where(Message.id > after, Message.direction == "in", Message.kind == "unhandled")
            .order_by(Message.id)
            .limit(DRAIN_GROUP)
        ).all()
        db.session.rollback()  # end the read
        if not page:
            break
        for found, outcome in _handle_group(page).items():
            kind = "failed" if outcome is None else "handled"
            counts["skipped" if outcome == ALREADY_HANDLED else kind] += 1
            failed_own = failed_own or (outcome is None and found == message_id)
        after = page[-1]
    else:
        wake(after + 1)  # time is up: hand the rest on to a fresh job
    if failed_own:
        raise RuntimeError(f"inbound sms {message_id}: handling failed (see the log)")
    return ", ".join(f"{n} {what}" for what, n in counts.items())


def _handle_group(message_ids: Sequence[int]) -> dict[int, str | None]:
    """Handle ``message_ids`` in one transaction and commit; the outcome of each (None: it
    failed). If one fails (or the commit does), the group is rolled back and each message is
    handled again in a transaction of its own, so only the failing one is left unhandled."""
    outcomes: dict[int, str | None] = {}
    try:
        # The group's lookups once (shows, polls, the senders), its replies in one send job.
        with group_cache(), one_send_job():
            claimed = _claim(message_ids)
            load_contacts(m.phone for m in claimed.values() if m.phone != DELETED)
            for message_id in message_ids:
                message = claimed.get(message_id)
                outcomes[message_id] = (
                    _interpret(message) if message is not None else ALREADY_HANDLED
                )
        db.session.commit()
    except Exception:
        db.session.rollback()
        if len(message_ids) == 1:
            log.exception("inbound sms %s: handling failed, left for recovery", message_ids[0])
            return {message_ids[0]: None}
        outcomes = {}
        for message_id in message_ids:
            outcomes.update(_handle_group([message_id]))
        return outcomes
    for message_id, outcome in outcomes.items():
        if outcome != ALREADY_HANDLED:
            log.info("inbound sms %s: %s", message_id, outcome)
    return outcomes


ALREADY_HANDLED = "already handled"


def _claim(message_ids: Sequence[int]) -> dict[int, Message]:
    """Take the unhandled inbound messages among ``message_ids`` for handling, exactly once
    (one that another worker is handling right now is left to it: its row is locked)."""
    free = db.session.scalars(
        select(Message.id)
        .where(Message.id.in_(message_ids), Message.kind == "unhandled")
        .with_for_update(skip_locked=True)
    ).all()
    if not free:
        return {}
    claimed = db.session.scalars(
        update(Message)
        .where(Message.id.in_(free), Message.kind == "unhandled")
        .values(kind="handling")
        .returning(Message)
    ).all()
    return {message.id: message for message in claimed}


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


def handle_one_sms(message_id: int) -> str:
    """Interpret one incoming SMS in a transaction of its own (see :func:`_handle`)."""
    outcome = _handle(message_id)
    if outcome is None:
        db.session.rollback()
        return ALREADY_HANDLED
    db.session.commit()
    log.info("inbound sms %s: %s", message_id, outcome)
    return outcome


def _handle(message_id: int) -> str | None:
    """Interpret one incoming SMS inside the current transaction: a keyword is acted on,
    anything else goes to the inbox. None if it is handled already (or by another worker now).

    Safe to run twice: the message is claimed in the same transaction that writes the answer.
    """
    message = _claim([message_id]).get(message_id)
    return _interpret(message) if message is not None else None


def _interpret(message: Message) -> str:
    """Interpret a claimed message (see :func:`_handle`)."""
    if message.phone == DELETED:  # the sender deleted their data before this was handled
        message.kind = "inbox"
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
    return f"from {mask_phone(message.phone)}: {outcome}"


Route = Callable[[Message, Contact, KeywordMatch | None], str | None]


def routes() -> list[Route]:
    """Who may take an incoming SMS, in order; the first to answer (not None) has it, and
    what nobody takes goes to the inbox. STOP, JOIN and HELP come first, so they always work;
    then FUTA/DELETE (a person's own data: see :mod:`gateway.privacy`)."""
    from gateway.polls.sms import poll_votes
    from gateway.privacy import deletion_request
    from gateway.radio.call_in import radio_call_in
    from gateway.surveys.sms import survey_messages

    return [
        system_keywords,
        deletion_request,
        radio_call_in,
        survey_messages,
        poll_votes,
        engagement_keywords,
    ]


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
