"""``/api/v1``: the duty bearers, a report's escalations and its duty bearer's response (the
report's rules: sensitive ones for admin tokens only, a coordinator's counties only), and the
scorecard. Each step of a case is in the report's history and texts a named reporter, as in the
admin UI (:mod:`gateway.commitments.cases`)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import func, select

from gateway.api import ApiBlueprint
from gateway.api.scope import ADMIN, COORDINATOR, STAFF
from gateway.commitments.cases import (
    HOW,
    REFERENCE_MAX,
    RESPONSE_MAX,
    CaseRefused,
    escalate,
    escalations,
    record_response,
)
from gateway.commitments.models import BEARER_KINDS, DutyBearer
from gateway.commitments.scorecard import scorecard
from gateway.extensions import db
from gateway.numbers import MAX_ID
from gateway.reports.api import report_or_404
from gateway.reports.models import Report
from gateway.users import audit

bearers_blp = ApiBlueprint(
    "duty_bearers",
    __name__,
    url_prefix="/duty-bearers",
    read=STAFF,
    write=(ADMIN,),
    description="Who answers for what: reports are escalated to them, commitments held to them.",
)
cases_blp = ApiBlueprint(
    "report_escalations",
    __name__,
    url_prefix="/reports",
    read=STAFF,
    write=(ADMIN, COORDINATOR),
    description="A report taken to a duty bearer, and their response; the reporter told by SMS.",
)

REFUSED = {
    "not_escalated": "The report has not been escalated: there is no response to record.",
    "future": "That time is in the future.",
}


class BearerIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 255))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(BEARER_KINDS))


class BearerOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": f"One of {', '.join(BEARER_KINDS)}."})


class ScoreOut(ma.Schema):
    duty_bearer = ma.fields.Nested(BearerOut)
    made = ma.fields.Integer()
    due = ma.fields.Integer(metadata={"description": "Its due date has come."})
    kept = ma.fields.Integer()
    partly = ma.fields.Integer()
    not_kept = ma.fields.Integer()
    overdue = ma.fields.Integer(metadata={"description": "Still open after its due date."})
    latest_verdict = ma.fields.String(
        allow_none=True,
        metadata={"description": "yes, partly or no: most answers in the latest rounds."},
    )
    latest_answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class EscalationIn(ma.Schema):
    duty_bearer_id = ma.fields.Integer(required=True, validate=ma.validate.Range(1, MAX_ID))
    how = ma.fields.String(required=True, validate=ma.validate.OneOf(HOW))
    their_reference = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=REFERENCE_MAX)
    )
    escalated_at = ma.fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "Default: now."}
    )


class ResponseIn(ma.Schema):
    response = ma.fields.String(required=True, validate=ma.validate.Length(1, RESPONSE_MAX))
    responded_at = ma.fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "Default: now."}
    )


class EscalationOut(ma.Schema):
    id = ma.fields.Integer()
    duty_bearer = ma.fields.Nested(BearerOut)
    escalated_at = ma.fields.AwareDateTime()
    how = ma.fields.String()
    their_reference = ma.fields.String(allow_none=True)
    escalated_by = ma.fields.String()
    responded_at = ma.fields.AwareDateTime(allow_none=True)
    response = ma.fields.String(allow_none=True)


def _escalations(report: Report) -> list[dict[str, Any]]:
    return [
        {
            **{
                name: getattr(escalation, name)
                for name in EscalationOut().fields
                if name != "duty_bearer"
            },
            "duty_bearer": bearer,
        }
        for escalation, bearer in escalations(report)
    ]


@bearers_blp.route("")
class DutyBearers(MethodView):
    @bearers_blp.response(200, BearerOut(many=True))
    def get(self) -> list[DutyBearer]:
        """Every duty bearer, by name."""
        return list(db.session.scalars(select(DutyBearer).order_by(func.lower(DutyBearer.name))))

    @bearers_blp.arguments(BearerIn)
    @bearers_blp.response(201, BearerOut)
    @bearers_blp.alt_response(409, description="A duty bearer of that name exists.")
    def post(self, data: dict[str, Any]) -> DutyBearer:
        """Add a duty bearer (an admin token)."""
        name = " ".join(data["name"].split())
        taken = db.session.scalar(
            select(DutyBearer.id).where(func.lower(DutyBearer.name) == name.lower())
        )
        if taken is not None or not name:
            abort(409, message=f"There is already a duty bearer called {name!r}.")
        bearer = DutyBearer(name=name, kind=data["kind"])
        db.session.add(bearer)
        db.session.flush()
        audit.record("duty_bearer.create", "duty_bearer", bearer.id, name=name, kind=bearer.kind)
        db.session.commit()
        return bearer


@bearers_blp.route("/scorecard")
class Scorecard(MethodView):
    @bearers_blp.response(200, ScoreOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Per duty bearer: commitments made, due, kept, partly kept, not kept, overdue, and the
        community's latest verdict (the CSV is the admin UI's)."""
        return [
            {
                "duty_bearer": row.bearer,
                "made": row.made,
                "due": row.due,
                "kept": row.kept,
                "partly": row.partly,
                "not_kept": row.not_kept,
                "overdue": row.overdue,
                "latest_verdict": row.verdict,
                "latest_answers": row.latest,
            }
            for row in scorecard()
        ]


@cases_blp.route("/<int:report_id>/escalations")
class ReportEscalations(MethodView):
    @cases_blp.response(200, EscalationOut(many=True))
    @cases_blp.alt_response(
        404, description="No report with this id (or not one this token reads)."
    )
    def get(self, report_id: int) -> list[dict[str, Any]]:
        """The report's escalations, oldest first, with their response."""
        return _escalations(report_or_404(report_id))

    @cases_blp.arguments(EscalationIn)
    @cases_blp.response(201, EscalationOut(many=True))
    @cases_blp.alt_response(
        404, description="No report with this id (or not one this token reads)."
    )
    @cases_blp.alt_response(422, description="No such duty bearer, or a time in the future.")
    def post(self, data: dict[str, Any], report_id: int) -> list[dict[str, Any]]:
        """Take the report to a duty bearer: its status becomes `escalated` and a named reporter
        is told by SMS; answers every escalation of the report."""
        report = report_or_404(report_id)
        bearer = db.session.get(DutyBearer, data["duty_bearer_id"])
        if bearer is None:
            abort(422, message="No such duty bearer.", errors={"json": {"duty_bearer_id": ["?"]}})
        assert bearer is not None
        try:
            escalate(
                report,
                bearer,
                how=data["how"],
                their_reference=data["their_reference"],
                at=data["escalated_at"],
            )
        except CaseRefused as refused:
            db.session.rollback()
            abort(422, message=REFUSED[refused.reason])
        db.session.commit()
        return _escalations(report)


@cases_blp.route("/<int:report_id>/response")
class ReportResponse(MethodView):
    @cases_blp.arguments(ResponseIn)
    @cases_blp.response(201, EscalationOut(many=True))
    @cases_blp.alt_response(
        404, description="No report with this id (or not one this token reads)."
    )
    @cases_blp.alt_response(409, description="The report has not been escalated.")
    @cases_blp.alt_response(422, description="A time in the future.")
    def post(self, data: dict[str, Any], report_id: int) -> list[dict[str, Any]]:
        """Record the duty bearer's response (on the latest escalation not yet answered): the
        status becomes `responded` and a named reporter is told by SMS."""
        report = report_or_404(report_id)
        try:
            record_response(report, data["response"], at=data["responded_at"])
        except CaseRefused as refused:
            db.session.rollback()
            abort(
                409 if refused.reason == "not_escalated" else 422, message=REFUSED[refused.reason]
            )
        db.session.commit()
        return _escalations(report)
