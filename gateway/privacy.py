"""Deleting one's data by SMS (``FUTA``/``DELETE``), under the Kenya Data Protection Act 2019.

Deleting is irreversible, so it takes two texts: the first ``FUTA`` is answered with a request
to confirm (``sms.delete.confirm``), and a second within :data:`CONFIRM_WITHIN` anonymises the
contact (:func:`gateway.contacts.service.anonymise`: number and texts go, counts stay) and
answers ``sms.delete.done``. The pending request is the first ``FUTA`` itself (an inbound
message of kind ``keyword:delete`` less than an hour old): no other state to lose.

The answers are the person's own exchange about their data, so they go even after a STOP (as
the STOP confirmation does); nothing else does, and a deleted contact stays opted out. The
last answer needs the number until it is sent: :func:`forget_last_reply` then removes its
number and words (and those of its delivery reports), and the daily retention sweep catches
delivery reports that come later (:mod:`gateway.contacts.retention`). A number we hold nothing
about is told so (``sms.delete.nothing``), and its SMS is forgotten in the same way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from gateway.contacts.export import holds_anything
from gateway.contacts.models import Contact
from gateway.contacts.service import DELETED, anonymise
from gateway.extensions import db, utcnow
from gateway.queues import OUTBOUND, enqueue_after_commit, job
from gateway.sms.keywords import KeywordMatch
from gateway.sms.models import NOT_YET_SENT, DeliveryReport, Message
from gateway.sms.replies import forget_reply_counts
from gateway.sms.router import Route, keyword_in, mark_keyword
from gateway.sms.texts import reply

log = logging.getLogger(__name__)

CONFIRM_WITHIN = timedelta(hours=1)
REQUEST_KIND = "keyword:delete"
LAST_REPLY_KIND = "deletion_done"
ORPHAN_AFTER = timedelta(days=1)  # an unapplied delivery report this old matches nothing
LOOK_AGAIN_S = 60  # a last reply not sent yet is looked at again this much later


def _deletion_request(message: Message, contact: Contact, match: KeywordMatch | None) -> str:
    assert match is not None
    mark_keyword(message, contact, match)  # its kind: REQUEST_KIND
    if not holds_anything(contact, besides_message=message.id):
        _delete(contact, "sms.delete.nothing")
        return "nothing held: told so, and the SMS forgotten"
    if _asked_recently(contact, message):
        _delete(contact, "sms.delete.done")
        return "data deleted"
    _answer(contact, "sms.delete.confirm", kind="deletion_confirmation")
    return "asked to confirm the deletion"


def _asked_recently(contact: Contact, message: Message) -> bool:
    earlier = db.session.scalar(
        select(Message.id)
        .where(
            Message.contact_id == contact.id,
            Message.direction == "in",
            Message.kind == REQUEST_KIND,
            Message.id != message.id,
            Message.created_at >= utcnow() - CONFIRM_WITHIN,
        )
        .limit(1)
    )
    return earlier is not None


def _delete(contact: Contact, key: str) -> None:
    """Anonymise ``contact``, then answer with ``key`` and forget that answer once it is sent."""
    phone = contact.phone
    anonymise(contact)
    last = _answer(contact, key, kind=LAST_REPLY_KIND, phone=phone)
    forget_reply_counts(phone)  # the answer just counted against its number
    _forget_later(last.id, at=None)


# The inbound route (see gateway.wiring.inbound_routes): FUTA/DELETE, in any language.
DELETION_REQUEST = Route(
    "FUTA/DELETE: a person's own data", _deletion_request, keyword_in("delete")
)


def _answer(contact: Contact, key: str, *, kind: str, phone: str | None = None) -> Message:
    """The deletion exchange goes after a STOP too, but is limited like any reply."""
    return reply(contact, key, kind=kind, ignores_opt_out=True, ignores_limit=False, phone=phone)


def _forget_later(message_id: int, *, at: int | None) -> None:
    """Enqueue :func:`forget_last_reply` after the commit (behind the send job on the same
    queue, or at the epoch second ``at``)."""
    when = None if at is None else datetime.fromtimestamp(at, UTC)
    enqueue_after_commit(
        db.session,
        OUTBOUND,
        forget_last_reply,
        message_id,
        job_id=f"forget-reply-{message_id}" + (f"-{at}" if at is not None else ""),
        at=when,
    )


@job
def forget_last_reply(message_id: int) -> str:
    """A job: once the last reply of a deletion has been handed over, remove its number and
    words, and those of its delivery reports. Not sent yet: looked at again a minute later.
    Safe to run twice."""
    message = db.session.get(Message, message_id)
    if message is None or message.phone == DELETED:
        return "already forgotten"
    if message.status in NOT_YET_SENT:
        _forget_later(message_id, at=int(utcnow().timestamp()) + LOOK_AGAIN_S)
        db.session.commit()
        return f"still {message.status}: looked at again later"
    forget_message(message)
    db.session.commit()
    return "forgotten"


def forget_message(message: Message) -> None:
    """Remove the number and words of a sent message and of its delivery reports. The provider
    id stays (a late delivery report still moves the status on; the sweep clears it later)."""
    if message.provider_id:
        db.session.execute(
            update(DeliveryReport)
            .where(DeliveryReport.provider_id == message.provider_id)
            .values(phone=None, raw=None)
        )
    message.phone, message.text = DELETED, ""


def sweep_deleted() -> dict[str, int]:
    """Finish what deletions by SMS left (the daily retention job runs it): last replies sent
    whose forgetting job was lost, delivery reports that came after a reply was forgotten, and
    those that came after their message's deletion."""
    replies = db.session.scalars(
        select(Message).where(
            Message.kind == LAST_REPLY_KIND,
            Message.phone != DELETED,
            Message.status.not_in(NOT_YET_SENT),
        )
    ).all()
    for message in replies:
        forget_message(message)
    forgotten = select(Message.provider_id).where(
        Message.phone == DELETED, Message.provider_id.is_not(None)
    )
    reports = db.session.scalars(
        update(DeliveryReport)
        .where(
            DeliveryReport.provider_id.in_(forgotten),
            or_(DeliveryReport.phone.is_not(None), DeliveryReport.raw.is_not(None)),
        )
        .values(phone=None, raw=None)
        .returning(DeliveryReport.id)
        .execution_options(synchronize_session=False)
    ).all()
    # A report whose message was deleted before it came (anonymise drops provider ids) is
    # never applied: after a day, nothing will match it, so its number goes.
    orphans = db.session.scalars(
        update(DeliveryReport)
        .where(
            DeliveryReport.applied_at.is_(None),
            DeliveryReport.received_at < utcnow() - ORPHAN_AFTER,
            or_(DeliveryReport.phone.is_not(None), DeliveryReport.raw.is_not(None)),
        )
        .values(phone=None, raw=None)
        .returning(DeliveryReport.id)
        .execution_options(synchronize_session=False)
    ).all()
    return {
        "deletion_replies": len(replies),
        "deletion_reports": len(reports),
        "orphan_reports": len(orphans),
    }
