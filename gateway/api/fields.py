"""Fields the polls and surveys APIs share: texts per language, SMS keywords, options, and the
window they are open in."""

from __future__ import annotations

import re
from typing import Any, NoReturn

import marshmallow as ma
from flask_smorest import abort
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from gateway.api.schemas import _known_language
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.sms.choices import folded_phrase
from gateway.sms.keywords import KEYWORDS, fold, keyword_table

KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,19}")


def per_language(max_length: int, **kwargs: Any) -> ma.fields.Dict:
    """A text per language code, e.g. ``{"en": "Yes", "sw": "Ndiyo"}``."""
    kwargs.setdefault(
        "metadata", {"description": 'Per language code, e.g. `{"en": ..., "sw": ...}`.'}
    )
    return ma.fields.Dict(
        keys=ma.fields.String(validate=_known_language),
        values=ma.fields.String(validate=ma.validate.Length(1, max_length)),
        **kwargs,
    )


def refuse_repeated_options(options: list[dict[str, str]]) -> None:
    """Two options with the same label in any language (as a reply is read: folded) could not be
    told apart when someone answers in words."""
    seen: dict[str, int] = {}
    for number, labels in enumerate(options, start=1):
        for label in labels.values():
            if seen.setdefault(folded_phrase(label), number) != number:
                raise ma.ValidationError(
                    f"Options {seen[folded_phrase(label)]} and {number} are both '{label}'.",
                    "options",
                )


def opens_at_field() -> ma.fields.AwareDateTime:
    return ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "ISO 8601 with a timezone; default now."}
    )


def check_window(data: dict[str, Any]) -> None:
    """``closes_at`` comes after ``opens_at`` (now, if not given) and is still to come."""
    opens, closes = data.get("opens_at") or utcnow(), data.get("closes_at")
    if closes is not None and closes <= opens:
        raise ma.ValidationError("Must be after opens_at.", "closes_at")
    if closes is not None and closes <= utcnow():
        raise ma.ValidationError("Must be in the future.", "closes_at")


class Keyword(ma.fields.String):
    """An SMS keyword: one word of 3 to 20 letters or digits, kept in capitals, never one of the
    system's keywords (STOP, JOIN, HELP, YES, NO, NEXT, in any language)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "One word people text, e.g. `MADINI`."})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs).strip()
        if not KEYWORD.fullmatch(raw):
            raise ma.ValidationError(
                "One word of 3 to 20 letters or digits, starting with a letter."
            )
        if fold(raw) in keyword_table(catalogs(), KEYWORDS):
            raise ma.ValidationError(f"{raw.upper()} is one of the gateway's own SMS keywords.")
        return raw.upper()


# The areas whose rows own an SMS keyword (``"poll"``: its id and keyword columns), in the order
# they are searched; :mod:`gateway.wiring` adds them.
KEYWORD_OWNERS: dict[str, tuple[InstrumentedAttribute[int], InstrumentedAttribute[str]]] = {}


def register_keyword_owner(
    name: str, id_column: InstrumentedAttribute[int], keyword_column: InstrumentedAttribute[str]
) -> None:
    KEYWORD_OWNERS[name] = (id_column, keyword_column)


def keyword_user(keyword: str) -> str | None:
    """Which poll or survey uses ``keyword`` already (``"poll 3"``), if any."""
    for name, (id_column, keyword_column) in KEYWORD_OWNERS.items():
        found = db.session.scalar(
            select(id_column).where(func.lower(keyword_column) == keyword.lower())
        )
        if found is not None:
            return f"{name} {found}"
    return None


def fail(status: int, **details: Any) -> NoReturn:
    abort(status, **details)
    raise AssertionError("abort() returned")  # pragma: no cover


def refuse_taken_keyword(keyword: str) -> None:
    """Answer 409, naming the field, when a poll or survey has ``keyword`` already."""
    user = keyword_user(keyword)
    if user is not None:
        fail(
            409,
            message=f"The keyword {keyword} is already used by {user}.",
            errors={"json": {"keyword": [f"{keyword} is already used by {user}."]}},
        )
