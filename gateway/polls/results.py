"""A poll's results: totals and percentages, overall and by county, ward, language and channel
(from the snapshots each vote keeps) and by community platform (the voters' memberships now: a
member of two platforms counts in both, one of none in the group of unknown value; no group at
all while no platform exists), as JSON and as a CSV for Excel.

The CSV is in a tidy long format: one row per group and option, ``dimension`` naming the
breakdown (``all`` for the totals), ``value`` the group (a county, a ward, a language code, a
channel; empty when unknown), ``county`` the ward's county on ward rows, then ``option`` (its
number), ``label`` (in English, or the nearest language there is), ``votes`` and ``percent`` of the
group's votes. Every option has a row in every group, zeros included, so a pivot table needs
no gaps filled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from gateway.extensions import db, utcnow
from gateway.platforms.models import Platform
from gateway.platforms.service import any_platform, through_platforms
from gateway.polls.models import Poll, Vote
from gateway.polls.texts import label
from gateway.tallies import DIMENSIONS, Group, group_fields, group_order, groups, percent

CSV_HEADER = ("dimension", "value", "county", "option", "label", "votes", "percent")
PLATFORM = "platform"
RESULT_DIMENSIONS = (*DIMENSIONS, PLATFORM)  # the snapshots' and the platforms'


def status(poll: Poll) -> str:
    now = utcnow()
    return "upcoming" if now < poll.opens_at else "open" if now < poll.closes_at else "closed"


def vote_counts(poll_id: int) -> dict[int, int]:
    """Votes per option id."""
    rows = db.session.execute(
        select(Vote.option_id, func.count()).where(Vote.poll_id == poll_id).group_by(Vote.option_id)
    )
    return {option_id: count for option_id, count in rows}


def _tallies(poll_id: int) -> tuple[Counter[int], dict[str, dict[Group, Counter[int]]]]:
    overall: Counter[int] = Counter()
    by: dict[str, dict[Group, Counter[int]]] = {d: defaultdict(Counter) for d in DIMENSIONS}
    columns = (Vote.option_id, Vote.county, Vote.ward, Vote.language, Vote.channel)
    rows = db.session.execute(
        select(*columns, func.count()).where(Vote.poll_id == poll_id).group_by(*columns)
    )
    for option_id, county, ward, language, channel, count in rows:
        overall[option_id] += count
        for dimension, group in groups(county, ward, language, channel).items():
            by[dimension][group][option_id] += count
    by[PLATFORM] = _platform_tallies(poll_id)
    return overall, by


def _platform_tallies(poll_id: int) -> dict[Group, Counter[int]]:
    """Votes per option by the platform their voter is a member of now (none while no
    platform exists: then the dimension says nothing)."""
    by: dict[Group, Counter[int]] = defaultdict(Counter)
    if not any_platform():
        return by
    rows = db.session.execute(
        through_platforms(
            select(Vote.option_id, Platform.name, func.count()).select_from(Vote), Vote.contact_id
        )
        .where(Vote.poll_id == poll_id)
        .group_by(Vote.option_id, Platform.name)
    )
    for option_id, name, count in rows:
        by[(name, None)][option_id] += count
    return by


def _options(poll: Poll, counts: Counter[int]) -> list[dict[str, Any]]:
    total = sum(counts.values())
    return [
        {"option": o.position, "votes": counts[o.id], "percent": percent(counts[o.id], total)}
        for o in poll.options
    ]


def poll_results(poll: Poll) -> dict[str, Any]:
    """Totals and percentages, overall and by each dimension (largest groups first)."""
    overall, by = _tallies(poll.id)
    options = [
        {**row, "label": o.label}
        for row, o in zip(_options(poll, overall), poll.options, strict=True)
    ]
    return {
        "id": poll.id,
        "keyword": poll.keyword,
        "question": poll.question,
        "status": status(poll),
        "total": sum(overall.values()),
        "options": options,
        "by": {
            dimension: [
                {
                    **group_fields(dimension, group),
                    "total": sum(counts.values()),
                    "options": _options(poll, counts),
                }
                for group, counts in sorted(by[dimension].items(), key=lambda g: group_order(g[0]))
            ]
            for dimension in RESULT_DIMENSIONS
        },
    }


def results_rows(poll: Poll) -> Iterator[tuple[object, ...]]:
    """The CSV's rows (see the module's docstring), after :data:`CSV_HEADER`."""
    results = poll_results(poll)
    labels = {o.position: label(o, "en") for o in poll.options}

    def rows(dimension: str, entry: dict[str, Any]) -> Iterator[tuple[object, ...]]:
        for row in entry["options"]:
            yield (
                dimension,
                entry.get("value"),
                entry.get("county"),
                row["option"],
                labels[row["option"]],
                row["votes"],
                row["percent"],
            )

    yield from rows("all", results)
    for dimension in RESULT_DIMENSIONS:
        for entry in results["by"][dimension]:
            yield from rows(dimension, entry)
