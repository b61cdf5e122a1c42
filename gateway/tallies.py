"""Counting answers by the dimensions a poll or survey is read by: county, ward, language and
channel (as each voter or respondent was when answering)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# What results are broken down by. A ward is named with its county (two counties may share a
# ward's name).
DIMENSIONS = ("county", "ward", "language", "channel")
Group = tuple[str | None, str | None]  # (value, county): county only for wards


def percent(part: int, total: int) -> float:
    """``part`` of ``total`` in percent, to one decimal (0 when nothing was counted)."""
    return round(100 * part / total, 1) if total else 0.0


def whole_percents(counts: Sequence[int]) -> list[int]:
    """Whole percentages that add up to exactly 100 (largest remainder), for an SMS."""
    total = sum(counts)
    if not total:
        return [0] * len(counts)
    exact = [100 * count / total for count in counts]
    floors = [int(share) for share in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: (floors[i] - exact[i], i))
    for i in by_remainder[: 100 - sum(floors)]:
        floors[i] += 1
    return floors


def groups(
    county: str | None, ward: str | None, language: str | None, channel: str | None
) -> dict[str, Group]:
    """The group each dimension puts one answer in."""
    return {
        "county": (county, None),
        "ward": (ward, county),
        "language": (language, None),
        "channel": (channel, None),
    }


def group_order(group: Group) -> tuple[bool, str, bool, str]:
    """Known values first, alphabetically (wards by county, then name); unknown last."""
    value, county = group
    return (county is None and value is None, county or "", value is None, value or "")


def group_fields(dimension: str, group: Group) -> dict[str, Any]:
    value, county = group
    return {"value": value, "county": county} if dimension == "ward" else {"value": value}
