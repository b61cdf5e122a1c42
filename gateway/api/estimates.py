"""The estimate of a send in the API (:mod:`gateway.sms.estimate`): what an action would send,
to how many, at what cost, against the month's budget; the admin UI shows the same."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from gateway.sms.estimate import SendEstimate


class LineOut(ma.Schema):
    kind = ma.fields.String(metadata={"description": "What the text is, e.g. `meeting_alert`."})
    language = ma.fields.String(metadata={"description": "The recipients' language."})
    text = ma.fields.String(metadata={"description": "The text as it is sent to them."})
    encoding = ma.fields.String(metadata={"description": "`GSM-7` or `UCS-2`."})
    segments = ma.fields.Integer()
    characters = ma.fields.Integer(
        metadata={"description": "Septets (GSM-7) or UTF-16 units (UCS-2)."}
    )
    cut_to_fit = ma.fields.Integer(
        metadata={"description": "Characters to cut for the text to fit one SMS (0: it fits)."}
    )
    ucs2_chars = ma.fields.List(ma.fields.String())
    recipients = ma.fields.Integer()
    copies = ma.fields.Integer(metadata={"description": "Times each recipient gets it."})
    cost_kes = ma.fields.Decimal(as_string=True)


class SendEstimateOut(ma.Schema):
    lines = ma.fields.List(ma.fields.Nested(LineOut))
    recipients = ma.fields.Integer(metadata={"description": "People who get a text."})
    messages = ma.fields.Integer()
    skipped_no_consent = ma.fields.Integer()
    skipped_opted_out = ma.fields.Integer()
    cost_kes = ma.fields.Decimal(as_string=True)
    spent_this_month_kes = ma.fields.Decimal(as_string=True)
    committed_kes = ma.fields.Decimal(as_string=True)
    budget_kes = ma.fields.Decimal(as_string=True)
    budget_left_kes = ma.fields.Decimal(
        as_string=True, metadata={"description": "Before this send: spent and committed taken."}
    )
    over_budget = ma.fields.Boolean()
    token = ma.fields.String(metadata={"description": "Names what was estimated."})


def estimate_out(found: SendEstimate) -> dict[str, Any]:
    """``found`` in the shape :class:`SendEstimateOut` describes."""
    budget = found.budget
    return {
        "lines": [
            {
                "kind": line.kind,
                "language": line.language,
                "text": line.text,
                "encoding": line.figures.encoding,
                "segments": line.figures.segments,
                "characters": line.figures.characters,
                "cut_to_fit": line.figures.cut_to_fit,
                "ucs2_chars": line.figures.ucs2_chars,
                "recipients": line.recipients,
                "copies": line.copies,
                "cost_kes": line.cost_kes,
            }
            for line in found.lines
        ],
        "recipients": found.recipients,
        "messages": found.messages,
        "skipped_no_consent": found.skipped_no_consent,
        "skipped_opted_out": found.skipped_opted_out,
        "cost_kes": budget.cost_kes,
        "spent_this_month_kes": budget.spent_this_month_kes,
        "committed_kes": budget.committed_kes,
        "budget_kes": budget.budget_kes,
        "budget_left_kes": budget.left_kes,
        "over_budget": budget.over_budget,
        "token": found.token,
    }
