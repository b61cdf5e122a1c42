"""Whole numbers typed by people and sent by machines: read one way everywhere.

Python's ``str.isdigit()`` accepts ``²`` (which ``int()`` refuses: a crash) and ``isdecimal()``
accepts Arabic-Indic and other digits (which ``int()`` reads as numbers no phone keypad or
form here sends). A number here is ASCII digits only: no sign, no spaces, no underscores.
Its size is checked before ``int()`` reads it, so a thousand digits cost nothing and a number
past what a database row can hold never reaches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1  # the largest id (or any integer) a database column here can hold
_ASCII_DIGITS = frozenset("0123456789")


def is_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits (and nothing else)."""
    return bool(text) and _ASCII_DIGITS.issuperset(text)


def whole_number(text: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """The whole number ``text`` is (ASCII digits only), or None if it is not one or is
    outside ``low`` to ``high``."""
    if text is None or not is_digits(text):
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > len(str(high)):  # before int(): too long to be in range
        return None
    number = int(significant)
    return number if low <= number <= high else None


def query_number(
    args: Mapping[str, str], name: str, default: int, *, low: int = 0, high: int = MAX_ID
) -> int:
    """A number in a query string (``?page=``, ``?after=``): ``default`` when it is missing or
    is no number from ``low`` to ``high`` (a page past what any list holds is simply empty)."""
    number = whole_number(args.get(name), low=low, high=high)
    return default if number is None else number


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL: ASCII digits, up to :data:`MAX_ID`. A larger id (or page)
    matches no route, so it is a 404 before any database sees it (PostgreSQL refuses to bind
    it; SQLite's driver raises)."""

    regex = r"[0-9]+"  # werkzeug's \\d+ also takes other scripts' digits

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
