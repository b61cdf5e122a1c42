"""CSV exports after a show: its feed and its tallies, UTF-8 with a BOM (so Excel reads the
Kiswahili and the masked numbers' bullets right).

Listeners write the texts, so a cell that a spreadsheet would take for a formula (starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from gateway.radio.feed import FEED_LIMIT, feed_items

BOM = "\ufeff"
FEED_COLUMNS = (
    *("id", "episode", "time_eat", "phone", "county", "text"),
    *("starred", "hidden", "read_on_air_eat", "tags"),
)
TALLY_COLUMNS = ("section", "item", "messages_or_votes", "listeners", "percent")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _all_items(show_id: int, episode: str | None) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        page = feed_items(show_id, episode=episode, after=after, include_hidden=True)
        yield from page
        if len(page) < FEED_LIMIT:
            return
        after = page[-1]["id"]


def feed_csv(show_id: int, episode: str | None) -> str:
    """Every message of the episode (every episode if None), hidden ones too, with its marks."""
    rows: list[list[object]] = [list(FEED_COLUMNS)]
    for item in _all_items(show_id, episode):
        rows.append(
            [
                *(item["id"], item["episode"], item["received_at"], item["phone"]),
                *(item["county"], item["text"], item["starred"], item["hidden"]),
                *(item["read_on_air_at"], "; ".join(item["tags"])),
            ]
        )
    return _csv(rows)


def tally_csv(tally: dict[str, Any]) -> str:
    """The poll's options, the counties and the tags, one row each."""
    rows: list[list[object]] = [list(TALLY_COLUMNS)]
    poll = tally["poll"]
    if poll is not None:
        for option in poll["options"]:
            label = f"{option['position']}. {option['label']}"
            rows.append(["poll", label, option["votes"], None, option["percent"]])
    for county in tally["counties"]:
        rows.append(["county", county["county"], county["messages"], county["listeners"], None])
    for tag in tally["tags"]:
        rows.append(["tag", tag["tag"], tag["messages"], None, None])
    rows.append(["total", "messages", tally["messages"], tally["listeners"], None])
    return _csv(rows)
