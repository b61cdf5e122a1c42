"""What a broadcast will cost, in each language, before it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from gateway.broadcasts.audience import reach
from gateway.broadcasts.models import Broadcast
from gateway.extensions import db, utcnow
from gateway.i18n import Catalogs
from gateway.settings import Settings
from gateway.sms.estimate import CENTS, ZERO, Reach, budget_for, cost_of, figures
from gateway.sms.models import Message
from gateway.sms.texts import with_optout_hint
from gateway.spend import month_start, spent_this_month_by_channel

SKIP = "skip"  # the sender's choice for those with no text in their chain: leave them out


def in_chain(texts: Mapping[str, str], language: str, catalogs: Catalogs) -> str | None:
    """The language whose text a contact speaking ``language`` gets by its fallback chain,
    or None when no language in the chain has a text."""
    return next((code for code in catalogs.chain(language) if texts.get(code)), None)


def text_for(
    texts: Mapping[str, str], language: str, catalogs: Catalogs, uncovered: str | None = None
) -> tuple[str, str] | None:
    """The broadcast's text for a contact speaking ``language`` and the language it is in:
    its own or its fallback chain's; else the language the sender named for those with no
    text in their chain (``uncovered``). None: they get nothing, never another language
    silently (a Kikamba-only text is no text for an English speaker)."""
    code = in_chain(texts, language, catalogs)
    if code is None and uncovered and uncovered != SKIP and texts.get(uncovered):
        code = uncovered
    return (texts[code], code) if code else None


def text_as_sent(
    texts: Mapping[str, str], language: str, catalogs: Catalogs, uncovered: str | None = None
) -> tuple[str, str] | None:
    """:func:`text_for`, ending with the way out in the recipient's language when it has one:
    what the estimate counts is what is sent."""
    chosen = text_for(texts, language, catalogs, uncovered)
    return (with_optout_hint(chosen[0], language), chosen[1]) if chosen else None


@dataclass(frozen=True)
class LanguageEstimate:
    language: str  # recipients' language
    text_language: str | None  # the language of the text they get (after fallback); None: none
    text: str  # as it is sent to them, ending with the opt-out hint when it has one
    no_text_in_chain: bool  # neither their language nor its fallbacks has a text
    encoding: str
    segments: int
    characters: int
    ucs2_chars: list[str]
    transliterated: str | None  # a GSM-7 version, when the text is UCS-2
    transliterated_segments: int | None
    cut_to_fit: int  # characters to cut for one SMS; 0 when it fits
    recipients: int
    cost_kes: Decimal


@dataclass(frozen=True)
class Estimate:
    languages: list[LanguageEstimate]
    recipients: int  # who get a text
    skipped_no_consent: int
    skipped_opted_out: int
    # By language, those with no text in their chain; they get nothing unless the sender named
    # a language for them (``uncovered_choice``); ``needs_choice`` while they have not chosen.
    uncovered: dict[str, int]
    uncovered_choice: str | None
    skipped_no_text: int
    needs_choice: bool
    cost_kes: Decimal
    spent_this_month_kes: Decimal
    committed_kes: Decimal  # scheduled broadcasts not yet sent
    budget_kes: Decimal
    budget_left_kes: Decimal  # before this broadcast
    over_budget: bool


@dataclass(frozen=True)
class SpendBySource:
    """This month's SMS spend by who decided to send: staff's broadcasts, the gateway's own
    replies (``Message.automatic``), and the rest (meeting alerts, poll questions, guides);
    and what voice calls cost."""

    broadcasts: Decimal
    automatic: Decimal
    other: Decimal
    voice: Decimal  # call-backs and calls answered on the voice line


def spent_this_month_by_source(settings: Settings) -> SpendBySource:
    since = month_start(utcnow(), settings)
    source = case(
        (Message.broadcast_id.is_not(None), "broadcasts"),
        (Message.automatic.is_(True), "automatic"),
        else_="other",
    )
    rows = db.session.execute(
        select(source, func.coalesce(func.sum(Message.cost), 0))
        .where(Message.direction == "out", Message.sent_at >= since)
        .group_by(source)
    ).all()
    spent = {name: Decimal(str(total or 0)) for name, total in rows}
    return SpendBySource(
        **{name: spent.get(name, Decimal(0)) for name in ("broadcasts", "automatic", "other")},
        voice=spent_this_month_by_channel(settings).get("voice", Decimal(0)),
    )


def committed(exclude: int | None = None) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(Broadcast.estimated_cost_kes), 0)).where(
            Broadcast.status == "scheduled", Broadcast.id != (exclude or 0)
        )
    )
    return Decimal(str(total or 0))


def estimate(
    texts: Mapping[str, str],
    audience: Mapping[str, Any],
    settings: Settings,
    catalogs: Catalogs,
    exclude: int | None = None,
    uncovered: str | None = None,
) -> Estimate:
    """Encoding, segments, recipients and cost per language; the total against the budget;
    who has no text in their language's chain (``uncovered``: the sender's choice for them)."""
    found: Reach = reach(audience, settings.default_language)
    languages = []
    for language, count in sorted(found.recipients.items()):
        chosen = text_as_sent(texts, language, catalogs, uncovered)
        text, text_language = chosen or ("", None)
        shape = figures(text)
        languages.append(
            LanguageEstimate(
                language=language,
                text_language=text_language,
                text=text,
                no_text_in_chain=in_chain(texts, language, catalogs) is None,
                encoding=shape.encoding,
                segments=shape.segments,
                characters=len(text),
                ucs2_chars=shape.ucs2_chars,
                transliterated=shape.transliterated,
                transliterated_segments=shape.transliterated_segments,
                cut_to_fit=shape.cut_to_fit,
                recipients=count,
                cost_kes=cost_of(shape.segments, count, settings) if chosen else ZERO,
            )
        )
    cost = sum((entry.cost_kes for entry in languages), Decimal(0)).quantize(CENTS)
    missing = {e.language: e.recipients for e in languages if e.no_text_in_chain}
    nothing = sum(e.recipients for e in languages if e.text_language is None)
    budget = budget_for(cost, settings, committed(exclude))
    return Estimate(
        languages=languages,
        recipients=found.total - nothing,
        skipped_no_consent=found.skipped_no_consent,
        skipped_opted_out=found.skipped_opted_out,
        uncovered=missing,
        uncovered_choice=uncovered,
        skipped_no_text=nothing,
        needs_choice=bool(missing) and not uncovered,
        cost_kes=cost,
        spent_this_month_kes=budget.spent_this_month_kes,
        committed_kes=budget.committed_kes,
        budget_kes=budget.budget_kes,
        budget_left_kes=budget.left_kes,
        over_budget=budget.over_budget,
    )
