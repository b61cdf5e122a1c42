"""Texts edited in the admin UI (:class:`~gateway.guides.models.TextOverride` rows), served by
the catalogs instead of their own, without a database round trip per lookup.

Each process keeps every override in memory and looks again at most every
:data:`REFRESH_S` seconds, and then only asks for the rows' count and latest ``updated_at``
(one small query; the rows themselves are read only when those changed). So a USSD hop costs
no extra round trip, and an edit reaches every other web process and worker within
``REFRESH_S`` seconds; the process that saved it serves it at once (:func:`reload_now`).

Also here: the checks an edited guide text passes before it is saved (the message lint's
rules and the guides' limits), shown live as one types in the editor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from gateway.encoding import analyse, is_gsm7, transliterate
from gateway.extensions import db
from gateway.guides.models import TextOverride

log = logging.getLogger(__name__)

REFRESH_S = 30.0  # an edit reaches other processes within this long
clock = time.monotonic  # seconds, for the refresh delay
GUIDE_TITLE_LIMIT = 30  # characters: a USSD menu line "1. <title>"
CHAPTER_TITLE_LIMIT = 28
EXCERPT_MAX = 600  # characters, and at most EXCERPT_SEGMENTS SMS
EXCERPT_SEGMENTS = 4


class Overlay:
    """One app's overrides, by language then key; callable, as the catalogs' hook."""

    def __init__(self) -> None:
        self._texts: dict[str, dict[str, str]] = {}
        self._signature: tuple[int, datetime | None] | None = None
        self._due = 0.0  # clock() of the next look
        self._lock = threading.Lock()

    def __call__(self) -> Mapping[str, Mapping[str, str]]:
        if clock() >= self._due and has_app_context():
            self.refresh()
        return self._texts

    def refresh(self, force: bool = False) -> None:
        """Read the overrides again if they changed (``force``: whatever the clock says).

        While another request reads them, this one serves the texts it has instead of waiting:
        a request waiting here may hold the database connection the reader needs."""
        if not self._lock.acquire(blocking=force):
            return
        try:
            if not force and clock() < self._due:
                return
            self._due = clock() + REFRESH_S
            try:
                with db.engine.connect() as connection:
                    count, latest = connection.execute(
                        select(func.count(), func.max(TextOverride.updated_at))
                    ).one()
                    signature = (int(count), latest)
                    if signature == self._signature:
                        return
                    texts: dict[str, dict[str, str]] = {}
                    rows = connection.execute(
                        select(TextOverride.language, TextOverride.key, TextOverride.text)
                    )
                    for language, key, text in rows:
                        texts.setdefault(language, {})[key] = text
            except SQLAlchemyError as exc:  # the catalogs' own texts still serve
                log.warning("text overrides not reloaded: %s", exc.__class__.__name__)
                return
            self._texts, self._signature = texts, signature
        finally:
            self._lock.release()


def attach(app: Flask) -> None:
    """Serve ``app``'s overrides through its catalogs (once the catalogs are loaded)."""
    catalogs = app.extensions.get("catalogs")
    if catalogs is not None and catalogs.overlay is None:
        catalogs.overlay = Overlay()


def reload_now() -> None:
    """After saving an override: this process serves it at once."""
    overlay = current_app.extensions["catalogs"].overlay
    if isinstance(overlay, Overlay):
        overlay.refresh(force=True)


@dataclass(frozen=True)
class Check:
    ok: bool
    problems: list[str]
    length: int
    segments: int
    encoding: str
    limit: str


def limits_of(key: str) -> tuple[int, int | None]:
    """(characters, SMS segments or None) a guide text ``key`` may take."""
    if key.endswith(".text"):
        return EXCERPT_MAX, EXCERPT_SEGMENTS
    if key.count(".") == 2:  # guide.<id>.title
        return GUIDE_TITLE_LIMIT, None
    return CHAPTER_TITLE_LIMIT, None


def placeholders(text: str) -> frozenset[str] | str:
    from gateway.messages_lint import _placeholders

    return _placeholders(text)


def check_text(key: str, text: str, english: str, t: Any) -> Check:
    """Whether ``text`` may be saved for the guide text ``key``, and why not: GSM-7 after
    transliteration, the length limits, and the same placeholders as English. ``t`` gives the
    reasons in the user's language."""
    problems: list[str] = []
    chars, segments = limits_of(key)
    stripped = text.strip()
    if not stripped:
        problems.append(t("admin.guides.check.empty"))
    sent = transliterate(stripped)
    info = analyse(sent)
    if sent.count("?") > stripped.count("?") or not is_gsm7(sent):
        lost = "".join(dict.fromkeys(c for c in stripped if c != "?" and transliterate(c) == "?"))
        problems.append(t("admin.guides.check.not_gsm", chars=lost))
    if info.length > chars:
        problems.append(t("admin.guides.check.too_long", length=info.length, limit=chars))
    if segments is not None and info.segments > segments:
        problems.append(
            t("admin.guides.check.too_many_sms", segments=info.segments, limit=segments)
        )
    found, wanted = placeholders(stripped), placeholders(english)
    if isinstance(found, str):
        problems.append(found)
    elif isinstance(wanted, frozenset) and found != wanted:
        problems.append(
            t(
                "admin.guides.check.placeholders",
                found=", ".join(sorted(found)) or "-",
                wanted=", ".join(sorted(wanted)) or "-",
            )
        )
    limit = (
        t("admin.guides.limit_sms", chars=chars, segments=segments)
        if segments
        else t("admin.guides.limit_chars", chars=chars)
    )
    return Check(not problems, problems, info.length, info.segments, info.encoding, limit)
