"""What a broadcast will cost, in each language, before it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from gateway.broadcasts.audience import Reach, reach
from gateway.broadcasts.models import Broadcast
from gateway.encoding import analyse, transliterate
from gateway.extensions import db, utcnow
from gateway.i18n import Catalogs
from gateway.localized import pick
from gateway.settings import Settings
from gateway.sms.models import Message

CENTS = Decimal("0.0001")  # Africa's Talking states costs to four places


def text_for(texts: Mapping[str, str], language: str, catalogs: Catalogs) -> tuple[str, str]:
    """The broadcast's text for a contact speaking ``language`` (following its fallback chain),
    and the language that text is in."""
    for code in catalogs.chain(language):
        if texts.get(code):
            return texts[code], code
    text = pick(texts, ())
    return text, next(code for code, value in texts.items() if value == text)


@dataclass(frozen=True)
class LanguageEstimate:
    language: str  # recipients' language
    text_language: str  # the language of the text they get (after fallback)
    encoding: str
    segments: int
    characters: int
    ucs2_chars: list[str]
    transliterated: str | None  # a GSM-7 version, when the text is UCS-2
    transliterated_segments: int | None
    recipients: int
    cost_kes: Decimal


@dataclass(frozen=True)
class Estimate:
    languages: list[LanguageEstimate]
    recipients: int
    skipped_no_consent: int
    skipped_opted_out: int
    cost_kes: Decimal
    spent_this_month_kes: Decimal
    committed_kes: Decimal  # scheduled broadcasts not yet sent
    budget_kes: Decimal
    over_budget: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def month_start(now: datetime, settings: Settings) -> datetime:
    local = now.astimezone(settings.timezone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_this_month(settings: Settings) -> Decimal:
    since = month_start(utcnow(), settings)
    total = db.session.scalar(
        select(func.coalesce(func.sum(Message.cost), 0)).where(
            Message.direction == "out", Message.sent_at >= since
        )
    )
    return Decimal(str(total or 0))


@dataclass(frozen=True)
class SpendBySource:
    """This month's spend by who decided to send: staff's broadcasts, the gateway's own
    replies (``Message.automatic``), and the rest (meeting alerts, poll questions, guides)."""

    broadcasts: Decimal
    automatic: Decimal
    other: Decimal


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
        **{name: spent.get(name, Decimal(0)) for name in ("broadcasts", "automatic", "other")}
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
) -> Estimate:
    """Encoding, segments, recipients and cost per language; the total against the budget."""
    found: Reach = reach(audience, settings.default_language)
    price = Decimal(str(settings.price_per_segment_kes))
    languages = []
    for language, count in sorted(found.recipients.items()):
        text, text_language = text_for(texts, language, catalogs)
        info = analyse(text)
        gsm = transliterate(text) if info.encoding == "UCS-2" else None
        languages.append(
            LanguageEstimate(
                language=language,
                text_language=text_language,
                encoding=info.encoding,
                segments=info.segments,
                characters=len(text),
                ucs2_chars=list(info.ucs2_chars),
                transliterated=gsm,
                transliterated_segments=analyse(gsm).segments if gsm else None,
                recipients=count,
                cost_kes=(price * info.segments * count).quantize(CENTS),
            )
        )
    cost = sum((entry.cost_kes for entry in languages), Decimal(0)).quantize(CENTS)
    spent, pending = spent_this_month(settings), committed(exclude)
    budget = Decimal(str(settings.monthly_budget_kes))
    return Estimate(
        languages=languages,
        recipients=found.total,
        skipped_no_consent=found.skipped_no_consent,
        skipped_opted_out=found.skipped_opted_out,
        cost_kes=cost,
        spent_this_month_kes=spent,
        committed_kes=pending,
        budget_kes=budget,
        over_budget=spent + pending + cost > budget,
    )
