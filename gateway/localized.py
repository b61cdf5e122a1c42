"""Texts that the secretariat writes per language (meeting titles, poll questions, ...)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime


def pick(texts: Mapping[str, str] | None, chain: Iterable[str]) -> str:
    """The first text in ``chain`` (a language's fallback chain), else any text there is."""
    if not texts:
        return ""
    for code in chain:
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")


def when(moment: datetime, language: str, tz: tzinfo, pattern: str = "EEE d MMM, HH:mm") -> str:
    """A time as people in ``tz`` read it, in ``language`` (CLDR's words; English if unknown)."""
    try:
        locale = Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return format_datetime(moment, pattern, tzinfo=tz, locale=locale)
