"""What a phone user reads that is not a catalog text: the secretariat's texts per language
(meeting titles, poll questions, ...), and dates and times."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

from gateway.i18n import catalogs
from gateway.settings import current_settings

DAY_AND_TIME = "EEE d MMM, HH:mm"  # Thu 10 Dec, 10:00


def pick(texts: Mapping[str, str] | None, chain: Iterable[str]) -> str:
    """The first text in ``chain`` (a language's fallback chain), else any text there is."""
    if not texts:
        return ""
    for code in chain:
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")


def when(moment: datetime, key: str, language: str, pattern: str = DAY_AND_TIME) -> str:
    """``moment`` as the text ``key`` says it to a ``language`` speaker, by SMS or on USSD: in
    ``GATEWAY_TIMEZONE``, with the day and month words (CLDR's) of the language that text
    resolves to. A Kikamba sentence that falls back to Kiswahili says ``Alhamisi 10 Des``, one
    written in Kikamba ``Wkn 10 Ĩkl``: the date never speaks another language than its sentence.
    """
    settings = current_settings()
    written_in = catalogs().raw(key, language)[1]
    try:
        locale = Locale.parse(written_in)
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return format_datetime(moment, pattern, tzinfo=settings.timezone, locale=locale)
