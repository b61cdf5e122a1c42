"""The Learn menu and guide subscriptions, for the USSD flow."""

from __future__ import annotations

from sqlalchemy import select

from gateway.extensions import db, utcnow
from gateway.guides.content import Chapter, Guide, guides
from gateway.guides.models import GuideSubscription
from gateway.sms.texts import reply
from gateway.ussd.engine import Context, Item
from gateway.ussd.registry import action, condition, source, view


def _guide(ctx: Context) -> Guide:
    return guides()[ctx.data["guide"]]


def _chapter(ctx: Context) -> Chapter:
    guide = _guide(ctx)
    return next(c for c in guide.chapters if c.id == ctx.data["chapter"])


@source("guides")
def guide_list(ctx: Context) -> list[Item]:
    return [Item(g.id, ctx.text(g.title)) for g in guides().values()]


@source("chapters")
def chapter_list(ctx: Context) -> list[Item]:
    return [Item(c.id, ctx.text(c.title)) for c in _guide(ctx).chapters]


@view("guide")
def guide_view(ctx: Context) -> dict[str, object]:
    return {"guide": ctx.text(_guide(ctx).title)}


@view("excerpt")
def excerpt(ctx: Context) -> dict[str, object]:
    return {"content": ctx.text(_chapter(ctx).text)}


@condition("opted_out")
def opted_out(ctx: Context) -> bool:
    return ctx.contact.opted_out_at is not None


@action("send_excerpt")
def send_excerpt(ctx: Context) -> None:
    """Queue the whole excerpt as an SMS, in the caller's language."""
    reply(ctx.contact, _chapter(ctx).text, kind="guide_excerpt")


def _subscription(ctx: Context, guide_id: str) -> GuideSubscription | None:
    found: GuideSubscription | None = db.session.scalar(
        select(GuideSubscription).where(
            GuideSubscription.contact_id == ctx.contact.id, GuideSubscription.guide == guide_id
        )
    )
    return found


@source("guide_subscriptions")
def subscription_list(ctx: Context) -> list[Item]:
    """Each guide with whether the caller gets its weekly excerpts."""
    items = []
    for guide in guides().values():
        subscription = _subscription(ctx, guide.id)
        state = "on" if subscription is not None and subscription.active else "off"
        label = f"{ctx.text(guide.title)} ({ctx.text(f'ussd.settings.{state}')})"
        items.append(Item(guide.id, label))
    return items


@action("toggle_subscription")
def toggle_subscription(ctx: Context) -> None:
    guide_id = ctx.data["guide"]
    subscription = _subscription(ctx, guide_id)
    if subscription is None:
        subscription = GuideSubscription(contact_id=ctx.contact.id, guide=guide_id, active=False)
        db.session.add(subscription)
    subscription.active = not subscription.active
    subscription.updated_at = utcnow()
    ctx.data["subscribed"] = "yes" if subscription.active else "no"


@condition("subscribed")
def subscribed(ctx: Context) -> bool:
    return ctx.data.get("subscribed") == "yes"
