"""``/api/v1/broadcasts``: estimate, create (with its estimate), follow, cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask import g
from flask.views import MethodView

from gateway.api import ApiBlueprint
from gateway.api.fields import fail
from gateway.api.scope import ADMIN, VIEWER
from gateway.broadcasts.dispatch import (
    OverBudget,
    Uncovered,
    cancel_broadcast,
    create_broadcast,
    progress,
)
from gateway.broadcasts.estimate import SKIP, estimate
from gateway.broadcasts.models import Broadcast
from gateway.broadcasts.pacing_rule import WithPacing, pacing_rule
from gateway.broadcasts.spent import spent
from gateway.broadcasts.timing import waits_until
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.platforms.service import known_platform_ids
from gateway.settings import current_settings

blp = ApiBlueprint(
    "broadcasts",
    __name__,
    url_prefix="/broadcasts",
    read=(ADMIN, VIEWER),
    description="Messages to many: estimated before, throttled and followed while sending.",
)


def _languages(texts: dict[str, str]) -> None:
    known = {language.code for language in catalogs().languages()}
    unknown = sorted(set(texts) - known)
    if unknown:
        raise ma.ValidationError(f"Unknown languages {unknown}; use: {', '.join(sorted(known))}.")
    if not any(text.strip() for text in texts.values()):
        raise ma.ValidationError("Give the text in at least one language.")


def _known_platforms(ids: list[int]) -> None:
    unknown = sorted(set(ids) - set(known_platform_ids()))
    if unknown:
        raise ma.ValidationError(f"Unknown platform ids {unknown}.")


class AudienceIn(ma.Schema):
    counties = ma.fields.List(ma.fields.String(), load_default=list)
    wards = ma.fields.List(ma.fields.String(), load_default=list)
    languages = ma.fields.List(ma.fields.String(), load_default=list)
    tags = ma.fields.List(ma.fields.String(), load_default=list)
    guides = ma.fields.List(ma.fields.String(), load_default=list)
    platforms = ma.fields.List(
        ma.fields.Integer(strict=True),
        load_default=list,
        validate=_known_platforms,
        metadata={"description": "Community platform ids: their members, leaders too."},
    )
    match = ma.fields.String(
        load_default="all",
        validate=ma.validate.OneOf(["all", "any"]),
        metadata={"description": "`all`: every named criterion must hold; `any`: one is enough."},
    )


class DraftIn(ma.Schema):
    texts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(validate=ma.validate.Length(max=1000)),
        required=True,
        validate=_languages,
        metadata={"description": "One text per language code; others get their fallback's."},
    )
    audience = ma.fields.Nested(AudienceIn, load_default=dict)
    uncovered = ma.fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "For recipients whose language has no text in its fallback chain "
            "(say English speakers of a Kikamba-only text): `skip` leaves them out; a language "
            "code with a text sends them that text. Needed when there are any (else 409)."
        },
    )

    @ma.validates_schema
    def _uncovered(self, data: dict[str, Any], **kwargs: Any) -> None:
        choice = data.get("uncovered")
        if choice and choice != SKIP and not (data.get("texts") or {}).get(choice, "").strip():
            raise ma.ValidationError(
                f"Use {SKIP!r} or the code of a language given a text.", "uncovered"
            )


class EstimateDraftIn(DraftIn):
    urgent = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Urgent: sent at once to everyone, pacing does not apply."},
    )
    urgent_reason = ma.fields.String(load_default=None, validate=ma.validate.Length(max=500))


class BroadcastIn(DraftIn):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    send_at = ma.fields.AwareDateTime(
        load_default=None,
        metadata={
            "description": "When to send (any timezone; shown in East Africa Time). Empty: now."
        },
    )
    urgent = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Send even in the quiet hours (19:00-07:00 EAT); needs a reason."},
    )
    urgent_reason = ma.fields.String(load_default=None, validate=ma.validate.Length(max=500))

    @ma.validates_schema
    def _reason(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("urgent") and not (data.get("urgent_reason") or "").strip():
            raise ma.ValidationError("Say why this may break the quiet hours.", "urgent_reason")


class LanguageEstimateOut(ma.Schema):
    language = ma.fields.String()
    text_language = ma.fields.String(
        allow_none=True, metadata={"description": "null: they get nothing (no text for them)."}
    )
    text = ma.fields.String(
        metadata={"description": "The text as sent to them, with the opt-out hint if any."}
    )
    no_text_in_chain = ma.fields.Boolean()
    encoding = ma.fields.String()
    segments = ma.fields.Integer()
    characters = ma.fields.Integer()
    ucs2_chars = ma.fields.List(ma.fields.String())
    transliterated = ma.fields.String(allow_none=True)
    transliterated_segments = ma.fields.Integer(allow_none=True)
    cut_to_fit = ma.fields.Integer(
        metadata={"description": "Characters to cut for the text to fit one SMS (0: it fits)."}
    )
    recipients = ma.fields.Integer()
    cost_kes = ma.fields.Decimal(as_string=True)


class EstimateOut(ma.Schema):
    languages = ma.fields.List(ma.fields.Nested(LanguageEstimateOut))
    recipients = ma.fields.Integer()
    skipped_no_consent = ma.fields.Integer()
    skipped_opted_out = ma.fields.Integer()
    uncovered = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Recipients by language with no text in its chain."},
    )
    uncovered_choice = ma.fields.String(allow_none=True)
    skipped_no_text = ma.fields.Integer(
        metadata={"description": "Recipients who would get nothing: no text for them."}
    )
    needs_choice = ma.fields.Boolean(
        metadata={"description": "Some have no text and `uncovered` says nothing for them."}
    )
    cost_kes = ma.fields.Decimal(as_string=True)
    spent_this_month_kes = ma.fields.Decimal(as_string=True)
    committed_kes = ma.fields.Decimal(as_string=True)
    budget_kes = ma.fields.Decimal(as_string=True)
    budget_left_kes = ma.fields.Decimal(
        as_string=True, metadata={"description": "Before this send: spent and committed taken."}
    )
    over_budget = ma.fields.Boolean()


class PacingOut(ma.Schema):
    applies = ma.fields.Boolean(
        metadata={"description": "false: urgent, sent at once to everyone (or pacing is off)."}
    )
    max_per_contact_per_day = ma.fields.Integer(
        metadata={"description": "Scheduled messages one contact gets at most a day (0: no cap)."}
    )
    min_spacing_minutes = ma.fields.Integer(
        metadata={"description": "Least minutes between two to one contact; the rest wait."}
    )


class DraftEstimateOut(EstimateOut):
    pacing = ma.fields.Nested(PacingOut)


class LanguageSpendOut(ma.Schema):
    language = ma.fields.String()
    messages = ma.fields.Integer(metadata={"description": "Accepted by Africa's Talking."})
    segments = ma.fields.Integer()
    cost_kes = ma.fields.Decimal(as_string=True)


class BroadcastOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    texts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    audience = ma.fields.Dict()
    uncovered = ma.fields.String(allow_none=True)
    send_at = ma.fields.AwareDateTime(allow_none=True)
    waits_until = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Held back by the quiet hours: when sending will start."},
    )
    urgent = ma.fields.Boolean()
    urgent_reason = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    created_by = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    started_at = ma.fields.AwareDateTime(allow_none=True)
    finished_at = ma.fields.AwareDateTime(allow_none=True)
    cancelled_at = ma.fields.AwareDateTime(allow_none=True)
    recipients = ma.fields.Integer()
    progress = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    estimate = ma.fields.Nested(EstimateOut, allow_none=True)
    estimated_cost_kes = ma.fields.Decimal(as_string=True, allow_none=True)
    spent = ma.fields.List(
        ma.fields.Nested(LanguageSpendOut),
        metadata={"description": "Per recipients' language: what went, at the segment price."},
    )
    spent_kes = ma.fields.Decimal(as_string=True)


def _out(broadcast: Broadcast, found: Any = None) -> dict[str, Any]:
    fields = {
        name: getattr(broadcast, name)
        for name in BroadcastOut().fields
        if name not in ("progress", "estimate", "spent", "spent_kes", "waits_until")
    }
    by_language = spent(broadcast.id, _settings())
    return {
        **fields,
        "progress": progress(broadcast),
        "waits_until": waits_until(broadcast, _settings()),
        "estimate": found,
        "spent": by_language,
        "spent_kes": sum((row.cost_kes for row in by_language), Decimal(0)),
    }


def _settings() -> Any:

    return current_settings()


@blp.route("/estimate")
class BroadcastEstimate(MethodView):
    @blp.arguments(EstimateDraftIn)
    @blp.response(200, DraftEstimateOut)
    def post(self, data: dict[str, Any]) -> Any:
        """What a broadcast would cost: per language its encoding (and the characters that force
        UCS-2, with a GSM-7 version), segments, recipients and cost; the total against the
        monthly budget; how many are left out for lack of consent or for opting out; and
        whether pacing for one person holds its messages back (not when urgent)."""
        found = estimate(
            data["texts"], data["audience"], _settings(), catalogs(), uncovered=data["uncovered"]
        )
        return WithPacing(found, pacing_rule(_settings(), data["urgent"]))


@blp.route("")
class Broadcasts(MethodView):
    @blp.arguments(BroadcastIn)
    @blp.response(201, BroadcastOut)
    @blp.alt_response(
        409,
        description="Over this month's budget (`errors.estimate` says by how much), or some "
        "recipients have no text in their language's chain and `uncovered` says nothing for "
        "them (`errors.uncovered`: how many, by language).",
    )
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a broadcast; it is sent at `send_at` (outside the quiet hours unless urgent)."""
        try:
            broadcast, found = create_broadcast(
                name=data["name"],
                texts=data["texts"],
                audience=data["audience"],
                send_at=data["send_at"],
                urgent=data["urgent"],
                urgent_reason=data["urgent_reason"],
                created_by=g.api_token.name,
                uncovered=data["uncovered"],
            )
        except Uncovered as exc:
            estimate_out = EstimateOut().dump(exc.estimate)
            fail(
                409,
                message=str(exc),
                errors={"uncovered": exc.estimate.uncovered, "estimate": estimate_out},
            )
        except OverBudget as exc:
            fail(409, message=str(exc), errors={"estimate": EstimateOut().dump(exc.estimate)})
        db.session.commit()
        return _out(broadcast, found)


@blp.route("/<int:broadcast_id>")
class BroadcastById(MethodView):
    @blp.response(200, BroadcastOut)
    @blp.alt_response(404, description="No such broadcast.")
    def get(self, broadcast_id: int) -> dict[str, Any]:
        """A broadcast and its progress: messages queued, sent, delivered, failed, unsent
        (opted out since, or cancelled), of unknown fate; and those left out at the start."""
        return _out(_broadcast(broadcast_id))


@blp.route("/<int:broadcast_id>/cancel")
class BroadcastCancel(MethodView):
    @blp.response(200, BroadcastOut)
    @blp.alt_response(404, description="No such broadcast.")
    def post(self, broadcast_id: int) -> dict[str, Any]:
        """Cancel: nothing not yet handed to Africa's Talking is sent."""
        broadcast = _broadcast(broadcast_id)
        cancel_broadcast(broadcast)
        return _out(broadcast)


def _broadcast(broadcast_id: int) -> Broadcast:
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        fail(404, message=f"No broadcast {broadcast_id}.")
    return broadcast
