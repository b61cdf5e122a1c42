"""Have your say on the voice line (main menu key 6): the consultations open to the caller, each
by its title; then its clauses by reference; a clause's summary read out, a position by key
(1 agree, 2 disagree, 3 not sure); a spoken comment if they wish (kept as a recording, the
comment's text empty); and whether it may be quoted without their name, by key.

Titles, references and summaries are typed by the secretariat: ``<Say>`` reads them out in the
caller's language where there is one (along its fallback chain), as poll questions are.
"""

from __future__ import annotations

from gateway.consultations.models import Clause, Comment, Consultation
from gateway.consultations.service import (
    add_comment,
    chosen,
    is_open,
    open_to,
    record_position,
    summary,
    title,
)
from gateway.extensions import db
from gateway.voice.engine import CallContext
from gateway.voice.recordings import keep_recording
from gateway.voice.registry import Item, action, condition, source

TITLE = "voice.consult.item"
CLAUSE = "voice.consult.clause_item"
SUMMARY = "voice.consult.summary"


def _consultation(ctx: CallContext) -> Consultation | None:
    return chosen(ctx.data)[0]


def _clause(ctx: CallContext) -> Clause | None:
    return chosen(ctx.data)[1]


@condition("has_open_consultations")
def has_open_consultations(ctx: CallContext) -> bool:
    return ctx.contact is not None and bool(open_to(ctx.contact))


@source("consultations")
def consultation_items(ctx: CallContext) -> list[Item]:
    if ctx.contact is None:
        return []
    chain = ctx.catalogs.chain(ctx.language)
    return [Item(str(c.id), (TITLE,), {"title": title(c, chain)}) for c in open_to(ctx.contact)]


@source("consultation")
def consultation_item(ctx: CallContext) -> list[Item]:
    """The chosen consultation's title, heard before its clauses."""
    consultation = _consultation(ctx)
    if consultation is None:
        return []
    chain = ctx.catalogs.chain(ctx.language)
    return [Item(str(consultation.id), (TITLE,), {"title": title(consultation, chain)})]


@source("consultation_clauses")
def clause_items(ctx: CallContext) -> list[Item]:
    """The chosen consultation's clauses (the first nine: keys 1 to 9), by reference."""
    consultation = _consultation(ctx)
    if consultation is None or not is_open(consultation):
        return []
    return [Item(str(c.id), (CLAUSE,), {"reference": c.reference}) for c in consultation.clauses]


@source("clause")
def clause_item(ctx: CallContext) -> list[Item]:
    """The chosen clause's reference and summary, heard before the position is asked."""
    clause = _clause(ctx)
    if clause is None:
        return []
    text = summary(clause, ctx.catalogs.chain(ctx.language))
    return [Item(str(clause.id), (SUMMARY,), {"reference": clause.reference, "summary": text})]


@action("consult_position")
def position(ctx: CallContext, stance: str | None) -> None:
    clause = _clause(ctx)
    kept = (
        clause is not None
        and ctx.contact is not None
        and stance is not None
        and record_position(clause, ctx.contact, stance, "voice")
    )
    ctx.data["position_kept"] = bool(kept)


@condition("consult_position_kept")
def position_kept(ctx: CallContext) -> bool:
    return bool(ctx.data.get("position_kept"))


@action("save_voice_comment")
def save_comment(ctx: CallContext, recording_url: str | None) -> None:
    """Keep the spoken comment (once, if Africa's Talking posts the recording twice) and fetch
    its recording into our storage."""
    clause, contact = _clause(ctx), ctx.contact
    if clause is None or contact is None or not recording_url:
        return
    if ctx.data.get("comment_url") == recording_url:
        return
    recording = keep_recording(
        purpose="comment",
        url=recording_url,
        call_id=ctx.call_id,
        contact_id=contact.id,
        report_id=None,
    )
    comment = add_comment(
        clause, contact, "voice", recording_id=recording.id, language=ctx.language
    )
    ctx.data["comment_url"] = recording_url
    ctx.data["comment"] = comment.id if comment is not None else None


@action("consult_quote")
def quote(ctx: CallContext, answer: str | None) -> None:
    """Yes or no to quoting the comment just recorded without the caller's name."""
    chosen = ctx.data.get("comment")
    comment = db.session.get(Comment, int(chosen)) if isinstance(chosen, int) else None
    if comment is not None and ctx.contact is not None and comment.contact_id == ctx.contact.id:
        comment.quote_ok = answer == "yes"
