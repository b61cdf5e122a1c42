"""The named conditions, option sources and actions that flows in ``flows/`` may use."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.contacts.service import record_consent
from gateway.encoding import transliterate
from gateway.sms.inbound import reply
from gateway.ussd.engine import Action, Condition, Context, Item, Source

CONSENT_WORDING = "consent.v1"


def needs_language(ctx: Context) -> bool:
    """A first-time caller picks a language first (and keeps that screen for this session)."""
    contact = ctx.contact
    return contact.language is None or contact.language_session_id == ctx.hop.session_id


def languages(ctx: Context) -> list[Item]:
    return [Item(lang.code, lang.name) for lang in ctx.catalogs.languages()]


def counties_source(counties: Sequence[str]) -> Source:
    def counties_list(ctx: Context) -> list[Item]:
        return [Item(name, name) for name in counties]

    return counties_list


def set_first_language(ctx: Context) -> None:
    ctx.contact.language = ctx.data["language"]
    ctx.contact.language_session_id = ctx.hop.session_id


def set_language(ctx: Context) -> None:
    ctx.contact.language = ctx.data["language"]


def join_platform(ctx: Context) -> None:
    """Record consent with the exact words the caller saw, and send the welcome SMS."""
    contact = ctx.contact
    county = ctx.data["county"]
    already = contact.has_consent and contact.county == county
    contact.county = county
    contact.language = ctx.language
    shown = transliterate(ctx.text(CONSENT_WORDING, county=county))
    record_consent(
        contact,
        channel="ussd",
        wording_version=CONSENT_WORDING,
        wording_text=shown,
        language=ctx.language,
    )
    if not already:
        reply(contact, "sms.welcome", kind="welcome", county=county)


CONDITIONS: dict[str, Condition] = {"needs_language": needs_language}
ACTIONS: dict[str, Action] = {
    "set_first_language": set_first_language,
    "set_language": set_language,
    "join_platform": join_platform,
}
