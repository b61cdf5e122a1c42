"""What a send costs before it goes: who it reaches by language, each text as sent (encoding,
segments, the characters to cut to fit one SMS), the cost at the segment price and what is
left of the month's budget. Broadcasts, meetings and every other action that sends use it, so
the admin UI's confirmation and the API's estimate say the same."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask import Flask, current_app
from sqlalchemy import ColumnElement, and_, func, select

from gateway.contacts.models import Contact
from gateway.contacts.service import messageable, opted_out
from gateway.encoding import analyse, transliterate
from gateway.extensions import db
from gateway.settings import Settings
from gateway.spend import spent_this_month

CENTS = Decimal("0.0001")  # Africa's Talking states costs to four places
ZERO = Decimal(0).quantize(CENTS)
ONE_SMS = {"GSM-7": 160, "UCS-2": 70}

Committed = Callable[[], Decimal]  # what is scheduled to be sent and not yet spent


def add_commitment(app: Flask, name: str, source: Committed) -> None:
    """Register what a feature has scheduled and not yet sent (scheduled broadcasts): the
    budget left counts it as spent."""
    app.extensions.setdefault("committed_sources", {})[name] = source


def committed_total() -> Decimal:
    sources: dict[str, Committed] = current_app.extensions.get("committed_sources", {})
    return sum((source() for source in sources.values()), Decimal(0))


@dataclass(frozen=True)
class TextFigures:
    encoding: str
    segments: int
    characters: int  # septets for GSM-7 (an escaped character counts 2), UTF-16 units for UCS-2
    ucs2_chars: list[str]
    transliterated: str | None  # a GSM-7 version, when the text is UCS-2
    transliterated_segments: int | None
    cut_to_fit: int  # characters to cut for one SMS; 0 when it fits


def figures(text: str) -> TextFigures:
    info = analyse(text)
    gsm = transliterate(text) if info.encoding == "UCS-2" else None
    return TextFigures(
        encoding=info.encoding,
        segments=info.segments,
        characters=info.length,
        ucs2_chars=list(info.ucs2_chars),
        transliterated=gsm,
        transliterated_segments=analyse(gsm).segments if gsm else None,
        cut_to_fit=max(0, info.length - ONE_SMS[info.encoding]),
    )


def price(settings: Settings) -> Decimal:
    return Decimal(str(settings.price_per_segment_kes))


def cost_of(segments: int, messages: int, settings: Settings) -> Decimal:
    return (price(settings) * segments * messages).quantize(CENTS)


@dataclass(frozen=True)
class Reach:
    recipients: dict[str, int]  # by language (the contact's, or the default)
    skipped_no_consent: int
    skipped_opted_out: int

    @property
    def total(self) -> int:
        return sum(self.recipients.values())


def reach_where(condition: ColumnElement[bool], default_language: str) -> Reach:
    """How many contacts matching ``condition`` may be texted, by language, and how many are
    left out and why."""
    included = and_(condition, Contact.anonymised_at.is_(None))
    language = func.coalesce(Contact.language, default_language)
    rows = db.session.execute(
        select(language, func.count()).where(included, messageable()).group_by(language)
    ).all()
    stopped = db.session.scalar(select(func.count()).where(included, opted_out()))
    no_consent = db.session.scalar(
        select(func.count()).where(included, ~opted_out(), Contact.consent_at.is_(None))
    )
    return Reach({str(lang): int(n) for lang, n in rows}, int(no_consent or 0), int(stopped or 0))


@dataclass(frozen=True)
class Budget:
    cost_kes: Decimal
    spent_this_month_kes: Decimal
    committed_kes: Decimal
    budget_kes: Decimal

    @property
    def left_kes(self) -> Decimal:
        """What is left before this send (spent and committed taken off)."""
        return self.budget_kes - self.spent_this_month_kes - self.committed_kes

    @property
    def left_after_kes(self) -> Decimal:
        return self.left_kes - self.cost_kes

    @property
    def over_budget(self) -> bool:
        return self.left_after_kes < 0


def budget_for(cost: Decimal, settings: Settings, committed: Decimal | None = None) -> Budget:
    return Budget(
        cost_kes=cost,
        spent_this_month_kes=spent_this_month(settings),
        committed_kes=committed_total() if committed is None else committed,
        budget_kes=Decimal(str(settings.monthly_budget_kes)),
    )


@dataclass(frozen=True)
class Line:
    """One text to the speakers of one language: ``copies`` times each (reminders: one per
    reminder)."""

    kind: str  # what the text is: meeting_alert, meeting_reminder, ...
    language: str
    text: str
    figures: TextFigures
    recipients: int
    copies: int
    cost_kes: Decimal


@dataclass(frozen=True)
class SendEstimate:
    lines: list[Line]
    recipients: int  # people who get at least one text
    messages: int
    skipped_no_consent: int
    skipped_opted_out: int
    budget: Budget
    token: str  # names what was estimated: a confirmation of another estimate is refused

    @property
    def cost_kes(self) -> Decimal:
        return self.budget.cost_kes

    @property
    def over_segment(self) -> list[Line]:
        return [line for line in self.lines if line.figures.segments > 1]


@dataclass(frozen=True)
class Planned:
    """What a send will do: ``text`` of ``kind`` to ``recipients`` speakers of ``language``."""

    kind: str
    language: str
    text: str
    recipients: int
    copies: int = 1


def estimate_send(
    planned: Iterable[Planned], found: Reach, settings: Settings, recipients: int | None = None
) -> SendEstimate:
    """The estimate of sending ``planned``, to the people ``found`` counts (``recipients``:
    those who get anything, when not all of ``found``)."""
    lines = []
    for plan in planned:
        if not plan.recipients or not plan.copies or not plan.text:
            continue
        shape = figures(plan.text)
        lines.append(
            Line(
                plan.kind,
                plan.language,
                plan.text,
                shape,
                plan.recipients,
                plan.copies,
                cost_of(shape.segments, plan.recipients * plan.copies, settings),
            )
        )
    cost = sum((line.cost_kes for line in lines), ZERO).quantize(CENTS)
    what = [(ln.kind, ln.language, ln.text, ln.recipients, ln.copies) for ln in lines]
    return SendEstimate(
        lines=lines,
        recipients=found.total if recipients is None else recipients,
        messages=sum(line.recipients * line.copies for line in lines),
        skipped_no_consent=found.skipped_no_consent,
        skipped_opted_out=found.skipped_opted_out,
        budget=budget_for(cost, settings),
        token=hashlib.sha256(json.dumps(what, ensure_ascii=False).encode()).hexdigest()[:32],
    )
