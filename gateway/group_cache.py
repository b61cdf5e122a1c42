"""Lookups made once per group of inbound SMS instead of once per SMS.

The inbound job handles its SMS a group to a transaction (see :mod:`gateway.sms.inbound`).
During a radio show's poll every SMS of a group asks the same questions: which shows are on
air, which poll ``MADINI`` is, which polls are open, which survey a word names. Inside
:func:`group_cache` the answers are kept for the rest of the transaction (the group's SMS do
not change shows, polls or surveys, and a poll opening a few milliseconds later is the same
as the group being handled a few milliseconds earlier); outside one, every lookup is made
afresh, as before. The group's senders' contacts are loaded in one query, too.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from gateway.extensions import db

T = TypeVar("T")
_CACHE = "inbound_group_cache"  # session.info: the current group's answers


@contextmanager
def group_cache() -> Iterator[None]:
    """Keep lookups made through :func:`cached` until the block ends (one transaction)."""
    session = db.session()
    session.info[_CACHE] = {}
    try:
        yield
    finally:
        session.info.pop(_CACHE, None)


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, once per group for ``key`` (each time outside a group)."""
    cache: dict[Hashable, Any] | None = db.session.info.get(_CACHE)
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    value: T = cache[key]
    return value


def remember(key: Hashable, value: object) -> None:
    """Put ``value`` in the group's cache under ``key`` (nothing outside a group)."""
    cache: dict[Hashable, Any] | None = db.session.info.get(_CACHE)
    if cache is not None:
        cache[key] = value


def in_group() -> bool:
    return _CACHE in db.session.info
