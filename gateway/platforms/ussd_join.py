"""Joining a platform on USSD: after a person joins their county (the join flow of
``flows/main.yaml``), the county's platforms are offered, with "none" at the end."""

from __future__ import annotations

from gateway.extensions import db
from gateway.platforms.models import Platform
from gateway.platforms.service import join, platforms_in, platforms_of
from gateway.ussd.engine import Context, Item
from gateway.ussd.handlers import county_of, join_platform
from gateway.ussd.registry import action, condition, source, view

NONE = "none"
LABEL_LIMIT = 40  # a platform's name on the list; the whole screen stays within 160


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 3].rstrip() + "..."


def _chosen(ctx: Context) -> Platform | None:
    value = ctx.data.get("platform")
    if not value or value == NONE or not str(value).isdigit():
        return None
    found: Platform | None = db.session.get(Platform, int(value))
    return found


@condition("county_has_platforms")
def county_has_platforms(ctx: Context) -> bool:
    county = county_of(ctx)
    return bool(county and platforms_in(county))


@source("county_platforms")
def county_platforms(ctx: Context) -> list[Item]:
    county = county_of(ctx)
    found = platforms_in(county) if county else []
    return [Item(str(p.id), _short(p.name)) for p in found] + [
        Item(NONE, ctx.text("ussd.platform.none"))
    ]


@action("join_county_and_platform")
def join_county_and_platform(ctx: Context) -> None:
    """The county join (consent with the words shown, the welcome SMS when new), then the
    platform chosen, if any."""
    join_platform(ctx)
    platform = _chosen(ctx)
    if platform is not None:
        join(platform, ctx.contact, via="ussd")


@condition("chose_platform")
def chose_platform(ctx: Context) -> bool:
    return _chosen(ctx) is not None


@view("chosen_platform")
def chosen_platform(ctx: Context) -> dict[str, object]:
    platform = _chosen(ctx)
    return {"platform": platform.name if platform else ""}


# -- My settings: my platform ------------------------------------------------------------


@condition("may_join_platform")
def may_join_platform(ctx: Context) -> bool:
    """A caller who joined, in a county with platforms (or in a platform already)."""
    contact = ctx.contact
    return contact.has_consent and bool(platforms_in(contact.county) if contact.county else [])


@view("my_platforms")
def my_platforms(ctx: Context) -> dict[str, object]:
    mine = [p.name for p in platforms_of(ctx.contact)]
    return {
        "platforms": ", ".join(mine) if mine else ctx.text("ussd.platform.in_none"),
        "county": ctx.contact.county or "",
    }


@source("platforms_to_join")
def platforms_to_join(ctx: Context) -> list[Item]:
    mine = {p.id for p in platforms_of(ctx.contact)}
    county = ctx.contact.county
    found = platforms_in(county) if county else []
    return [Item(str(p.id), _short(p.name)) for p in found if p.id not in mine]


@action("join_chosen_platform")
def join_chosen_platform(ctx: Context) -> None:
    platform = _chosen(ctx)
    if platform is not None:
        join(platform, ctx.contact, via="ussd")
