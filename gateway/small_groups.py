"""The small-group rule: the one place that decides which groups of people the public may see.
The public site's pages, share images and CSV files, and the memorandum the site offers, all
show what :func:`fold_small` returns, and nothing else. (A module of its own, below the
features, so that both :mod:`gateway.public` and :mod:`gateway.consultations` use it.)

A group (a county, a ward, a platform) of fewer than ``GATEWAY_PUBLIC_MIN_GROUP`` people is not
shown on its own: it goes into an "other" group. When that "other" group would itself be small,
the smallest shown groups join it until it is not, because a reader could otherwise get the
small groups back by subtracting the shown ones from the total. When everything together is
still small, nothing is shown at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Folded(Generic[Key]):
    """Groups large enough to show, largest first, and the rest together (None: nothing
    left over, or too few people in all to show anything)."""

    shown: list[tuple[Key, Counter[Hashable]]] = field(default_factory=list)
    other: Counter[Hashable] | None = None

    @property
    def empty(self) -> bool:
        return not self.shown and self.other is None


def size(counts: Mapping[Hashable, int]) -> int:
    return sum(counts.values())


def fold_small(groups: Iterable[tuple[Key, Mapping[Hashable, int]]], min_group: int) -> Folded[Key]:
    """The groups of at least ``min_group`` people, and every smaller one folded into "other"
    (see the module's docstring for why shown groups may join it too)."""
    ordered = sorted(
        ((key, Counter(counts)) for key, counts in groups if size(counts)),
        key=lambda group: -size(group[1]),
    )
    shown = [group for group in ordered if size(group[1]) >= min_group]
    other: Counter[Hashable] = Counter()
    for _, counts in ordered[len(shown) :]:
        other.update(counts)
    while 0 < size(other) < min_group and shown:
        other.update(shown.pop()[1])
    if size(other) < min_group:
        # Either nothing was left over, or everything together is below the threshold.
        return Folded(shown if size(other) == 0 else [], None)
    return Folded(shown, other)


def total_shown(counts: Mapping[Hashable, int], min_group: int) -> Counter[Hashable] | None:
    """A whole question's counts, or None when fewer than ``min_group`` people answered."""
    return Counter(counts) if size(counts) >= min_group else None
