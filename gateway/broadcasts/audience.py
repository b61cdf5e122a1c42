"""Who a broadcast reaches: contacts matching its audience, and who is left out and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true

from gateway.contacts.models import Contact, ContactTag
from gateway.contacts.service import messageable, opted_out
from gateway.extensions import db
from gateway.guides.models import GuideSubscription

CRITERIA = ("counties", "wards", "languages", "tags", "guides")


def _criterion(name: str, values: list[str], default_language: str) -> ColumnElement[bool]:
    if name == "counties":
        return Contact.county.in_(values)
    if name == "wards":
        return Contact.ward.in_(values)
    if name == "languages":
        language = func.coalesce(Contact.language, default_language)
        return language.in_(values)
    if name == "tags":
        return Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag.in_(values)))
    return Contact.id.in_(
        select(GuideSubscription.contact_id).where(
            GuideSubscription.guide.in_(values), GuideSubscription.active.is_(True)
        )
    )


def matches(audience: Mapping[str, Any], default_language: str) -> ColumnElement[bool]:
    """The SQL condition for contacts in ``audience`` (everyone when it names nothing)."""
    parts = [
        _criterion(name, list(audience[name]), default_language)
        for name in CRITERIA
        if audience.get(name)
    ]
    if not parts:
        return true()
    return or_(*parts) if audience.get("match") == "any" else and_(*parts)


@dataclass(frozen=True)
class Reach:
    recipients: dict[str, int]  # by language (the contact's, or the default)
    skipped_no_consent: int
    skipped_opted_out: int

    @property
    def total(self) -> int:
        return sum(self.recipients.values())


def reach(audience: Mapping[str, Any], default_language: str) -> Reach:
    """How many the audience reaches in each language, and how many it leaves out and why."""
    in_audience = and_(matches(audience, default_language), Contact.anonymised_at.is_(None))
    language = func.coalesce(Contact.language, default_language)
    rows = db.session.execute(
        select(language, func.count()).where(in_audience, messageable()).group_by(language)
    ).all()
    stopped = db.session.scalar(select(func.count()).where(in_audience, opted_out()))
    no_consent = db.session.scalar(
        select(func.count()).where(in_audience, ~opted_out(), Contact.consent_at.is_(None))
    )
    return Reach({str(lang): int(n) for lang, n in rows}, int(no_consent or 0), int(stopped or 0))
