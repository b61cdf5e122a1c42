"""Handlers every part of the menu uses: language, joining, area, and my settings."""

from __future__ import annotations

from gateway.areas import areas
from gateway.contacts.service import anonymise, opt_out, record_consent
from gateway.contacts.wordings import USSD_CONSENT
from gateway.encoding import transliterate
from gateway.sms.texts import reply
from gateway.ussd.engine import Context, Item
from gateway.ussd.registry import action, condition, source, view


@condition("needs_language")
def needs_language(ctx: Context) -> bool:
    """A first-time caller picks a language first (and keeps that screen for this session)."""
    contact = ctx.contact
    return contact.language is None or contact.language_session_id == ctx.hop.session_id


@condition("has_resume")
def has_resume(ctx: Context) -> bool:
    return ctx.resume is not None


@condition("joined")
def joined(ctx: Context) -> bool:
    return ctx.contact.has_consent


@condition("not_joined")
def not_joined(ctx: Context) -> bool:
    return not ctx.contact.has_consent


def county_of(ctx: Context) -> str | None:
    """The county this session is about: the one just chosen, else the caller's own."""
    return ctx.data.get("county") or ctx.contact.county


def place_of(ctx: Context) -> str:
    """ "Ward, County" as far as the session knows it."""
    return ", ".join(p for p in (ctx.data.get("ward"), county_of(ctx)) if p)


@view("area")
def area(ctx: Context) -> dict[str, object]:
    return {"place": place_of(ctx)}


@view("help")
def help_text(ctx: Context) -> dict[str, object]:
    settings = ctx.settings
    return {
        "content": ctx.text("help.text", code=settings.ussd_code, shortcode=settings.at_shortcode)
    }


@condition("knows_county")
def knows_county(ctx: Context) -> bool:
    return county_of(ctx) is not None


@condition("county_has_wards")
def county_has_wards(ctx: Context) -> bool:
    county = areas().get(county_of(ctx) or "")
    return bool(county and county.wards)


@source("languages")
def languages(ctx: Context) -> list[Item]:
    return [Item(lang.code, lang.name) for lang in ctx.catalogs.languages()]


@source("counties")
def counties(ctx: Context) -> list[Item]:
    return [Item(name, name) for name in areas()]


@source("wards")
def wards(ctx: Context) -> list[Item]:
    county = areas().get(county_of(ctx) or "")
    return [Item(ward, ward) for ward in county.wards] if county else []


@action("set_first_language")
def set_first_language(ctx: Context) -> None:
    ctx.contact.language = ctx.data["language"]
    ctx.contact.language_session_id = ctx.hop.session_id


@action("set_language")
def set_language(ctx: Context) -> None:
    ctx.contact.language = ctx.data["language"]


@action("set_area")
def set_area(ctx: Context) -> None:
    ctx.contact.county = county_of(ctx)
    ctx.contact.ward = ctx.data.get("ward")


@action("join_platform")
def join_platform(ctx: Context) -> None:
    """Record consent with the exact words the caller saw, and send the welcome SMS."""
    contact = ctx.contact
    county = ctx.data["county"]
    already = contact.has_consent and contact.county == county
    contact.county = county
    contact.ward = ctx.data.get("ward") or contact.ward
    contact.language = ctx.language
    shown = transliterate(ctx.text(USSD_CONSENT, county=county))
    record_consent(
        contact,
        channel="ussd",
        wording_version=USSD_CONSENT,
        wording_text=shown,
        language=ctx.language,
    )
    if not already:
        reply(contact, "sms.welcome", kind="welcome", county=county)


@action("stop_all")
def stop_all(ctx: Context) -> None:
    """Stop every message, and confirm it by SMS (the one message that still goes)."""
    if opt_out(ctx.contact, channel="ussd"):
        reply(ctx.contact, "sms.stop", kind="opt_out_confirmation", ignores_opt_out=True)


@action("delete_my_data")
def delete_my_data(ctx: Context) -> None:
    anonymise(ctx.contact)
