"""Joining and leaving community platforms, and who is in which.

Every route by which a person joins a platform (USSD, SMS ``JIUNGE MUI``, an import, the admin)
goes through :func:`join`, so a membership is made once however many times a person asks, and
a person who joins a platform has agreed to hear from the gateway (their consent is recorded if
they had none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute

from gateway.contacts.models import Contact
from gateway.contacts.service import messageable, record_consent
from gateway.extensions import db
from gateway.platforms.models import MEMBER, Membership, Platform

CHANNELS = ("ussd", "sms", "import", "admin")  # how a member joined (Membership.joined_via)


def platform_by_code(code: str) -> Platform | None:
    """The platform whose code is ``code``, in any case (``mui``, ``Mui``, ``MUI``)."""
    wanted = code.strip().upper()
    if not wanted:
        return None
    found: Platform | None = db.session.scalar(
        select(Platform).where(func.upper(Platform.code) == wanted)
    )
    return found


def platforms_in(county: str | None) -> list[Platform]:
    """The platforms of ``county`` by name (every platform when the county is not known)."""
    query = select(Platform).order_by(Platform.name)
    if county:
        query = query.where(Platform.county == county)
    return list(db.session.scalars(query))


def membership(platform: Platform, contact: Contact) -> Membership | None:
    found: Membership | None = db.session.scalar(
        select(Membership).where(
            Membership.platform_id == platform.id, Membership.contact_id == contact.id
        )
    )
    return found


def join(
    platform: Platform,
    contact: Contact,
    *,
    via: str,
    consent: tuple[str, str | None] | None = None,
) -> tuple[Membership, bool]:
    """Make ``contact`` a member of ``platform``; the membership and whether it is new.

    Joining twice changes nothing (a leader stays a leader). A contact with no county takes the
    platform's. ``consent`` (the wording's version and the words the person saw) is recorded
    when the contact had no consent (or had stopped): joining is the person's own act, as a
    JOIN is. An import or the admin pass none: their consent comes from the import's columns or
    the officer's form, as for any contact.
    """
    if contact.county is None:
        contact.county = platform.county
    if consent is not None and not contact.has_consent:
        version, words = consent
        record_consent(
            contact,
            channel=via,
            wording_version=version,
            wording_text=words,
            language=contact.language,
        )
    found = membership(platform, contact)
    if found is not None:
        return found, False
    db.session.flush()  # the contact's id, for a contact made in this transaction
    try:
        with db.session.begin_nested():
            made = Membership(
                platform_id=platform.id, contact_id=contact.id, role=MEMBER, joined_via=via
            )
            db.session.add(made)
    except IntegrityError:  # two requests of the same person at once: the other's stands
        again = membership(platform, contact)
        if again is None:  # pragma: no cover - the row that won the race vanished
            raise
        return again, False
    return made, True


def leave(platform: Platform, contact: Contact) -> bool:
    """Take ``contact`` out of ``platform`` (a leader loses the role and PIN with it); True if
    they were in it."""
    result = db.session.execute(
        delete(Membership).where(
            Membership.platform_id == platform.id, Membership.contact_id == contact.id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def member_ids(platform_ids: Sequence[int]) -> Select[int]:
    """The contact ids of the members (leaders too) of any of ``platform_ids``: an audience's
    condition is ``Contact.id.in_(member_ids(...))``."""
    return select(Membership.contact_id).where(Membership.platform_id.in_(list(platform_ids)))


def members_of(platform: Platform) -> list[tuple[Membership, Contact]]:
    """The platform's members with their contacts, leaders first, then the newest."""
    rows = db.session.execute(
        select(Membership, Contact)
        .join(Contact, Contact.id == Membership.contact_id)
        .where(Membership.platform_id == platform.id)
        .order_by(Membership.role.desc(), Membership.joined_at.desc(), Membership.id.desc())
    )
    return [(m, c) for m, c in rows]


def platforms_of(contact: Contact) -> list[Platform]:
    """The platforms ``contact`` is a member of, by name."""
    return list(
        db.session.scalars(
            select(Platform)
            .join(Membership, Membership.platform_id == Platform.id)
            .where(Membership.contact_id == contact.id)
            .order_by(Platform.name)
        )
    )


def known_platform_ids() -> list[int]:
    return list(db.session.scalars(select(Platform.id)))


def platform_names(ids: Sequence[object]) -> list[str]:
    """The names of the platforms of ``ids`` (an id no longer known shows as itself)."""
    wanted = [int(str(i)) for i in ids if str(i).isdigit()]
    found = dict(
        db.session.execute(select(Platform.id, Platform.name).where(Platform.id.in_(wanted))).all()
    )
    return [found.get(i, f"#{i}") for i in wanted]


def in_platform(platform_id: int) -> ColumnElement[bool]:
    """Contacts who are members (or leaders) of the platform ``platform_id``."""
    return Contact.id.in_(member_ids([platform_id]))


def county_audience(county: str | None, platform_id: int | None) -> Select[Contact]:
    """Contacts with consent in ``county`` (everywhere for None), only the members of
    ``platform_id`` when given (a platform's own meeting or poll), by id."""
    query = select(Contact).where(messageable())
    if county is not None:
        query = query.where(Contact.county == county)
    if platform_id is not None:
        query = query.where(in_platform(platform_id))
    return query.order_by(Contact.id)


def platform_problem(platform_id: int | None, county: str | None) -> str | None:
    """What is wrong with a meeting's, poll's or survey's ``platform_id`` for ``county``, in
    words for an API client; None when it is fine (or none is given). A platform's own is
    within the platform's county."""
    if platform_id is None:
        return None
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        return f"Unknown platform id {platform_id}."
    if county != platform.county:
        return f"Platform {platform.code} is in {platform.county}: give county {platform.county!r}."
    return None


def platform_choices() -> list[tuple[int, str, str]]:
    """(id, name, county) of every platform, for a form's platform field."""
    return [(p.id, p.name, p.county) for p in platforms_in(None)]


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def any_platform() -> bool:
    """Whether a platform exists: until one does, results have no platform dimension and
    ``JOIN <word>`` is the plain JOIN."""
    return db.session.scalar(select(Platform.id).limit(1)) is not None


def through_platforms(query: Q, contact_id: QueryableAttribute[int] | ColumnElement[int]) -> Q:
    """``query`` joined to the platforms of the contact ``contact_id`` names, as they are now
    (results by platform: a member of two counts in both; ``Platform.name`` None for one in
    none)."""
    return query.outerjoin(Membership, Membership.contact_id == contact_id).outerjoin(
        Platform, Platform.id == Membership.platform_id
    )


def platforms_by_contact(contact_ids: Sequence[int]) -> dict[int, list[str]]:
    """The names of the platforms each of ``contact_ids`` is in now (results by platform: a
    member of two counts in both; one in none is missing from the map)."""
    found: dict[int, list[str]] = {}
    wanted = sorted(set(contact_ids))
    for start in range(0, len(wanted), 500):  # within any database's limit of parameters
        rows = db.session.execute(
            select(Membership.contact_id, Platform.name)
            .join(Platform, Platform.id == Membership.platform_id)
            .where(Membership.contact_id.in_(wanted[start : start + 500]))
            .order_by(Platform.name)
        )
        for contact_id, name in rows:
            found.setdefault(contact_id, []).append(name)
    return found


def platform_codes() -> list[str]:
    return list(db.session.scalars(select(Platform.code).order_by(Platform.code)))


def join_by_code(contact: Contact, code: str) -> None:
    """A contacts import's ``platform`` column: the row's contact joins that platform (its
    consent comes from the import's ``consent`` column, as for any imported contact)."""
    platform = platform_by_code(code)
    if platform is not None:  # checked with the file; deleted since, it is passed over
        join(platform, contact, via="import")


def is_member(platform_id: int, contact_id: int) -> bool:
    found = db.session.scalar(
        select(Membership.id).where(
            Membership.platform_id == platform_id, Membership.contact_id == contact_id
        )
    )
    return found is not None
