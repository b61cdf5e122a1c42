"""A group of incoming SMS handled in one transaction (the inbound job's unit of work).

One commit for many SMS saves most of the cost of a commit per SMS. The group is tried whole
first; if one SMS fails, the group is rolled back and tried again with each SMS in a SAVEPOINT
of its own, so only the failing one is rolled back and counted
(:mod:`gateway.sms.handling_failures`). A SAVEPOINT for every SMS on the first try would cost a
flush each (a third of a vote's CPU in a radio burst). Inbox auto-replies hold a key in Redis
that a rollback does not undo: the keys a try set are noted (:func:`note_auto_reply`) and
removed when its work is rolled back, so the next try still answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select, update

from gateway.contacts.service import DELETED, load_contacts
from gateway.extensions import db, redis_client
from gateway.group_cache import group_cache
from gateway.sms.handling_failures import note_failure, note_failure_apart
from gateway.sms.models import Handling, Message
from gateway.sms.send_batch import one_send_job

log = logging.getLogger(__name__)

ALREADY_HANDLED = "already handled"
AUTO_REPLIES = "inbound auto-reply keys"  # in db.session.info: set by the try under way

Interpret = Callable[[Message], str]


def handle_group(message_ids: Sequence[int], interpret: Interpret) -> dict[int, str | None]:
    """Handle ``message_ids`` with ``interpret`` in one transaction and commit; the outcome of
    each (None: it failed). If the group's own work fails (the claim, the commit), each message
    is handled again in a transaction of its own."""
    try:
        outcomes = _try_group(message_ids, interpret)
    except Exception:
        db.session.rollback()
        _forget_auto_replies()
        try:
            outcomes = _try_group(message_ids, _apart(interpret))
        except Exception as error:
            db.session.rollback()
            _forget_auto_replies()
            if len(message_ids) == 1:
                log.exception("inbound sms %s: handling failed", message_ids[0])
                note_failure_apart(message_ids[0], error)
                return {message_ids[0]: None}
            outcomes = {}
            for message_id in message_ids:
                outcomes.update(handle_group([message_id], interpret))
            return outcomes
    for message_id, outcome in outcomes.items():
        if outcome != ALREADY_HANDLED:
            log.info("inbound sms %s: %s", message_id, outcome)
    return outcomes


def note_auto_reply(key: str) -> None:
    """``key`` holds back a second auto-reply; it goes again if this try is rolled back."""
    db.session.info.setdefault(AUTO_REPLIES, []).append(key)


def _try_group(
    message_ids: Sequence[int], interpret: Callable[[Message], str | None]
) -> dict[int, str | None]:
    """One try at the group, committed; raises if anything in it fails."""
    outcomes: dict[int, str | None] = {}
    db.session.info[AUTO_REPLIES] = []
    # The group's lookups once (shows, polls, the senders), its replies in one send job.
    with group_cache(), one_send_job():
        claimed = _claim(message_ids)
        load_contacts(m.phone for m in claimed.values() if m.phone != DELETED)
        for message_id in message_ids:
            message = claimed.get(message_id)
            if message is None:
                outcomes[message_id] = ALREADY_HANDLED
                continue
            outcome = outcomes[message_id] = interpret(message)
            if outcome is not None:  # None: it failed, and its failure was noted
                message.handling_state = Handling.DONE
    db.session.commit()
    return outcomes


def _forget_auto_replies() -> None:
    keys = db.session.info.pop(AUTO_REPLIES, None)
    if keys:
        redis_client().delete(*keys)


def _apart(interpret: Interpret) -> Callable[[Message], str | None]:
    """``interpret`` in a SAVEPOINT: if it fails, only this message's work (and its
    auto-reply's hold) is rolled back, the group's others stand, and the failure is counted;
    None then."""

    def interpret_apart(message: Message) -> str | None:
        keys: list[str] = db.session.info.setdefault(AUTO_REPLIES, [])
        held = len(keys)
        try:
            with db.session.begin_nested():
                return interpret(message)
        except Exception as error:
            if len(keys) > held:
                redis_client().delete(*keys[held:])
                del keys[held:]
            log.exception("inbound sms %s: handling failed", message.id)
            if note_failure(message, error):
                log.error("inbound sms %s: given up after its last try", message.id)
            return None

    return interpret_apart


def _claim(message_ids: Sequence[int]) -> dict[int, Message]:
    """Take the unhandled inbound messages among ``message_ids`` for handling, exactly once
    (one that another worker is handling right now is left to it: its row is locked)."""
    free = db.session.scalars(
        select(Message.id)
        .where(Message.id.in_(message_ids), Message.handling_state == Handling.PENDING)
        .with_for_update(skip_locked=True)
    ).all()
    if not free:
        return {}
    claimed = db.session.scalars(
        update(Message)
        .where(Message.id.in_(free), Message.handling_state == Handling.PENDING)
        .values(handling_state=Handling.HANDLING)
        .returning(Message)
    ).all()
    return {message.id: message for message in claimed}
