"""A report's accountability steps on its page: escalate it to a duty bearer (when, how, their
reference) and record their response. Verify, resolve and close are the triage status form's
(:mod:`gateway.admin.reports`); every step is in the case's history and texts a named reporter.
"""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.reports import _report_or_404
from gateway.admin.templating import t
from gateway.commitments.cases import (
    HOW,
    REFERENCE_MAX,
    RESPONSE_MAX,
    CaseRefused,
    escalate,
    record_response,
)
from gateway.commitments.models import DutyBearer
from gateway.extensions import db
from gateway.numbers import whole_number
from gateway.settings import current_settings
from gateway.users.access import require_role
from gateway.users.models import ADMIN, COORDINATOR


class NotATime(ValueError):
    pass


def _when(name: str) -> datetime | None:
    """A ``datetime-local`` field typed in East Africa Time; None when blank.

    Raises:
        NotATime: it is not a time.
    """
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=current_settings().timezone)
    except ValueError as error:
        raise NotATime(raw) from error


def _back(report_id: int) -> Response:
    return redirect(url_for("admin.report_detail", report_id=report_id))


@bp.post("/reports/<int:report_id>/escalate")
@require_role(ADMIN, COORDINATOR, write=True)
def report_escalate(report_id: int) -> Response:
    report = _report_or_404(report_id)
    bearer_id = whole_number(request.form.get("duty_bearer_id", ""))
    bearer = db.session.get(DutyBearer, bearer_id) if bearer_id else None
    how = request.form.get("how", "")
    reference = request.form.get("their_reference", "")
    try:
        at = _when("escalated_at")
    except NotATime:
        bearer = None
    if bearer is None or how not in HOW or len(reference) > REFERENCE_MAX:
        flash(t("admin.reports.escalate_invalid"), "error")
        return _back(report.id)
    try:
        escalate(report, bearer, how=how, their_reference=reference, at=at)
    except CaseRefused as refused:
        db.session.rollback()
        flash(t(f"admin.reports.case_refused.{refused.reason}"), "error")
        return _back(report.id)
    db.session.commit()
    flash(t("admin.reports.escalated", name=bearer.name))
    return _back(report.id)


@bp.post("/reports/<int:report_id>/response")
@require_role(ADMIN, COORDINATOR, write=True)
def report_response(report_id: int) -> Response:
    report = _report_or_404(report_id)
    response = request.form.get("response", "").strip()
    try:
        at = _when("responded_at")
    except NotATime:
        response = ""
    if not response or len(response) > RESPONSE_MAX:
        flash(t("admin.reports.response_invalid"), "error")
        return _back(report.id)
    try:
        record_response(report, response, at=at)
    except CaseRefused as refused:
        db.session.rollback()
        flash(t(f"admin.reports.case_refused.{refused.reason}"), "error")
        return _back(report.id)
    db.session.commit()
    flash(t("admin.reports.response_saved"))
    return _back(report.id)
