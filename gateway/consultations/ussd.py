"""Have your say on USSD, for the flow in ``flows/main.yaml``: the consultations open to the
caller, a clause, its summary (paged), a position (1 Agree 2 Disagree 3 Not sure), then a
comment if they wish and whether it may be quoted without their name.

Conditions read the database, not the session: when a dropped position is rebuilt by replaying
every input (:mod:`gateway.ussd.engine`), actions do not run again, and a condition must still
lead the same way.
"""

from __future__ import annotations

from gateway.consultations.models import AGREE, DISAGREE, NOT_SURE, Clause, Consultation
from gateway.consultations.service import (
    add_comment,
    chosen,
    is_open,
    open_to,
    record_position,
    summary,
    title,
)
from gateway.ussd.engine import Context, Item
from gateway.ussd.registry import action, condition, source, view

LABEL_LIMIT = 48


def _short(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _consultation(ctx: Context) -> Consultation | None:
    return chosen(ctx.data)[0]


def _clause(ctx: Context) -> Clause | None:
    return chosen(ctx.data)[1]


@condition("has_open_consultations")
def has_open_consultations(ctx: Context) -> bool:
    return bool(open_to(ctx.contact))


@source("consultations")
def consultation_list(ctx: Context) -> list[Item]:
    chain = ctx.catalogs.chain(ctx.language)
    return [Item(str(c.id), _short(title(c, chain))) for c in open_to(ctx.contact)]


@view("consultation")
def consultation_view(ctx: Context) -> dict[str, object]:
    consultation = _consultation(ctx)
    chain = ctx.catalogs.chain(ctx.language)
    return {"title": _short(title(consultation, chain)) if consultation else ""}


@source("consultation_clauses")
def clause_list(ctx: Context) -> list[Item]:
    consultation = _consultation(ctx)
    if consultation is None:
        return []
    return [Item(str(c.id), _short(c.reference, 40)) for c in consultation.clauses]


@view("clause_summary")
def clause_summary(ctx: Context) -> dict[str, object]:
    clause = _clause(ctx)
    if clause is None:
        return {"content": ""}
    return {"content": f"{clause.reference}: {summary(clause, ctx.catalogs.chain(ctx.language))}"}


@view("clause")
def clause_view(ctx: Context) -> dict[str, object]:
    clause = _clause(ctx)
    return {"reference": _short(clause.reference, 40) if clause else ""}


def _position(ctx: Context, stance: str) -> None:
    clause = _clause(ctx)
    if clause is not None:
        record_position(clause, ctx.contact, stance, "ussd")


@action("position_agree")
def position_agree(ctx: Context) -> None:
    _position(ctx, AGREE)


@action("position_disagree")
def position_disagree(ctx: Context) -> None:
    _position(ctx, DISAGREE)


@action("position_not_sure")
def position_not_sure(ctx: Context) -> None:
    _position(ctx, NOT_SURE)


@condition("consultation_open")
def consultation_open(ctx: Context) -> bool:
    """Whether the chosen consultation is still open (it may close while the caller reads)."""
    consultation = _consultation(ctx)
    return consultation is not None and is_open(consultation) and _clause(ctx) is not None


@action("save_comment")
def save_comment(ctx: Context) -> None:
    clause = _clause(ctx)
    words = ctx.data.get("comment", "").strip()
    if clause is None or not words:
        return
    add_comment(
        clause,
        ctx.contact,
        "ussd",
        text=words,
        quote_ok=ctx.data.get("quote") == "yes",
        language=ctx.language,
    )
