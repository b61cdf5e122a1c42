"""Form helpers shared by the pages whose forms the API's schemas check (meetings, polls,
surveys, radio shows): per-language fields, East Africa Time inputs, and the schemas'
complaints shown in the user's language.

A schema speaks English (the API answers in it); on a page, each complaint names the field by
its label (``admin.field.<name>``) and the common marshmallow messages are translated
(``admin.problem.*``). A message with no translation is shown as the schema wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask import request

from gateway.admin.templating import t, ui_language
from gateway.i18n import MissingText, catalogs
from gateway.localized import pick
from gateway.settings import current_settings


def language_codes() -> list[str]:
    return [language.code for language in catalogs().languages()]


def per_language(prefix: str) -> dict[str, str]:
    """``{"en": ..., "sw": ...}`` from the fields ``<prefix>_en``, ``<prefix>_sw``, ...; blank
    ones left out."""
    values = {code: request.form.get(f"{prefix}_{code}", "").strip() for code in language_codes()}
    return {code: value for code, value in values.items() if value}


def eat_input(name: str) -> str | None:
    """A ``datetime-local`` field, typed in East Africa Time, as ISO 8601 with its offset."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    settings = current_settings()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # the schema refuses it, naming the field
    return moment.replace(tzinfo=settings.timezone).isoformat()


def eat_value(moment: datetime | None) -> str:
    """A UTC datetime as a ``datetime-local`` value in East Africa Time."""
    if moment is None:
        return ""
    settings = current_settings()
    return moment.astimezone(settings.timezone).strftime("%Y-%m-%dT%H:%M")


def in_ui(texts: dict[str, str] | None) -> str:
    """A text the secretariat wrote per language, in the user's language if it has one."""
    return pick(texts, (ui_language(), "en", "sw"))


# marshmallow's own messages (and the API's common ones), by the key of their translation.
_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"Missing data for required field\.", "admin.problem.required"),
        (r"Field may not be null\.", "admin.problem.required"),
        (r"Not a valid integer\.", "admin.problem.integer"),
        (r"Not a valid (datetime|date)\.", "admin.problem.datetime"),
        (r"Not a valid string\.", "admin.problem.string"),
        (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", "admin.problem.length"),
        (r"Shorter than minimum length (?P<min>\d+)\.", "admin.problem.too_short"),
        (r"Longer than maximum length (?P<max>\d+)\.", "admin.problem.too_long"),
        (r"Unknown field\.", "admin.problem.unknown_field"),
        (r"Not a valid phone number.*", "admin.problem.phone"),
        (r"Unknown county.*", "admin.problem.county"),
        (r"Unknown language.*", "admin.problem.language"),
        (
            r"Voice number (?P<number>\S+) is already an option's in poll (?P<keyword>\S+),.*",
            "admin.problem.voice_number_taken",
        ),
        (
            r"Voice number (?P<number>\S+) is the main voice number.*",
            "admin.problem.voice_number_main",
        ),
        (
            r"Voice number (?P<number>\S+) is given to two options\.",
            "admin.problem.voice_number_twice",
        ),
        (r"More voice numbers than options\.", "admin.problem.voice_number_extra"),
    )
)


def _problem(message: str) -> str:
    for pattern, key in _PROBLEMS:
        found = pattern.fullmatch(message)
        if found:
            return t(key, **found.groupdict())
    return message


def _label(field: str) -> str:
    key = f"admin.field.{field}"
    try:
        catalogs().raw(key, ui_language())
    except MissingText:
        return field
    return t(key)


def _flat(problems: Any) -> Iterator[str]:
    """Every message in a schema's answer for one field (lists, and dicts for nested fields)."""
    if isinstance(problems, dict):
        for inner in problems.values():
            yield from _flat(inner)
    elif isinstance(problems, list | tuple):
        for inner in problems:
            yield from _flat(inner)
    else:
        yield str(problems)


def form_errors(error: ma.ValidationError) -> list[str]:
    """The schema's complaints, one line per field, in the user's language."""
    messages: Any = error.messages
    if not isinstance(messages, dict):
        messages = {"": messages}
    lines = []
    for field, problems in messages.items():
        text = " ".join(dict.fromkeys(_problem(p) for p in _flat(problems)))
        named = isinstance(field, str) and field not in ("", "_schema")
        lines.append(f"{_label(field)}: {text}" if named else text)
    return lines
