"""Keyword campaigns: things a person starts by texting a keyword (a poll, a survey), open from
``opens_at`` until ``closes_at``.

A keyword is found whatever the case or accents; one typo in a keyword of 4 letters or more
still finds it (``MADNI``, ``MADIINI`` → ``MADINI``) among the campaigns of the last
:data:`NEAR_MISS_WINDOW`, unless the word is exactly the keyword of a campaign of any kind:
an exact keyword always wins over a typo of another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import func, select

from gateway.extensions import db, utcnow
from gateway.group_cache import cached
from gateway.sms.keywords import fold, near_miss

NEAR_MISS_WINDOW = timedelta(days=30)  # typos are matched against campaigns this recent


class Campaign(Protocol):
    id: Any
    keyword: Any
    opens_at: datetime
    closes_at: datetime


C = TypeVar("C", bound=Campaign)


def is_open(campaign: Campaign) -> bool:
    return campaign.opens_at <= utcnow() < campaign.closes_at


class KeywordCampaigns(Generic[C]):
    """The campaigns of one model (``Poll``, ``Survey``) by keyword. Every instance is known to
    the others, so a typo is never taken for one kind's keyword when it is another's exactly."""

    _all: ClassVar[list[KeywordCampaigns[Any]]] = []

    def __init__(self, model: type[C], name: str) -> None:
        self.model, self.name = model, name
        KeywordCampaigns._all.append(self)

    def find(self, word: str, *, near: bool = True) -> C | None:
        """The campaign whose keyword ``word`` is, or (with ``near``) misses by one typo (looked
        up once per group of inbound SMS: see :mod:`gateway.group_cache`)."""
        folded = fold(word)
        if not folded:
            return None
        return cached((self.name, folded, near), lambda: self._find(folded, near))

    def _find(self, folded: str, near: bool) -> C | None:
        model: Any = self.model
        exact = select(model).where(func.lower(model.keyword) == folded)
        found: C | None = db.session.scalar(exact)
        if found is not None or not near:
            return found
        others = (other for other in self._all if other is not self)
        if any(other.find(folded, near=False) is not None for other in others):
            return None
        recent = cached((self.name, "recent"), self._recent)
        keyword = near_miss(folded, recent)
        typo: C | None = db.session.get(model, recent[keyword]) if keyword else None
        return typo

    def _recent(self) -> dict[str, Any]:
        """The keywords of the campaigns that closed less than :data:`NEAR_MISS_WINDOW` ago (or
        are still to close), with their ids."""
        model: Any = self.model
        since = utcnow() - NEAR_MISS_WINDOW
        rows = db.session.execute(select(model.keyword, model.id).where(model.closes_at > since))
        return dict(rows.all())
