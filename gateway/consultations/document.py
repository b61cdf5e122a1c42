"""The memorandum as a document, whatever it is written as (the page, the Word file): its parts
(a cover, the method statement, a section per clause, tables, quotes) with every text and number
already written out in its language, and the writer of those texts, numbers and dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_date
from babel.numbers import format_decimal

from gateway.i18n import catalogs
from gateway.settings import current_settings


@dataclass(frozen=True)
class Table:
    """A table as shown: ``key`` names it (``clause-2-positions``), cells are written out."""

    key: str
    caption: str
    headings: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Quote:
    text: str  # masked
    where: str  # "Kitui, SMS"


@dataclass(frozen=True)
class Section:
    heading: str
    summary: str
    comments: str  # "34 comments, 30 coded"
    positions: Table
    themes: Table
    quotes: list[Quote]


@dataclass(frozen=True)
class Memorandum:
    language: str
    title: str
    cover: list[tuple[str, str]]  # (label, value): to whom, from whom, date, the draft
    sample: str  # the "sample content" notice, or ""
    method_heading: str
    method: list[str]  # paragraphs
    participation: list[Table]
    sections: list[Section]
    annex_heading: str
    annex: list[Table]
    notes: list[str] = field(default_factory=list)  # "every number ... CSV export"
    labels: dict[str, str] = field(default_factory=dict)  # quotes, no_quotes

    def tables(self) -> list[Table]:
        """Every table, in the order both the page and the Word file show them."""
        found = list(self.participation)
        for section in self.sections:
            found += [section.positions, section.themes]
        return found + list(self.annex)


CHANNELS = ("ussd", "sms", "voice")


def percent(part: int, whole: int) -> str:
    """A share as the memorandum writes it: one decimal, ``41.7%`` (``0.0%`` of nothing)."""
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"


class Writer:
    """Texts, numbers and dates in the memorandum's language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = catalogs().locale(language)

    def t(self, key: str, /, **values: object) -> str:
        return catalogs().text(f"admin.memo.{key}", self.language, **values)

    def n(self, value: int) -> str:
        return format_decimal(value, "#,##0", locale=self.locale)

    def pct(self, part: int, whole: int) -> str:
        return percent(part, whole)

    def date(self, value: datetime | None) -> str:
        if value is None:
            return ""
        zone = current_settings().timezone
        return format_date(value.astimezone(zone).date(), "d MMMM yyyy", locale=self.locale)

    def unknown(self, value: str | None) -> str:
        return value if value else self.t("unknown")

    def language_name(self, code: str | None) -> str:
        return catalogs().language_name(code, self.language) if code else self.t("unknown")

    def channel(self, code: str | None) -> str:
        return self.t(f"channel.{code}") if code in CHANNELS else self.unknown(code)

    def stance(self, code: str) -> str:
        return self.t(f"stance.{code}")

    def listing(self, items: Iterable[str]) -> str:
        return ", ".join(items)
