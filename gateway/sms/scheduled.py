"""Texts that go once per person and occasion (a meeting reminder, a guide-series excerpt).

Each is a text in the contact's language (:func:`gateway.sms.texts.render`), stored with a
``dedupe_key`` naming the occasion (``meeting:3:v2:remind-24h:contact:5``). The key is unique
in the database, so a job that runs twice, or on two machines at once, queues the text once.
:func:`queue_to_each` does it for everyone of a query (a poll's audience, a consultation's
participants).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import Message
from gateway.sms.outbound import queue_sms
from gateway.sms.replies import queue_reply
from gateway.sms.texts import language_of


def queue_once(
    contact: Contact,
    text: str,
    *,
    kind: str,
    dedupe_key: str,
    not_before: datetime | None = None,
    reply: bool = False,
) -> Message | None:
    """Queue ``text`` to ``contact`` unless a message with ``dedupe_key`` exists (then None);
    with ``reply``, as a reply to them (see :mod:`gateway.sms.replies`: it may be refused).

    The insert runs in a SAVEPOINT, so a duplicate leaves the caller's transaction usable.
    """
    send = queue_reply if reply else queue_sms
    try:
        with db.session.begin_nested():
            return send(
                phone=contact.phone,
                text=text,
                kind=kind,
                contact=contact,
                language=language_of(contact),
                not_before=not_before,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return None


BATCH = 500  # contacts read, queued and committed at a time


def queue_to_each(
    recipients: Select[Contact],
    text_in: Callable[[str], str],
    *,
    kind: str,
    dedupe_key: Callable[[int], str],
    not_before: datetime | None = None,
) -> int:
    """Queue one text to each of ``recipients`` (contacts, ordered by id) in their language,
    ``text_in(language)`` (made once per language), with the key ``dedupe_key(contact_id)``;
    the number queued (those who had it already are skipped).

    The contacts are read in batches after the last id, each batch committed: a large audience
    is never held in memory nor in one transaction, and a run stopped midway, run again, goes
    on where it was.
    """
    texts: dict[str, str] = {}
    queued, last_id = 0, 0
    while True:
        batch = list(db.session.scalars(recipients.where(Contact.id > last_id).limit(BATCH)))
        if not batch:
            return queued
        for contact in batch:
            last_id = contact.id
            language = language_of(contact)
            if language not in texts:
                texts[language] = text_in(language)
            key = dedupe_key(contact.id)
            if queue_once(
                contact, texts[language], kind=kind, dedupe_key=key, not_before=not_before
            ):
                queued += 1
        db.session.commit()
