"""``/api/v1/reports``: what community members reported, triaged (status, assignee) and
answered by SMS. The rules are the admin inbox's (:mod:`gateway.reports.service`): sensitive
reports for admin tokens only, a coordinator's own counties only; every change audited."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from gateway.api import ApiBlueprint
from gateway.api.estimates import SendEstimateOut, estimate_out
from gateway.api.schemas import _known_county
from gateway.api.scope import ADMIN, COORDINATOR, STAFF
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.numbers import MAX_ID
from gateway.phones import mask_phone
from gateway.reports.cases import NOTE_MAX, add_note, history
from gateway.reports.estimate import reply_estimate
from gateway.reports.models import CATEGORIES, STATUSES, Report
from gateway.reports.service import (
    TRIAGE_STATUSES,
    ReplyRefused,
    assign,
    reply_to_reporter,
    set_status,
    visible_reports,
)
from gateway.users import audit
from gateway.users.access import Principal, principal
from gateway.users.models import User

REPLY_MAX = 300

blp = ApiBlueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    read=STAFF,
    write=(ADMIN, COORDINATOR),
    description="Reported problems: triage (status, assignee) and replies to reporters by SMS.",
)

REFUSED = {
    "anonymous": "The report is anonymous: there is nobody to reply to.",
    "no_contact": "The reporter's number has been deleted.",
    "opted_out": "The reporter has opted out of SMS.",
    "empty": "The reply is empty.",
}


class ReportQuery(ma.Schema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))
    category = ma.fields.String(load_default=None, validate=ma.validate.OneOf(CATEGORIES))
    county = ma.fields.String(load_default=None, validate=_known_county)
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, 1000))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0, 1_000_000))


class ReportOut(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": "What the reporter quotes, `R-...`."})
    category = ma.fields.String()
    sensitive = ma.fields.Boolean()
    county = ma.fields.String(allow_none=True)
    ward = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    language = ma.fields.String(allow_none=True)
    channel = ma.fields.String()
    anonymous = ma.fields.Boolean()
    phone = ma.fields.String(
        allow_none=True, metadata={"description": "The reporter's number, masked."}
    )
    status = ma.fields.String(metadata={"description": f"One of {', '.join(STATUSES)}."})
    assigned_to_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime(allow_none=True)


class ReportUpdate(ma.Schema):
    status = ma.fields.String(
        validate=ma.validate.OneOf(TRIAGE_STATUSES),
        metadata={
            "description": "`escalated` and `responded` are set by "
            "`POST /reports/<id>/escalations` and `POST /reports/<id>/response`."
        },
    )
    assigned_to_id = ma.fields.Integer(
        allow_none=True,
        validate=ma.validate.Range(1, MAX_ID),
        metadata={"description": "An active admin or coordinator; `null` for nobody."},
    )

    @ma.validates_schema
    def _a_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("Give a status or an assigned_to_id.", "status")


class ReplyIn(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(1, REPLY_MAX))


class ReplyOut(ma.Schema):
    report = ma.fields.Integer()
    message_id = ma.fields.Integer()
    to = ma.fields.String(metadata={"description": "The reporter's number, masked."})
    language = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "`queued`: the worker sends it."})


def _described(report: Report) -> dict[str, Any]:
    contact = db.session.get(Contact, report.contact_id) if report.contact_id else None
    phone = contact.phone if contact is not None and contact.anonymised_at is None else None
    return {
        **{name: getattr(report, name) for name in ReportOut().fields if name != "phone"},
        "phone": mask_phone(phone) if phone and not report.anonymous else None,
    }


def report_or_404(report_id: int) -> Report:
    """The report, if the token may read it (its escalations and response use it too)."""
    report = db.session.get(Report, report_id)
    # "No such report" and "not yours to see" answer alike: a sensitive one is not confirmed.
    if report is None or not principal().sees_report(report.county, report.sensitive):
        abort(404, message=f"No report with the id {report_id}.")
    assert report is not None
    return report


def _assignee(report: Report, user_id: int) -> User:
    """An active admin, or an active coordinator who may read ``report`` (as the inbox)."""
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.active
        or user.role not in (ADMIN, COORDINATOR)
        or not Principal.of_user(user).sees_report(report.county, report.sensitive)
    ):
        abort(
            422,
            message=f"User {user_id} may not follow up this report.",
            errors={"json": {"assigned_to_id": ["Not an active admin or coordinator of it."]}},
        )
    assert user is not None
    return user


@blp.route("")
class Reports(MethodView):
    @blp.arguments(ReportQuery, location="query")
    @blp.response(200, ReportOut(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """The reports the token may read, newest first (sensitive ones for admins only, a
        coordinator's counties only), filtered by status, category and county."""
        found = visible_reports(
            principal(), status=query["status"], category=query["category"], county=query["county"]
        )
        rows = db.session.scalars(found.limit(query["limit"]).offset(query["offset"]))
        return [_described(report) for report in rows]


@blp.route("/<int:report_id>")
class ReportById(MethodView):
    @blp.response(200, ReportOut)
    @blp.alt_response(404, description="No report with this id (or not one this token reads).")
    def get(self, report_id: int) -> dict[str, Any]:
        """One report."""
        return _described(report_or_404(report_id))

    @blp.arguments(ReportUpdate)
    @blp.response(200, ReportOut)
    @blp.alt_response(404, description="No report with this id (or not one this token reads).")
    @blp.alt_response(422, description="The assignee may not read this report.")
    def patch(self, data: dict[str, Any], report_id: int) -> dict[str, Any]:
        """Move a report to a triage status and/or give it to someone to follow up."""
        report = report_or_404(report_id)
        if "status" in data:
            set_status(report, data["status"])
        if "assigned_to_id" in data:
            user = _assignee(report, data["assigned_to_id"]) if data["assigned_to_id"] else None
            assign(report, user)
        db.session.commit()
        return _described(report)


@blp.route("/<int:report_id>/reply/estimate")
class ReportReplyEstimate(MethodView):
    @blp.arguments(ReplyIn)
    @blp.response(200, SendEstimateOut)
    @blp.alt_response(404, description="No report with this id (or not one this token reads).")
    @blp.alt_response(409, description="Anonymous, deleted or opted-out reporter: no reply.")
    def post(self, data: dict[str, Any], report_id: int) -> dict[str, Any]:
        """What `POST /reports/<id>/reply` would send, and sends nothing: the reply as sent
        (encoding, segments, characters to cut to fit one SMS), its cost and the budget left."""
        report = report_or_404(report_id)
        try:
            return estimate_out(reply_estimate(report, data["text"]))
        except ReplyRefused as refused:
            abort(409, message=REFUSED.get(refused.reason, refused.reason))
            raise


@blp.route("/<int:report_id>/reply")
class ReportReply(MethodView):
    @blp.arguments(ReplyIn)
    @blp.response(202, ReplyOut)
    @blp.alt_response(404, description="No report with this id (or not one this token reads).")
    @blp.alt_response(409, description="Anonymous, deleted or opted-out reporter: no reply.")
    def post(self, data: dict[str, Any], report_id: int) -> dict[str, Any]:
        """Text the reporter (in their language, quoting the report's reference) through the
        outbound worker. Never to an anonymous reporter nor one who opted out."""
        report = report_or_404(report_id)
        try:
            message = reply_to_reporter(report, data["text"])
        except ReplyRefused as refused:
            db.session.rollback()
            abort(409, message=REFUSED.get(refused.reason, refused.reason))
            raise
        db.session.commit()  # the send job is enqueued after this commit
        return {
            "report": report.id,
            "message_id": message.id,
            "to": mask_phone(message.phone),
            "language": message.language,
            "status": message.status,
        }


class StepOut(ma.Schema):
    kind = ma.fields.String(metadata={"description": "`status`, `note` (internal) or `reply`."})
    actor = ma.fields.String(metadata={"description": "Who: a user's email or a token's name."})
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(allow_none=True)
    text = ma.fields.String(allow_none=True, metadata={"description": "A note's or reply's."})
    message_id = ma.fields.Integer(allow_none=True)
    message_status = ma.fields.String(
        allow_none=True, metadata={"description": "The SMS it sent: its delivery status."}
    )
    created_at = ma.fields.AwareDateTime()


class NoteIn(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(1, NOTE_MAX))


def _steps(report: Report) -> list[dict[str, Any]]:
    return [
        {
            **{
                name: getattr(step.event, name)
                for name in StepOut().fields
                if name != "message_status"
            },
            "message_status": step.message.status if step.message else None,
        }
        for step in history(report)
    ]


@blp.route("/<int:report_id>/history")
class ReportHistory(MethodView):
    @blp.response(200, StepOut(many=True))
    @blp.alt_response(404, description="No report with this id (or not one this token reads).")
    def get(self, report_id: int) -> list[dict[str, Any]]:
        """The report's case, oldest first: status changes (who, when, from, to, the SMS that
        told the reporter), internal notes and replies with their delivery status."""
        return _steps(report_or_404(report_id))


@blp.route("/<int:report_id>/notes")
class ReportNotes(MethodView):
    @blp.arguments(NoteIn)
    @blp.response(201, StepOut(many=True))
    @blp.alt_response(404, description="No report with this id (or not one this token reads).")
    @blp.alt_response(400, description="An empty note.")
    def post(self, data: dict[str, Any], report_id: int) -> list[dict[str, Any]]:
        """Add an internal note (never sent to the reporter); answers the whole history."""
        report = report_or_404(report_id)
        if add_note(report, data["text"]) is None:
            abort(400, message="The note is empty.", errors={"json": {"text": ["Empty."]}})
        audit.record("report.note", "report", report.id, characters=len(data["text"].strip()))
        db.session.commit()
        return _steps(report)
