"""Everything the gateway holds about one number, for the person's right of access (Kenya Data
Protection Act 2019, s. 26): the contact, consent events, messages in and out, votes, survey
answers, RSVPs, reports that name them (never anonymous ones), radio messages, guide
subscriptions, tags and USSD session ends.

Each area owns its part: how to list its rows about a contact and how to forget them on
deletion (:func:`gateway.contacts.service.anonymise`), registered with
:func:`register_export_part` by :mod:`gateway.wiring`, in the order the export shows them.
:func:`collect` asks every part; the admin page's download and
``GET /api/v1/contacts/<phone>/export`` serve what it returns, and the SMS deletion asks it
whether anything is held at all (:func:`holds_anything`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import QueryableAttribute

from gateway.contacts.models import ConsentEvent, Contact, ContactTag
from gateway.extensions import db

Row = dict[str, Any]
MESSAGES = "messages"  # the part whose rows have the ids of :func:`holds_anything`'s message


@dataclass(frozen=True)
class Part:
    """One area's rows about a contact: ``collect`` lists them, JSON-ready; ``erase`` (if the
    area keeps anything that names the person) forgets them, within the deletion's
    transaction, before the contact loses its number."""

    collect: Callable[[Contact], list[Any]]
    erase: Callable[[Contact], None] | None = None


PARTS: dict[str, Part] = {}


def register_export_part(
    name: str, collect: Callable[[Contact], list[Any]], erase: Callable[[Contact], None] | None
) -> None:
    """Add (or, the same again, keep) an area's part under ``name``, after those added before."""
    PARTS[name] = Part(collect, erase)


def iso_time(value: datetime | None) -> str | None:
    """A time as the export writes it (ISO 8601, UTC as stored)."""
    return value.isoformat() if value is not None else None


Field = QueryableAttribute[Any] | ColumnElement[Any]  # a column, or an expression ``.label``led


def rows_part(
    model: type[Any],
    *fields: Field,
    joins: Sequence[tuple[type[Any], ColumnElement[bool]]] = (),
    owner: Field | None = None,
) -> Callable[[Contact], list[Row]]:
    """An area's ``collect`` for the common case: the rows of ``model`` that name a contact
    (``owner``, by default ``model.contact_id``), oldest first, each as ``fields`` under their
    names (a column's, or its label), times as :func:`iso_time` writes them. A part with more
    to it than one query writes its own."""
    query = select(*fields).select_from(model)
    for target, on in joins:
        query = query.join(target, on)
    theirs = model.contact_id if owner is None else owner

    def collect(contact: Contact) -> list[Row]:
        found = db.session.execute(query.where(theirs == contact.id).order_by(model.id))
        return [{k: _json(v) for k, v in row._mapping.items()} for row in found]

    return collect


def _json(value: Any) -> Any:
    return iso_time(value) if isinstance(value, datetime) else value


def _contact(contact: Contact) -> Row:
    return {
        "id": contact.id,
        "phone": contact.phone,
        "language": contact.language,
        "county": contact.county,
        "ward": contact.ward,
        "created_at": iso_time(contact.created_at),
        "consent_at": iso_time(contact.consent_at),
        "consent_channel": contact.consent_channel,
        "consent_wording": contact.consent_wording,
        "opted_out_at": iso_time(contact.opted_out_at),
        "opt_out_channel": contact.opt_out_channel,
    }


consent_events = rows_part(
    ConsentEvent,
    ConsentEvent.action,
    ConsentEvent.channel,
    ConsentEvent.wording_version,
    ConsentEvent.wording_text,
    ConsentEvent.language,
    ConsentEvent.created_at.label("at"),
)


def tags(contact: Contact) -> list[str]:
    return list(
        db.session.scalars(
            select(ContactTag.tag)
            .where(ContactTag.contact_id == contact.id)
            .order_by(ContactTag.tag)
        )
    )


def collect(contact: Contact) -> dict[str, Any]:
    """Everything held about ``contact``, as JSON-ready data (times in UTC, ISO 8601)."""
    return {
        "contact": _contact(contact),
        **{name: part.collect(contact) for name, part in PARTS.items()},
    }


def holds_anything(contact: Contact, *, besides_message: int | None = None) -> bool:
    """Whether anything is held about ``contact`` beyond their bare row and the one message
    ``besides_message`` (the SMS being answered)."""
    if contact.consent_at or contact.opted_out_at or contact.county or contact.ward:
        return True
    for name, part in PARTS.items():
        rows = part.collect(contact)
        if name == MESSAGES:
            rows = [m for m in rows if m["id"] != besides_message]
        if rows:
            return True
    return False
