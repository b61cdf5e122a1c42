"""Finding contacts and recording what they agreed to.

Every route by which a person joins or stops (USSD, SMS keyword, the API, Africa's Talking's
opt-out callback, a ``UserInBlacklist`` answer) goes through :func:`record_consent` or
:func:`opt_out`, so an opt-out takes effect everywhere at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from gateway.contacts.export import PARTS
from gateway.contacts.models import ConsentEvent, Contact
from gateway.extensions import db, reading_engine, utcnow
from gateway.group_cache import cached, in_group, remember

DELETED = "deleted"  # stands for the number in rows kept for counts after a deletion
GROUP_CONTACT_IDS = ("group", "contact ids")  # the group's cache: its senders' contact ids


def messageable() -> ColumnElement[bool]:
    """Contacts the gateway may write to unasked (a broadcast, a notice, a guide's excerpt):
    consent recorded, not withdrawn, not deleted."""
    return and_(Contact.consent_at.is_not(None), ~opted_out(), Contact.anonymised_at.is_(None))


def opted_out() -> ColumnElement[bool]:
    """Contacts who stopped every message (a deletion stops them too). Its negation is who an
    answer may go to: someone who wrote or voted first needs no recorded consent for it."""
    return Contact.opted_out_at.is_not(None)


def find_contact(phone: str) -> Contact | None:
    """The contact with this E.164 number, if any."""
    contact: Contact | None = db.session.scalar(select(Contact).where(Contact.phone == phone))
    return contact


@cache
def _contact_keys() -> tuple[str, ...]:
    return tuple(prop.key for prop in inspect(Contact).column_attrs)


@cache
def _contact_row() -> Select[tuple[object, ...]]:
    columns = [prop.columns[0] for prop in inspect(Contact).column_attrs]
    return select(*columns).where(Contact.__table__.c.phone == bindparam("phone"))


def read_contact(phone: str) -> Contact | None:
    """The contact with this E.164 number, read with one plain SELECT of its columns.

    The same row :func:`find_contact` gives, without the ORM's query machinery (a USSD hop
    mostly only reads its caller): the row is attached to the session as though the session
    had loaded it, so changes to it are flushed and committed like any other's. The read is
    not part of the session's transaction; a hop that writes opens that transaction itself.
    """
    with reading_engine().connect() as conn:
        row = conn.execute(_contact_row(), {"phone": phone}).first()
    if row is None:
        return None
    session = db.session()
    known = session.identity_map.get(identity_key(Contact, row.id))
    if known is not None:  # already loaded by this session: that object, as a query gives
        return known  # type: ignore[no-any-return]
    # As the ORM builds a loaded object: no constructor, the values straight in its __dict__.
    contact: Contact = inspect(Contact).class_manager.new_instance()
    contact.__dict__.update(zip(_contact_keys(), row, strict=True))
    make_transient_to_detached(contact)
    session.add(contact)
    return contact


def get_or_create_contact(phone: str) -> Contact:
    """The contact with this E.164 number, created if new (safe when two requests race).

    Inside a group of inbound SMS the group's senders were loaded at once (see
    :func:`load_contacts`)."""
    contact = cached(("contact", phone), lambda: find_contact(phone))
    if contact is not None and contact.phone == phone:  # not deleted since it was cached
        return contact
    try:
        with db.session.begin_nested():
            contact = Contact(phone=phone)
            db.session.add(contact)
    except IntegrityError:
        contact = find_contact(phone)
        if contact is None:  # pragma: no cover - the row that won the race vanished
            raise
    remember(("contact", phone), contact)
    return contact


def load_contacts(phones: Iterable[str]) -> None:
    """Load the contacts of ``phones`` in one query, for :func:`get_or_create_contact` to find
    in the group's cache (see :mod:`gateway.group_cache`); those that are new are made
    in one INSERT (or, if another worker makes one of them at the same time, one by one)."""
    wanted = set(phones)
    if not wanted or not in_group():
        return
    found = {
        c.phone: c for c in db.session.scalars(select(Contact).where(Contact.phone.in_(wanted)))
    }
    missing = sorted(wanted - found.keys())
    if missing:
        try:
            with db.session.begin_nested():
                new = [Contact(phone=phone) for phone in missing]
                db.session.add_all(new)
            found.update((c.phone, c) for c in new)
        except IntegrityError:
            pass  # left to get_or_create_contact, one at a time
    for phone, contact in found.items():
        remember(("contact", phone), contact)
    remember(GROUP_CONTACT_IDS, sorted(c.id for c in found.values()))


def add_demo_contact(phone: str, language: str, county: str, ward: str | None) -> Contact:
    """A contact of the demo content, with consent recorded as given at a demo."""
    contact = Contact(phone=phone, language=language, county=county, ward=ward)
    db.session.add(contact)
    record_consent(
        contact, channel="demo", wording_version="consent.v1", wording_text=None, language=language
    )
    return contact


def record_consent(
    contact: Contact,
    *,
    channel: str,
    wording_version: str,
    wording_text: str | None,
    language: str | None,
) -> ConsentEvent:
    """Record that ``contact`` agreed to receive messages, with the words they saw.

    Recording consent also ends an earlier opt-out: joining again is the person's own act.
    """
    now = utcnow()
    contact.consent_at = now
    contact.consent_channel = channel
    contact.consent_wording = wording_version
    contact.opted_out_at = None
    contact.opt_out_channel = None
    event = ConsentEvent(
        contact=contact,
        action="granted",
        channel=channel,
        wording_version=wording_version,
        wording_text=wording_text,
        language=language,
        created_at=now,
    )
    db.session.add(event)
    return event


def opt_out(contact: Contact, *, channel: str) -> bool:
    """Stop every outgoing message to ``contact``; True if they were not opted out already."""
    if contact.opted_out_at is not None:
        return False
    now = utcnow()
    contact.opted_out_at = now
    contact.opt_out_channel = channel
    db.session.add(
        ConsentEvent(contact=contact, action="withdrawn", channel=channel, created_at=now)
    )
    return True


def anonymise(contact: Contact) -> None:
    """Forget who ``contact`` is: number and message texts go, counts (county, language) stay.

    Each area forgets its own rows first, while the contact still has its number (the erase of
    its part of the export, :mod:`gateway.contacts.export`, in the export's order)."""
    for part in PARTS.values():
        if part.erase is not None:
            part.erase(contact)
    now = utcnow()
    for event in contact.consent_events:
        event.wording_text = None
    contact.phone = f"deleted-{secrets.token_hex(8)}"
    contact.ward = None
    contact.language_session_id = None
    contact.anonymised_at = now
    if contact.opted_out_at is None:
        contact.opted_out_at, contact.opt_out_channel = now, "deletion"
