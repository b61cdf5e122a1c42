"""The reports inbox: what community members reported, triaged by the secretariat.

A sensitive report (security, harassment) is for admins only: it is not listed, counted or
opened for anyone else. A coordinator sees the reports of their own counties. Changes (status,
assignee, a reply by SMS) are audited; a reply goes to the reporter through the outbound worker,
never to an anonymous reporter nor one who opted out.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.duty_bearers import bearers
from gateway.admin.send_estimate import confirm_page, confirmed
from gateway.admin.templating import t, tn
from gateway.commitments.cases import HOW, escalations
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.numbers import whole_number
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
from gateway.reports.voice import set_transcript, spoken_report
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER, User

READERS = (ADMIN, COORDINATOR, VIEWER)
PAGE_SIZE = 100
REPLY_MAX = 300
TRANSCRIPT_MAX = 4000  # the column's size


def age(created_at: datetime) -> str:
    """How long ago a report came, in the user's language (minutes, hours or days)."""
    seconds = max(0, int((utcnow() - created_at).total_seconds()))
    if seconds < 3600:
        return t("admin.reports.age_minutes", n=seconds // 60)
    if seconds < 86400:
        return t("admin.reports.age_hours", n=seconds // 3600)
    return tn("admin.reports.age_days", seconds // 86400, n=seconds // 86400)


def _report_or_404(report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    # One answer for "no such report" and "not yours to see": a sensitive report is not
    # even confirmed to exist.
    if report is None or not principal().sees_report(report.county, report.sensitive):
        abort(404)
    return report


def _assignees(report: Report) -> list[User]:
    """Who a report may be given to: active admins, and active coordinators who may read it
    (of its county, and never for a sensitive report)."""
    users = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_((ADMIN, COORDINATOR)))
        .order_by(User.name)
    )
    return [
        user
        for user in users
        if user.role == ADMIN
        or (not report.sensitive and report.county is not None and report.county in user.counties)
    ]


def _choice(name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


@bp.route("/reports")
@require_role(*READERS)
def reports() -> str:
    who = principal()
    counties = who.visible_counties()
    status = _choice("status", STATUSES)
    category = _choice("category", CATEGORIES)
    county = request.args.get("county") or None
    query = visible_reports(who, status=status, category=category, county=county)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(PAGE_SIZE)).all()
    names: dict[int, str] = {
        user_id: name
        for user_id, name in db.session.execute(
            select(User.id, User.name).where(
                User.id.in_({r.assigned_to_id for r in rows if r.assigned_to_id})
            )
        )
    }
    county_choices = (
        sorted(counties)
        if counties is not None
        else [
            c
            for c in db.session.scalars(
                visible_reports(who)
                .order_by(None)
                .with_only_columns(Report.county)
                .distinct()
                .order_by(Report.county)
            )
            if c
        ]
    )
    return render_template(
        "admin/reports/list.html",
        rows=rows,
        total=total or 0,
        names=names,
        age=age,
        statuses=STATUSES,
        categories=CATEGORIES,
        counties=county_choices,
        chosen={"status": status, "category": category, "county": county},
    )


def _reporter(report: Report) -> tuple[Contact | None, str | None, bool]:
    """The named reporter's contact, their masked number, and whether the reader may open it."""
    if report.anonymous or report.contact_id is None:
        return None, None, False
    contact = db.session.get(Contact, report.contact_id)
    if contact is None or contact.anonymised_at is not None:
        return None, None, False
    return contact, mask_phone(contact.phone), principal().sees_county(contact.county)


@bp.route("/reports/<int:report_id>")
@require_role(*READERS)
def report_detail(report_id: int) -> str:
    report = _report_or_404(report_id)
    assignee = db.session.get(User, report.assigned_to_id) if report.assigned_to_id else None
    reporter, reporter_phone, reporter_link = _reporter(report)
    return render_template(
        "admin/reports/detail.html",
        report=report,
        assignee=assignee,
        assignees=_assignees(report),
        statuses=STATUSES,
        age=age,
        can_write=principal().can_write,
        can_reply=not report.anonymous and report.contact_id is not None,
        reply_max=REPLY_MAX,
        recording=spoken_report(report.id),
        transcript_max=TRANSCRIPT_MAX,
        reporter=reporter,
        reporter_phone=reporter_phone,
        reporter_link=reporter_link,
        steps=history(report),
        note_max=NOTE_MAX,
        triage_statuses=TRIAGE_STATUSES,
        escalations=escalations(report),
        bearers=bearers() if principal().can_write else [],
        how=HOW,
    )


@bp.post("/reports/<int:report_id>/note")
@require_role(ADMIN, COORDINATOR, write=True)
def report_note(report_id: int) -> Response:
    """An internal note on the case: kept in its history, never sent."""
    report = _report_or_404(report_id)
    text = request.form.get("note", "")
    if len(text) > NOTE_MAX:
        flash(t("admin.reports.note_too_long", max=NOTE_MAX), "error")
        return _back(report)
    if add_note(report, text) is not None:
        audit.record("report.note", "report", report.id, characters=len(text.strip()))
        db.session.commit()
        flash(t("admin.reports.note_saved"))
    return _back(report)


@bp.post("/reports/<int:report_id>/transcript")
@require_role(ADMIN, COORDINATOR, write=True)
def report_transcript(report_id: int) -> Response:
    """Keep what a staff member heard in a spoken report, typed beside its recording."""
    report = _report_or_404(report_id)
    text = request.form.get("transcript", "").strip()
    if len(text) > TRANSCRIPT_MAX:
        flash(t("admin.reports.transcript_too_long", max=TRANSCRIPT_MAX), "error")
        return _back(report)
    if set_transcript(report.id, text):
        audit.record("report.transcript", "report", report.id, characters=len(text))
        db.session.commit()
        flash(t("admin.reports.transcript_saved"))
    return _back(report)


def _back(report: Report) -> Response:
    return redirect(url_for("admin.report_detail", report_id=report.id))


@bp.post("/reports/<int:report_id>/status")
@require_role(ADMIN, COORDINATOR, write=True)
def report_status(report_id: int) -> Response:
    report = _report_or_404(report_id)
    status = request.form.get("status", "")
    if not status:  # the step's own status left as it is
        return _back(report)
    if status not in TRIAGE_STATUSES:  # escalated, responded: by their own forms
        abort(400)
    if set_status(report, status):
        db.session.commit()
        flash(t("admin.reports.status_changed", status=t(f"admin.reports.status.{status}")))
    return _back(report)


@bp.post("/reports/<int:report_id>/assign")
@require_role(ADMIN, COORDINATOR, write=True)
def report_assign(report_id: int) -> Response:
    report = _report_or_404(report_id)
    raw = request.form.get("user_id", "")
    user = None
    if raw:
        user_id = whole_number(raw)
        if user_id is None:
            abort(400)
        user = db.session.get(User, user_id)
        if user is None or user not in _assignees(report):
            abort(400)
    if assign(report, user):
        db.session.commit()
        flash(
            t("admin.reports.assigned", name=user.name) if user else t("admin.reports.unassigned")
        )
    return _back(report)


@bp.post("/reports/<int:report_id>/reply")
@require_role(ADMIN, COORDINATOR, write=True)
def report_reply(report_id: int) -> Response | tuple[str, int]:
    report = _report_or_404(report_id)
    text = request.form.get("text", "")
    if len(text) > REPLY_MAX:
        flash(t("admin.reports.reply_too_long", max=REPLY_MAX), "error")
        return _back(report)
    try:
        found = reply_estimate(report, text)
        if not confirmed(found):  # nothing is sent before the officer has seen what it costs
            return confirm_page(
                found,
                title=t("admin.estimate.report_reply", reference=report.reference),
                action=url_for("admin.report_reply", report_id=report.id),
                back=url_for("admin.report_detail", report_id=report.id),
            )
        message = reply_to_reporter(report, text)
    except ReplyRefused as refused:
        db.session.rollback()
        flash(t(f"admin.reports.reply_refused.{refused.reason}"), "error")
        return _back(report)
    db.session.commit()  # the send job is enqueued after this commit
    flash(t("admin.reports.reply_queued", phone=mask_phone(message.phone)))
    return _back(report)
