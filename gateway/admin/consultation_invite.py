"""Inviting a consultation's audience by SMS: the page shows who it reaches by language, each
text as a basic phone shows it and what it costs (:mod:`gateway.admin.send_estimate`); only the
officer's confirmation of that very estimate sends. Those invited already are not counted nor
sent to again."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.send_estimate import confirm_page, confirmed
from gateway.admin.templating import t, tn
from gateway.consultations.invite import (
    ConsultationClosed,
    enqueue_invitations,
    invite_estimate,
    send_time,
)
from gateway.consultations.models import Consultation
from gateway.extensions import db
from gateway.users import audit
from gateway.users.access import require_role
from gateway.users.models import ADMIN


def _consultation_or_404(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def _back(consultation: Consultation) -> str:
    """The consultation's page (h-codebook's admin), or the dashboard before it exists."""
    if "admin.consultation_detail" in current_app.view_functions:
        return url_for("admin.consultation_detail", consultation_id=consultation.id)
    return url_for("admin.dashboard")


def _page(consultation: Consultation) -> Response | tuple[str, int]:
    try:
        send_time(consultation)
    except ConsultationClosed:
        flash(t("admin.consult_invite.closed"), "error")
        return redirect(_back(consultation))
    found = invite_estimate(consultation)
    if not confirmed(found):  # nothing is sent before the officer has seen what it costs
        return confirm_page(
            found,
            title=t("admin.consult_invite.title", keyword=consultation.keyword),
            action=url_for("admin.consultation_invite", consultation_id=consultation.id),
            back=_back(consultation),
        )
    try:
        sends_at = enqueue_invitations(consultation)
    except ConsultationClosed:
        flash(t("admin.consult_invite.closed"), "error")
        return redirect(_back(consultation))
    audit.record(
        "consultation.invite",
        "consultation",
        consultation.id,
        audience=found.recipients,
        sends_at=sends_at.isoformat(),
    )
    db.session.commit()  # the invitations job is enqueued after this commit
    flash(tn("admin.consult_invite.sending", found.recipients, n=found.recipients))
    return redirect(_back(consultation))


@bp.route("/consultations/<int:consultation_id>/invite", methods=["GET", "POST"])
@require_role(ADMIN, write=True)
def consultation_invite(consultation_id: int) -> Response | tuple[str, int]:
    """GET: the estimate with a button to confirm it; POST: the invitations, once confirmed."""
    return _page(_consultation_or_404(consultation_id))
