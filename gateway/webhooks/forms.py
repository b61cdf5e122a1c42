"""Reading Africa's Talking's form payloads, with a plain reason when they are malformed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl

import werkzeug.formparser  # noqa: F401  (registers the "werkzeug.url_quote" error handler)
from flask import Request

from gateway.phones import InvalidPhone, normalise_phone

MAX_FIELD = 2000  # far above anything Africa's Talking sends in one field
MAX_TEXT = 10000


class BadCallback(ValueError):
    """A callback payload we cannot act on; the message says why, for the 400 answer."""


URLENCODED = "application/x-www-form-urlencoded"


def read_form(request: Request) -> Mapping[str, str]:
    """The callback's form fields (the first of a repeated name), as ``request.form`` has them.

    Africa's Talking posts URL-encoded forms: those are parsed here straight from the body, the
    way werkzeug parses them, without its general form machinery (a USSD hop's largest cost
    after the session and the caller); anything else goes through ``request.form``.
    """
    if request.mimetype != URLENCODED:
        return request.form
    fields: dict[str, str] = {}
    try:  # werkzeug reads a body it cannot decode as an empty form; so does this
        body = request.get_data(cache=False).decode()
        pairs = parse_qsl(body, keep_blank_values=True, errors="werkzeug.url_quote")
    except ValueError:
        return fields
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def field(
    form: Mapping[str, str], name: str, *, required: bool = True, limit: int = MAX_FIELD
) -> str:
    """One form field, stripped of NUL characters (no database stores them)."""
    value = form.get(name)
    if value is None:
        if required:
            raise BadCallback(f"missing field '{name}'")
        return ""
    if len(value) > limit:
        raise BadCallback(f"field '{name}' is longer than {limit} characters")
    return value.replace("\x00", "")


def phone_field(form: Mapping[str, str], name: str) -> str:
    raw = field(form, name)
    try:
        return _normalised(raw)
    except InvalidPhone as exc:
        raise BadCallback(f"field '{name}' is not a phone number") from exc


# Parsing a number with phonenumbers' metadata costs more than the rest of a USSD hop's form;
# a session's hops all carry the same number, so recent answers are kept (a pure function of
# the text: nothing about the caller is kept, and invalid numbers are never cached).
@lru_cache(maxsize=4096)
def _normalised(raw: str) -> str:
    return normalise_phone(raw)


def at_datetime(raw: str, name: str = "date") -> datetime:
    """Africa's Talking's dates (``2017-05-03T06:04:45Z``, ``2017-05-03 06:04:45``, with or
    without milliseconds) are UTC; return them timezone-aware."""
    text = raw.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise BadCallback(f"field '{name}' is not a date: {raw[:40]!r}") from exc
