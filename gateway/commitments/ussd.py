"""Promises on USSD: the follow-ups open for the caller's ward, each answered 1 Yes 2 Partly
3 No (the same answer as by SMS: one per person per round, the latest counts)."""

from __future__ import annotations

from gateway.commitments import answers
from gateway.commitments.models import VERDICTS, Commitment, FollowUpRound
from gateway.extensions import db
from gateway.localized import pick
from gateway.ussd.engine import Context, Item
from gateway.ussd.registry import action, condition, source, view

LABEL_LIMIT = 48


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 3].rstrip() + "..."


@condition("has_promises")
def has_promises(ctx: Context) -> bool:
    return bool(answers.open_rounds(ctx.contact))


@source("promises")
def promise_list(ctx: Context) -> list[Item]:
    chain = ctx.catalogs.chain(ctx.language)
    return [
        Item(str(found.id), _short(pick(commitment.what, chain)))
        for found, commitment in answers.open_rounds(ctx.contact)
    ]


def _round(ctx: Context) -> FollowUpRound:
    found = db.session.get(FollowUpRound, int(ctx.data["promise_round"]))
    if found is None:
        raise LookupError("round gone")
    return found


@view("promise")
def promise_view(ctx: Context) -> dict[str, object]:
    commitment = db.session.get(Commitment, _round(ctx).commitment_id)
    return {"what": pick(commitment.what, ctx.catalogs.chain(ctx.language)) if commitment else ""}


@source("promise_verdicts")
def promise_verdicts(ctx: Context) -> list[Item]:
    return [Item(verdict, ctx.text(f"ussd.promise.verdict.{verdict}")) for verdict in VERDICTS]


@action("answer_promise")
def answer_promise(ctx: Context) -> None:
    found = _round(ctx)
    verdict = ctx.data.get("promise_verdict", "")
    counted = verdict in VERDICTS and answers.answerable(found)
    if counted:
        answers.record_answer(found, ctx.contact, verdict, "ussd")
    ctx.data["promise_counted"] = "yes" if counted else "no"


@condition("promise_counted")
def promise_counted(ctx: Context) -> bool:
    return ctx.data.get("promise_counted") == "yes"
