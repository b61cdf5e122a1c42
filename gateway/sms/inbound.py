"""Incoming SMS: interpreted and answered by a worker.

The callback stores the SMS and wakes the handling job after its commit (see
:mod:`gateway.sms.receive` and :mod:`gateway.sms.wake`: one job at a time, however fast SMS
arrive). The job handles every
unhandled SMS from the lowest id it was given on, oldest first, a group to a transaction; while
SMS keep coming it keeps handling them, letting the next group gather for a moment, and it ends
when a look finds none waiting (or hands on to a fresh job when its time is up).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.service import DELETED, get_or_create_contact, opt_out, record_consent
from gateway.contacts.wordings import SMS_JOIN
from gateway.extensions import db, redis_client, utcnow
from gateway.i18n import catalogs
from gateway.phones import mask_phone
from gateway.queues import job
from gateway.settings import current_settings
from gateway.sms.inbound_groups import ALREADY_HANDLED, handle_group, note_auto_reply
from gateway.sms.keywords import KeywordMatch, keyword_table, match_keyword
from gateway.sms.models import Handling, Message
from gateway.sms.router import Route, inbound_routes, keyword_in, mark_keyword, route
from gateway.sms.texts import reply
from gateway.sms.wake import Lease, handling_job_id, take_note

log = logging.getLogger(__name__)

DRAIN_S = 30.0  # one job hands on to a new one after this long
DRAIN_GROUP = 50  # SMS handled in one transaction
GATHER_S = 0.2  # after a group, how long the next may gather before the job looks again (a
# job ends on a look that finds none: so a job for a lone SMS lasts this much longer, and one
# for a stream of SMS goes on instead of a job, a forked process, every SMS or two)


@job
def handle_inbound_sms(message_id: int) -> str:
    """The inbound job: handle every unhandled SMS from ``message_id`` (or a lower id noted
    since) on, oldest first, for as long as SMS keep coming: after each group it lets the next
    gather for :data:`GATHER_S`, and it ends when a look finds none waiting (or when
    :data:`DRAIN_S` have passed: then a fresh job takes over).

    Messages are handled :data:`DRAIN_GROUP` to a transaction (:mod:`gateway.sms.inbound_groups`):
    one that fails is rolled back alone, logged and counted (:mod:`gateway.sms.handling_failures`:
    left for the recovery sweep, or given up on after its last try), while the others stand (if
    it is ``message_id``, the job fails after handling the others, so it shows in RQ too). A
    message another worker is handling is left to it.
    """
    lease = Lease(handling_job_id(message_id))
    lease.renew()
    after = message_id - 1
    deadline = time.monotonic() + DRAIN_S
    counts = {"handled": 0, "skipped": 0, "failed": 0}
    failed_own = False
    while True:
        noted = take_note()
        if noted is not None:
            after = min(after, noted - 1)
        page = _unhandled_after(after)
        if not page:
            if lease.give_back():
                break  # a look found none, and none was noted meanwhile: the next SMS wakes a job
            continue
        for found, outcome in handle_group(page, _interpret).items():
            kind = "failed" if outcome is None else "handled"
            counts["skipped" if outcome == ALREADY_HANDLED else kind] += 1
            failed_own = failed_own or (outcome is None and found == message_id)
        after = page[-1]
        if time.monotonic() >= deadline:
            lease.hand_on(after + 1)
            break
        lease.renew()
        if len(page) < DRAIN_GROUP:  # not a backlog: SMS are coming in, let a group gather
            time.sleep(GATHER_S)
    if failed_own:
        raise RuntimeError(f"inbound sms {message_id}: handling failed (see the log)")
    return ", ".join(f"{n} {what}" for what, n in counts.items())


def _unhandled_after(after: int) -> list[int]:
    """The ids of the next :data:`DRAIN_GROUP` unhandled inbound SMS after ``after``."""
    page = db.session.scalars(
        select(Message.id)
        .where(Message.handling_state == Handling.PENDING, Message.id > after)
        .order_by(Message.id)
        .limit(DRAIN_GROUP)
    ).all()
    db.session.rollback()  # end the read
    return list(page)


def _interpret(message: Message) -> str:
    """Interpret a claimed message inside the current transaction: the first route that takes
    it (see :mod:`gateway.sms.router`) acts on it; what none takes goes to the inbox."""
    if message.phone == DELETED:  # the sender deleted their data before this was handled
        message.kind = "inbox"
        return "sender deleted their data"
    contact = get_or_create_contact(message.phone)
    message.contact_id = contact.id
    match = match_keyword(message.text, keyword_table(catalogs()))
    taken = route(inbound_routes(), message, contact, match)
    outcome = taken.outcome if taken is not None else _to_inbox(message, contact)
    return f"from {mask_phone(message.phone)}: {outcome}"


def _system_keywords(message: Message, contact: Contact, match: KeywordMatch | None) -> str:
    assert match is not None
    mark_keyword(message, contact, match)
    if match.name == "stop":
        opt_out(contact, channel="sms")
        reply(contact, "sms.stop", kind="opt_out_confirmation", ignores_opt_out=True)
        return "opted out"
    if match.name == "join":
        record_consent(
            contact,
            channel="sms",
            wording_version=SMS_JOIN,
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


SYSTEM_KEYWORDS = Route("STOP, JOIN, HELP", _system_keywords, keyword_in("stop", "join", "help"))


def auto_reply_key(phone: str) -> str:
    """The Redis key that holds back a second inbox auto-reply to ``phone`` for a while."""
    return f"sms:auto-reply:{phone}"


def _to_inbox(message: Message, contact: Contact) -> str:
    """Keep a free-text message; answer once per number per interval (no robot ping-pong)."""
    settings = current_settings()
    message.kind = "inbox"
    if contact.opted_out_at is not None:
        return "kept (opted out, no reply)"
    key = auto_reply_key(contact.phone)
    if not redis_client().set(
        key, utcnow().isoformat(), nx=True, ex=settings.auto_reply_interval_s
    ):
        return "kept (auto-reply sent recently)"
    note_auto_reply(key)
    reply(contact, "sms.auto_reply", kind="auto_reply")
    return "kept and answered"
