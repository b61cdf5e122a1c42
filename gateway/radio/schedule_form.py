"""A show's weekly schedule as the admin form writes it: one row per slot, a weekday by name
and the start and end times in EAT (``slot1_weekday=3``, ``slot1_start=19:00``,
``slot1_end=20:00``), instead of the stored ``3 19:00-20:00``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.numbers import whole_number

ROWS = 7  # slots the form offers: one a day at most is the usual
EXTRA = 2  # empty rows after the filled ones


class IncompleteSlot(ValueError):
    """A row with some of weekday, start and end, not all."""

    def __init__(self, row: int) -> None:
        super().__init__(f"slot {row} is incomplete")
        self.row = row


def _padded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    empty = {"weekday": "", "start": "", "end": ""}
    return rows + [dict(empty) for _ in range(min(EXTRA, max(0, ROWS - len(rows))))]


def schedule_rows(schedule: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The form's rows for a stored schedule: its slots, then empty rows."""
    return _padded(
        [
            {"weekday": str(s["weekday"]), "start": str(s["start"]), "end": str(s["end"])}
            for s in schedule
        ]
    )


def rows_of(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The rows as posted, to show the form again after an error."""
    rows = []
    for n in range(1, ROWS + 1):
        row = {key: form.get(f"slot{n}_{key}", "").strip() for key in ("weekday", "start", "end")}
        if any(row.values()):
            rows.append(row)
    return _padded(rows)


def schedule_of(form: Mapping[str, str]) -> list[dict[str, object]]:
    """The slots the rows give, as the API takes them (the weekday's range and the times are
    :class:`gateway.radio.schemas.ShowIn`'s to check). Empty rows are skipped.

    Raises:
        IncompleteSlot: a row is partly filled.
    """
    slots: list[dict[str, object]] = []
    for n in range(1, ROWS + 1):
        weekday = form.get(f"slot{n}_weekday", "").strip()
        start = form.get(f"slot{n}_start", "").strip()[:5]  # a browser may send seconds
        end = form.get(f"slot{n}_end", "").strip()[:5]
        if not (weekday or start or end):
            continue
        day = whole_number(weekday)
        if day is None or not start or not end:
            raise IncompleteSlot(n)
        slots.append({"weekday": day, "start": start, "end": end})
    return slots
