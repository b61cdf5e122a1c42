"""Open polls and voting, for the USSD flow."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from gateway.extensions import db, utcnow
from gateway.localized import pick
from gateway.polls.models import Poll, PollOption
from gateway.polls.votes import cast_vote
from gateway.ussd.engine import Context, Item
from gateway.ussd.registry import action, condition, source, view

LABEL_LIMIT = 48


def open_polls(county: str | None) -> list[Poll]:
    """Polls open now for everyone or for ``county``, closing soonest first."""
    now = utcnow()
    audience: ColumnElement[bool] = Poll.county.is_(None)
    if county:
        audience = or_(audience, Poll.county == county)
    return list(
        db.session.scalars(
            select(Poll)
            .where(audience, Poll.opens_at <= now, Poll.closes_at > now)
            .order_by(Poll.closes_at)
        )
    )


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 3].rstrip() + "..."


def _poll(ctx: Context) -> Poll:
    poll = db.session.get(Poll, int(ctx.data["poll"]))
    if poll is None:
        raise LookupError("poll gone")
    return poll


@source("polls")
def poll_list(ctx: Context) -> list[Item]:
    chain = ctx.catalogs.chain(ctx.language)
    return [
        Item(str(p.id), _short(pick(p.question, chain))) for p in open_polls(ctx.contact.county)
    ]


@view("poll")
def poll_view(ctx: Context) -> dict[str, object]:
    return {"question": pick(_poll(ctx).question, ctx.catalogs.chain(ctx.language))}


@source("poll_options")
def poll_options(ctx: Context) -> list[Item]:
    chain = ctx.catalogs.chain(ctx.language)
    return [Item(str(o.id), pick(o.label, chain)) for o in _poll(ctx).options]


@action("vote")
def vote(ctx: Context) -> None:
    option = db.session.get(PollOption, int(ctx.data["option"]))
    counted = option is not None and cast_vote(_poll(ctx), option, ctx.contact, channel="ussd")
    ctx.data["vote_counted"] = "yes" if counted else "no"


@condition("vote_counted")
def vote_counted(ctx: Context) -> bool:
    return ctx.data.get("vote_counted") == "yes"


@view("poll_choice")
def poll_choice(ctx: Context) -> dict[str, object]:
    option = db.session.get(PollOption, int(ctx.data["option"]))
    label = pick(option.label, ctx.catalogs.chain(ctx.language)) if option else ""
    return {"choice": label}
