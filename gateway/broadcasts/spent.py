"""What a broadcast cost once sent: the segments Africa's Talking accepted, at the price per
segment the estimate uses, per recipients' language (from the message rows, not the draft)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select

from gateway.extensions import db
from gateway.settings import Settings
from gateway.sms.estimate import CENTS
from gateway.sms.models import Message


@dataclass(frozen=True)
class LanguageSpend:
    language: str  # the recipients'
    messages: int  # accepted by Africa's Talking
    segments: int
    cost_kes: Decimal


def _accepted() -> ColumnElement[bool]:
    # A message Africa's Talking took has its sent time; one it refused, or never got, has none.
    return Message.sent_at.is_not(None)


def spent(broadcast_id: int, settings: Settings) -> list[LanguageSpend]:
    """Per language, the messages of the broadcast that went, their segments and cost."""
    price = Decimal(str(settings.price_per_segment_kes))
    rows = db.session.execute(
        select(Message.language, func.count(), func.coalesce(func.sum(Message.segments), 0))
        .where(Message.broadcast_id == broadcast_id, _accepted())
        .group_by(Message.language)
        .order_by(Message.language)
    ).all()
    return [
        LanguageSpend(
            str(language or ""), int(n), int(segments), (price * segments).quantize(CENTS)
        )
        for language, n, segments in rows
    ]


def spent_totals(broadcast_ids: Iterable[int], settings: Settings) -> dict[int, Decimal]:
    """What each broadcast that has sent anything has cost so far."""
    ids = list(broadcast_ids)
    if not ids:
        return {}
    price = Decimal(str(settings.price_per_segment_kes))
    rows = db.session.execute(
        select(Message.broadcast_id, func.coalesce(func.sum(Message.segments), 0))
        .where(Message.broadcast_id.in_(ids), _accepted())
        .group_by(Message.broadcast_id)
    ).all()
    return {int(found or 0): (price * int(segments)).quantize(CENTS) for found, segments in rows}
