"""What this month has cost so far, across the channels that cost money (SMS, voice calls),
against ``GATEWAY_MONTHLY_BUDGET_KES``.

Each channel gives its own sum since a moment; they are handed to the app at start
(:func:`add_source`), so this module imports no channel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from flask import Flask, current_app

from gateway.extensions import utcnow
from gateway.settings import Settings

SpendSource = Callable[[datetime], Decimal]  # what a channel has cost since a moment


def add_source(app: Flask, name: str, source: SpendSource) -> None:
    app.extensions.setdefault("spend_sources", {})[name] = source


def month_start(now: datetime, settings: Settings) -> datetime:
    """The start of ``now``'s month in the gateway's timezone."""
    local = now.astimezone(settings.timezone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_this_month_by_channel(settings: Settings) -> dict[str, Decimal]:
    since = month_start(utcnow(), settings)
    sources: dict[str, SpendSource] = current_app.extensions.get("spend_sources", {})
    return {name: source(since) for name, source in sources.items()}


def spent_this_month(settings: Settings) -> Decimal:
    return sum(spent_this_month_by_channel(settings).values(), Decimal(0))


def budget_spent(settings: Settings) -> bool:
    """Whether this month's spending has reached the budget: what the gateway would start on
    its own (a call-back) waits."""
    return spent_this_month(settings) >= Decimal(str(settings.monthly_budget_kes))
