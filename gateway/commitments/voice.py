"""Promises on the voice line: offered when one is followed up in the caller's area (as on
USSD), each spoken by what was promised; then "Yes, it has been done", "Partly", "No", each a
key, and the answer counts as by SMS and USSD (one per person per round, the latest counts)."""

from __future__ import annotations

from gateway.commitments import answers
from gateway.commitments.models import VERDICTS, Commitment, FollowUpRound
from gateway.extensions import db
from gateway.localized import pick
from gateway.voice.engine import CallContext
from gateway.voice.registry import Item, action, condition, source

PROMISE = "voice.promises.promise"


def _round(ctx: CallContext) -> FollowUpRound | None:
    chosen = str(ctx.data.get("promise_round") or "")
    return db.session.get(FollowUpRound, int(chosen)) if chosen.isdigit() else None


def _item(found: FollowUpRound, commitment: Commitment, ctx: CallContext) -> Item:
    what = pick(commitment.what, ctx.catalogs.chain(ctx.language))
    return Item(str(found.id), (PROMISE,), {"what": what})


@condition("has_promises")
def has_promises(ctx: CallContext) -> bool:
    return ctx.contact is not None and bool(answers.open_rounds(ctx.contact))


@source("promises")
def promise_items(ctx: CallContext) -> list[Item]:
    if ctx.contact is None:
        return []
    return [_item(found, c, ctx) for found, c in answers.open_rounds(ctx.contact)]


@source("promise")
def promise_item(ctx: CallContext) -> list[Item]:
    """The chosen promise, heard before the answers (none if it stopped being followed up)."""
    found = _round(ctx)
    commitment = db.session.get(Commitment, found.commitment_id) if found else None
    if found is None or commitment is None or not answers.answerable(found):
        return []
    return [_item(found, commitment, ctx)]


@source("promise_verdicts")
def verdict_items(ctx: CallContext) -> list[Item]:
    """Yes, partly, no: keys 1, 2, 3, as by SMS. None when the round stopped taking answers."""
    found = _round(ctx)
    if found is None or not answers.answerable(found):
        return []
    return [Item(verdict, (f"voice.promises.{verdict}",)) for verdict in VERDICTS]


@action("answer_promise")
def answer_promise(ctx: CallContext, _value: str | None) -> None:
    found, verdict = _round(ctx), str(ctx.data.get("promise_verdict") or "")
    counted = (
        found is not None
        and ctx.contact is not None
        and verdict in VERDICTS
        and answers.answerable(found)
    )
    if counted:
        assert found is not None and ctx.contact is not None
        answers.record_answer(found, ctx.contact, verdict, "voice")
    ctx.data["promise_counted"] = counted


@condition("promise_counted")
def promise_counted(ctx: CallContext) -> bool:
    return bool(ctx.data.get("promise_counted"))
