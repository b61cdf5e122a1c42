"""Open polls on the voice line: the polls open to the caller (as on USSD), each by its
question; then the question and its options ("for <label>, press 1"), and a key votes. One vote
per person per poll, the latest counts, as by SMS and USSD."""

from __future__ import annotations

from typing import TypeVar

from gateway.extensions import db
from gateway.localized import pick
from gateway.polls.models import Poll, PollOption
from gateway.polls.ussd import open_polls
from gateway.polls.votes import cast_vote
from gateway.voice.engine import CallContext
from gateway.voice.registry import Item, action, condition, source

QUESTION = "voice.polls.question"


Chosen = TypeVar("Chosen", Poll, PollOption)


def _chosen(model: type[Chosen], saved: object) -> Chosen | None:
    """The row the caller chose (its id kept in the call), if it is still there."""
    chosen = str(saved or "")
    return db.session.get(model, int(chosen)) if chosen.isdigit() else None


def _poll(ctx: CallContext) -> Poll | None:
    return _chosen(Poll, ctx.data.get("poll"))


def _question(poll: Poll, ctx: CallContext) -> Item:
    question = pick(poll.question, ctx.catalogs.chain(ctx.language))
    return Item(str(poll.id), (QUESTION,), {"question": question})


@source("polls")
def poll_items(ctx: CallContext) -> list[Item]:
    county = ctx.contact.county if ctx.contact is not None else None
    return [_question(poll, ctx) for poll in open_polls(county)]


@source("poll")
def poll_item(ctx: CallContext) -> list[Item]:
    """The chosen poll's question, heard before its options (none if it was deleted)."""
    poll = _poll(ctx)
    return [] if poll is None else [_question(poll, ctx)]


@source("poll_options")
def option_items(ctx: CallContext) -> list[Item]:
    """The chosen poll's options in their order: each key is the option's number, as by SMS.
    Labels are typed by staff: read out in the caller's language where it has one."""
    poll = _poll(ctx)
    if poll is None:
        return []
    chain = ctx.catalogs.chain(ctx.language)
    return [Item(str(o.id), (), {"label": pick(o.label, chain)}) for o in poll.options]


@action("vote")
def vote(ctx: CallContext, _value: str | None) -> None:
    """Cast the caller's vote for the option they chose; not counted if the poll closed (or
    went) while they listened."""
    poll, option = _poll(ctx), _chosen(PollOption, ctx.data.get("option"))
    counted = (
        poll is not None
        and option is not None
        and ctx.contact is not None
        and cast_vote(poll, option, ctx.contact, channel="voice")
    )
    ctx.data["vote_counted"] = counted


@condition("vote_counted")
def vote_counted(ctx: CallContext) -> bool:
    return bool(ctx.data.get("vote_counted"))
