"""Who a broadcast reaches: contacts matching its audience, and who is left out and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true

from gateway.contacts.models import Contact, ContactTag
from gateway.guides.models import GuideSubscription
from gateway.sms.estimate import Reach, reach_where

CRITERIA = ("counties", "wards", "languages", "tags", "guides")

# Criteria other areas add, wired in gateway/wiring.py (``platforms``: their ids, the members
# and leaders of any of them): broadcasts import no area that sends broadcasts itself (a platform
# leader's announcement), or they would import each other.
ExtraCriterion = Callable[[list[Any]], ColumnElement[bool]]
_EXTRA: dict[str, ExtraCriterion] = {}


def register_criterion(name: str, condition: ExtraCriterion) -> None:
    """Let an audience name ``name``: ``condition(values)`` is who it holds."""
    _EXTRA[name] = condition


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
    parts += [
        condition(list(audience[name])) for name, condition in _EXTRA.items() if audience.get(name)
    ]
    if not parts:
        return true()
    return or_(*parts) if audience.get("match") == "any" else and_(*parts)


def reach(audience: Mapping[str, Any], default_language: str) -> Reach:
    """How many the audience reaches in each language, and how many it leaves out and why."""
    return reach_where(matches(audience, default_language), default_language)
