"""What the composer and the estimate say about pacing for one person
(:mod:`gateway.sms.pacing`): a broadcast's messages wait their turn per contact, unless it is
urgent (sent at once to everyone)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.settings import Settings
from gateway.sms.pacing import pacing_on


@dataclass(frozen=True)
class PacingRule:
    applies: bool  # False: urgent (exempt), or pacing is off
    max_per_contact_per_day: int  # 0: no cap
    min_spacing_minutes: int  # 0: none


def pacing_rule(settings: Settings, urgent: bool) -> PacingRule:
    return PacingRule(
        applies=pacing_on(settings) and not urgent,
        max_per_contact_per_day=settings.max_per_contact_per_day,
        min_spacing_minutes=int(settings.min_spacing.total_seconds() // 60),
    )


class WithPacing:
    """An estimate with the pacing rule beside it, for the estimate endpoint's schema."""

    def __init__(self, estimate: Any, pacing: PacingRule) -> None:
        self._estimate = estimate
        self.pacing = pacing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._estimate, name)
