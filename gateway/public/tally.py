"""Counts of answers (votes, survey choices, commitment verdicts) as the public site shows
them: the whole question and its breakdowns by county, ward and platform, every group passed
through the small-group rule (:mod:`gateway.public.groups`) before anything reads it."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gateway.public.groups import Folded, fold_small, total_shown

# Raw rows: (answer, county, ward, count) and (answer, platform name, count).
PlaceRow = tuple[Hashable, str | None, str | None, int]
PlatformRow = tuple[Hashable, str, int]
DIMENSIONS = ("county", "ward", "platform")
OTHER = None  # the key of the "other" group in a breakdown's rows
UNKNOWN = ""  # a county or ward nobody gave


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: its name (``None`` for "other", ``""`` for not known), the ward's
    county on ward rows, and the count of each answer."""

    name: str | None
    counts: Counter[Hashable]
    county: str | None = None

    @property
    def size(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PublicTally:
    """What may be shown of one question: ``answers`` in order, their ``total`` counts (None
    when too few answered to show anything), and each dimension's groups."""

    answers: Sequence[Hashable]
    total: Counter[Hashable] | None
    breakdowns: dict[str, list[Group]] = field(default_factory=dict)

    @property
    def people(self) -> int:
        return sum(self.total.values()) if self.total else 0


def _rows(folded: Folded[tuple[str, str | None]]) -> list[Group]:
    rows = [Group(name, counts, county) for (name, county), counts in folded.shown]
    if folded.other is not None:
        rows.append(Group(OTHER, folded.other))
    return rows


def _wards(
    by_ward: dict[tuple[str, str], Counter[Hashable]], counties: set[str], min_group: int
) -> list[Group]:
    """Wards of the shown ``counties`` only, each folded within its county, so neither "the
    county minus its shown wards" nor "the wards' other minus the counties' other" gives a small
    group back; everything else goes into one "other" row."""
    per_county: dict[str, list[tuple[tuple[str, str | None], Counter[Hashable]]]] = defaultdict(
        list
    )
    leftover: Counter[Hashable] = Counter()
    for (county, ward), counts in by_ward.items():
        if county in counties:
            per_county[county].append(((ward, county), counts))
        else:
            leftover.update(counts)
    rows: list[Group] = []
    for county in sorted(per_county):
        folded = fold_small(per_county[county], min_group)
        rows.extend(Group(name, counts, county) for (name, _), counts in folded.shown)
        for _, counts in per_county[county]:
            leftover.update(counts)
        for _, counts in folded.shown:
            leftover.subtract(counts)
    leftover = +leftover
    if sum(leftover.values()) >= min_group:
        rows.append(Group(OTHER, leftover))
    return rows


def public_tally(
    answers: Sequence[Hashable],
    places: Iterable[PlaceRow],
    platforms: Iterable[PlatformRow],
    min_group: int,
    members: Mapping[Hashable, int] | None = None,
) -> PublicTally:
    """The counts the public may see (see the module's docstring). ``members``: how many
    distinct platform members gave each answer; the others are a group of their own
    (``UNKNOWN``: in no platform), so that it too passes the small-group rule rather than be
    had back as the total minus the platforms."""
    overall: Counter[Hashable] = Counter()
    by_county: dict[str, Counter[Hashable]] = defaultdict(Counter)
    by_ward: dict[tuple[str, str], Counter[Hashable]] = defaultdict(Counter)
    for answer, county, ward, count in places:
        overall[answer] += count
        by_county[county or UNKNOWN][answer] += count
        by_ward[(county or UNKNOWN, ward or UNKNOWN)][answer] += count
    by_platform: dict[str, Counter[Hashable]] = defaultdict(Counter)
    for answer, platform, count in platforms:
        by_platform[platform][answer] += count
    if by_platform or members:
        outside = Counter({a: overall[a] - (members or {}).get(a, 0) for a in overall})
        if +outside:
            by_platform[UNKNOWN] = +outside
    total = total_shown(overall, min_group)
    if total is None:
        return PublicTally(answers, None)
    named: list[tuple[tuple[str, str | None], Counter[Hashable]]] = [
        ((county, None), counts) for county, counts in by_county.items()
    ]
    counties = fold_small(named, min_group)
    shown = {county for (county, _), _counts in counties.shown}
    return PublicTally(
        answers,
        total,
        {
            "county": _rows(counties),
            "ward": _wards(by_ward, shown, min_group),
            "platform": _rows(
                fold_small([((p, None), n) for p, n in by_platform.items()], min_group)
            ),
        },
    )
