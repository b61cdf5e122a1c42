"""Texts that go once per person and occasion (a meeting reminder, a guide-series excerpt).

Each is a text in the contact's language (:func:`gateway.sms.texts.render`), stored with a
``dedupe_key`` naming the occasion (``meeting:3:v2:remind-24h:contact:5``). The key is unique
in the database, so a job that runs twice, or on two machines at once, queues the text once.
"""

from __future__ import annotations

from datetime import datetime

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
