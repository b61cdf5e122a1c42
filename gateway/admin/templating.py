"""What every admin template can use: ``t(key, **values)`` for texts in the user's language
(``tn(key, count, **values)`` for a counted one),
the navigation for the user's role, and filters for times (EAT) and dates written in the
user's language (Babel), language names in it, phone numbers (masked) and money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from flask import Flask, current_app, request, url_for

from gateway.i18n import catalogs
from gateway.phones import mask_phone
from gateway.settings import current_settings
from gateway.users.access import current_principal
from gateway.users.models import ADMIN, COORDINATOR, RADIO_HOST, VIEWER

ALL_ROLES = (ADMIN, COORDINATOR, RADIO_HOST, VIEWER)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    key: str  # the text key of its label
    roles: tuple[str, ...]
    emulator_only: bool = False  # shown only while outbound SMS go to the bundled emulator


# The pages in the menu, in order, and who may open them (each view checks again).
NAV = (
    NavItem("admin.dashboard", "admin.nav.dashboard", ALL_ROLES),
    NavItem("admin.inbox", "admin.nav.inbox", (ADMIN, COORDINATOR, VIEWER)),
    NavItem("admin.contacts", "admin.nav.contacts", (ADMIN, COORDINATOR, VIEWER)),
    NavItem("admin.broadcasts", "admin.nav.broadcasts", (ADMIN, VIEWER)),
    NavItem("admin.meetings", "admin.nav.meetings", (ADMIN, COORDINATOR, VIEWER)),
    NavItem("admin.platforms", "admin.nav.platforms", (ADMIN, COORDINATOR, VIEWER)),
    NavItem("admin.polls", "admin.nav.polls", (ADMIN, RADIO_HOST, VIEWER)),
    NavItem("admin.surveys", "admin.nav.surveys", (ADMIN, VIEWER)),
    NavItem("admin.consultations", "admin.nav.consultations", (ADMIN, VIEWER)),
    NavItem("admin.radio", "admin.nav.radio", (ADMIN, RADIO_HOST, VIEWER)),
    NavItem("admin.reports", "admin.nav.reports", (ADMIN, COORDINATOR, VIEWER)),
    NavItem(
        "admin.platform_announcements",
        "admin.nav.platform_announcements",
        (ADMIN, COORDINATOR, VIEWER),
    ),
    NavItem("admin.attendance_index", "admin.nav.attendance", (ADMIN, COORDINATOR, VIEWER)),
    NavItem("admin.commitments", "admin.nav.commitments", (ADMIN, COORDINATOR, VIEWER)),
    NavItem("admin.guides", "admin.nav.guides", (ADMIN, VIEWER)),
    NavItem(
        "admin.voice_questions",
        "admin.nav.voice_questions",
        (ADMIN, COORDINATOR, RADIO_HOST, VIEWER),
    ),
    NavItem("admin.voice_prompts", "admin.nav.voice_prompts", (ADMIN, COORDINATOR, VIEWER)),
    NavItem("admin.simulator", "admin.nav.simulator", ALL_ROLES, emulator_only=True),
    NavItem("admin.users", "admin.nav.users", (ADMIN,)),
    NavItem("admin.tokens", "admin.nav.tokens", (ADMIN,)),
    NavItem("admin.audit", "admin.nav.audit", (ADMIN,)),
)


def ui_language() -> str:
    who = current_principal()
    return who.language if who is not None else "en"


def ui_languages() -> list[str]:
    """The codes of the languages a user may read the admin UI in (texts fall back)."""
    return [language.code for language in catalogs().languages()]


def t(key: str, /, **values: object) -> str:
    """The admin text ``key`` in the user's language (Kiswahili or English), filled."""
    return catalogs().text(key, ui_language(), **values)


def tn(key: str, count: int, /, **values: object) -> str:
    """The text for ``count`` things: ``<key>.one`` for exactly one, else ``<key>.other``."""
    return t(f"{key}.{'one' if count == 1 else 'other'}", **values)


def nav() -> list[tuple[str, str, bool]]:
    """(url, label, is the current page) for each page the user's role may open."""
    who = current_principal()
    if who is None:
        return []
    settings = current_settings()
    items = []
    for item in NAV:
        if item.emulator_only and not settings.uses_emulator:
            continue
        if who.role in item.roles and item.endpoint in current_app.view_functions:
            url = url_for(item.endpoint)
            here = request.path == url or (url != "/admin/" and request.path.startswith(url))
            items.append((url, t(item.key), here))
    return items


def eat(value: datetime | None, pattern: str = "dd MMM yyyy HH:mm") -> str:
    """A UTC datetime shown in the gateway's time zone (East Africa Time), written in the
    user's language: ``pattern`` is a CLDR date pattern (``MMM``: ``Dec``, ``Des``)."""
    if value is None:
        return ""
    settings = current_settings()
    return format_datetime(value, pattern, tzinfo=settings.timezone, locale=_locale())


def day(value: date | None, pattern: str = "dd MMM yyyy") -> str:
    """A calendar day (already the gateway's), written in the user's language."""
    return "" if value is None else format_date(value, pattern, locale=_locale())


def _locale() -> Locale:
    return catalogs().locale(ui_language())


def masked(phone: str | None) -> str:
    return mask_phone(phone) if phone else ""


def language_name(code: str | None, in_language: str | None = None) -> str:
    """A language's name for its code, in the user's language (``in_language=code`` for its
    own name, as a menu of languages to read the UI in shows it)."""
    if not code:
        return ""
    return catalogs().language_name(code, in_language or ui_language())


def duration(value: timedelta | None) -> str:
    """A wait as hours and minutes ("-" for none)."""
    if value is None:
        return "-"
    minutes = int(value.total_seconds()) // 60
    return t("admin.duration", hours=minutes // 60, minutes=minutes % 60)


def kes(value: float | Decimal | None) -> str:
    return "" if value is None else f"KES {value:,.2f}"


def bar_width(value: float, maximum: float, full: int = 100) -> int:
    """A bar's length out of ``full`` for an SVG chart (no inline style under the CSP)."""
    return 0 if maximum <= 0 else max(0, min(full, round(full * value / maximum)))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        t=t, tn=tn, admin_nav=nav, ui_language=ui_language, ui_languages=ui_languages
    )
    app.jinja_env.filters.update(
        eat=eat, day=day, masked=masked, kes=kes, language_name=language_name, duration=duration
    )
    app.jinja_env.globals["bar_width"] = bar_width
