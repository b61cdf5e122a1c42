"""The public knowledge site: results the secretariat marks public, consultations, the
commitments scorecard, the calendar, the Community Guides and open data, with no login, in
English (``/``) and Kiswahili (``/sw/``).

Safe by construction: pages read only aggregates, every group through one rule
(:mod:`gateway.public.groups`); no page reads or sets the admin session cookie (the paths are
declared sessionless to :class:`gateway.extensions.CookieSessions`); pages need no script and
are cached (:mod:`gateway.public.cache`).
"""

from __future__ import annotations

import hashlib
import importlib
from base64 import b64encode
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, render_template, request, url_for

from gateway.i18n import catalogs
from gateway.settings import current_settings

LANGUAGES = ("en", "sw")  # the site's languages; English at /, the others at /<code>/
SECTIONS = ("/results/", "/consultations/", "/scorecard/", "/calendar/", "/guides/", "/data/")
VIEW_MODULES = ("pages", "civic", "calendar", "handbook", "opendata")
STYLE = (Path(__file__).parent / "public.css").read_text(encoding="utf-8")
# The one inline stylesheet is allowed by its hash: no other style, and no script at all.
CSP = (
    "default-src 'none'; img-src 'self' data:; "
    f"style-src 'sha256-{b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

bp = Blueprint("public", __name__, template_folder="templates")


def is_public_path(path: str) -> bool:
    """True for the public site's paths (English at the root, Kiswahili under /sw/)."""
    for code in LANGUAGES[1:]:
        if path == f"/{code}/" or path.startswith(f"/{code}/"):
            path = path[len(code) + 1 :]
    return path == "/" or path.startswith(SECTIONS)


def route(rule: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the view at ``rule`` in each language: ``/rule`` in English, ``/sw/rule`` ..."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for code in LANGUAGES:
            prefix = "" if code == "en" else f"/{code}"
            bp.add_url_rule(prefix + rule, view.__name__, view, defaults={"lang": code}, **options)
        return view

    return decorate


@bp.url_value_preprocessor
def _language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.lang = (values or {}).pop("lang", "en")


@bp.url_defaults
def _same_language(endpoint: str, values: dict[str, Any]) -> None:
    values.setdefault("lang", g.get("lang", "en"))


def t(key: str, /, **values: object) -> str:
    """The public site's text ``key`` (``public.<key>`` in the admin catalogs) in the page's
    language."""
    return catalogs().text(f"public.{key}", g.get("lang", "en"), **values)


def other_languages() -> list[tuple[str, str]]:
    """(code, url) of this page in each other language."""
    args = dict(request.view_args or {})
    return [
        (code, url_for(request.endpoint or "public.home", **{**args, "lang": code}))
        for code in LANGUAGES
        if code != g.get("lang", "en")
    ]


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    return response


@bp.errorhandler(404)
def _not_found(error: Exception) -> tuple[str, int]:
    """A page that is not there, or not public (the same answer: which is which stays
    private), in the page's language, with the way back."""
    return render_template("public/not_found.html"), 404


def day(moment: datetime) -> str:
    """A date as the site writes it (ISO, in GATEWAY_TIMEZONE: a date in both languages)."""
    return moment.astimezone(current_settings().timezone).strftime("%Y-%m-%d")


@bp.context_processor
def _page_parts() -> dict[str, object]:
    return {"style": STYLE, "other_languages": other_languages, "public_t": t, "day": day}


def init_app(app: Flask) -> None:
    from gateway.public import cache

    for name in VIEW_MODULES:
        importlib.import_module(f"gateway.public.{name}")
    cache.init_app(app)
    app.session_interface.add_sessionless(is_public_path)  # type: ignore[attr-defined]
    app.register_blueprint(bp)
