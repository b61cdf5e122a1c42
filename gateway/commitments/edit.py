"""A commitment's fields as the secretariat types them, checked: who promised, what (per
language, at most :data:`WHAT_MAX` characters: it goes into a follow-up SMS), where (platform,
county, wards of that county), when and at which meeting or event, the due date and the source.

Each problem is an admin text key (``admin.commitments.problem.*``) by field, so the page says it
in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gateway.areas import areas
from gateway.commitments.models import DutyBearer
from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.numbers import whole_number
from gateway.platforms.models import Platform

WHAT_MAX = 120
EVENT_MAX, SOURCE_MAX = 255, 500


@dataclass
class Checked:
    values: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # field -> admin text key


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _row_id(raw: str, model: Any) -> int | None | bool:
    """The id of an existing ``model`` row; None when blank; False when unknown."""
    if not raw.strip():
        return None
    found = whole_number(raw.strip())
    return found if found is not None and db.session.get(model, found) is not None else False


def check_commitment(
    form: Mapping[str, str], what: dict[str, str], wards: list[str], languages: list[str]
) -> Checked:
    """The commitment's values from ``form`` (``what`` per language and ``wards`` already read
    from it), or the problems found."""
    checked = Checked()
    values, problems = checked.values, checked.problems
    bearer = _row_id(form.get("duty_bearer_id", ""), DutyBearer)
    if not bearer:
        problems["duty_bearer_id"] = "admin.commitments.problem.duty_bearer"
    values["duty_bearer_id"] = bearer
    if not what:
        problems["what"] = "admin.commitments.problem.what_missing"
    for code, text in what.items():
        if code not in languages:
            problems["what"] = "admin.commitments.problem.what_missing"
        elif len(text) > WHAT_MAX:
            problems[f"what_{code}"] = "admin.commitments.problem.what_long"
    values["what"] = what
    county = form.get("county", "").strip() or None
    known = areas()
    if county is not None and county not in known:
        problems["county"] = "admin.commitments.problem.county"
    values["county"] = county
    if wards and (county is None or county not in known or set(wards) - set(known[county].wards)):
        problems["wards"] = "admin.commitments.problem.wards"
    values["wards"] = sorted(set(wards))
    platform = _row_id(form.get("platform_id", ""), Platform)
    if platform is False:
        problems["platform_id"] = "admin.commitments.problem.platform"
    values["platform_id"] = platform or None
    meeting = _row_id(form.get("meeting_id", ""), Meeting)
    if meeting is False:
        problems["meeting_id"] = "admin.commitments.problem.meeting"
    values["meeting_id"] = meeting or None
    event = form.get("made_at_event", "").strip()
    if len(event) > EVENT_MAX:
        problems["made_at_event"] = "admin.commitments.problem.too_long"
    values["made_at_event"] = event or None
    made_on, due_on = _day(form.get("made_on", "")), _day(form.get("due_on", ""))
    if made_on is None:
        problems["made_on"] = "admin.commitments.problem.date"
    if due_on is None:
        problems["due_on"] = "admin.commitments.problem.date"
    elif made_on is not None and due_on < made_on:
        problems["due_on"] = "admin.commitments.problem.due_before_made"
    values["made_on"], values["due_on"] = made_on, due_on
    source = form.get("source", "").strip()
    if len(source) > SOURCE_MAX:
        problems["source"] = "admin.commitments.problem.too_long"
    values["source"] = source
    values["public"] = form.get("public") == "on"
    return checked
