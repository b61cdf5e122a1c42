"""A consultation's outputs: its memorandum (a printable page, and a Word file to edit), its CSV
export (pseudonymous: no number, no name), and "you said, we did", the SMS to everyone who took
part when the memorandum went in and when the issuing body answered.

The memorandum is written in the officer's language unless ``?lang=`` asks for another. The
notices are sent as every other send: the estimate first, then a confirmation of that very
estimate (:mod:`gateway.admin.send_estimate`).
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from gateway.admin import bp
from gateway.admin.send_estimate import confirm_page, confirmed, panel
from gateway.admin.templating import t, ui_language
from gateway.consultations.export import export_csv
from gateway.consultations.memorandum import memorandum_data, memorandum_docx
from gateway.consultations.models import Consultation
from gateway.consultations.you_said import NOTICES, RESPONDED, SUBMITTED, confirm_notice, estimate
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, VIEWER

READERS = (ADMIN, VIEWER)
NOTE_LIMIT = 2000


def _consultation_or_404(consultation_id: int) -> Consultation:
    found = db.session.get(Consultation, consultation_id)
    if found is None:
        abort(404)
    return found


def _bad_request(reason: str) -> None:
    """Stop with a 400 page that says why, in the officer's language."""
    abort(make_response(render_template("admin/consultation_memo/bad.html", reason=reason), 400))


def _language() -> str:
    """The memorandum's language: ``?lang=`` if the gateway has it, else the officer's."""
    asked = request.args.get("lang", "")
    codes = [language.code for language in catalogs().languages()]
    if asked and asked not in codes:
        _bad_request(t("admin.memo.unknown_language", language=asked))
    return asked or ui_language()


def _filename(consultation: Consultation, extension: str) -> str:
    return f"consultation-{consultation.id}-{consultation.keyword.lower()}.{extension}"


@bp.route("/consultations/<int:consultation_id>/memorandum")
@require_role(*READERS)
def consultation_memorandum(consultation_id: int) -> str:
    consultation = _consultation_or_404(consultation_id)
    language = _language()
    return render_template(
        "admin/consultation_memo/memorandum.html",
        consultation=consultation,
        memo=memorandum_data(consultation, language),
        languages=catalogs().languages(),
        can_send=principal().role == ADMIN,
    )


@bp.route("/consultations/<int:consultation_id>/memorandum.docx")
@require_role(*READERS)
def consultation_memorandum_docx(consultation_id: int) -> Response:
    consultation = _consultation_or_404(consultation_id)
    return Response(
        memorandum_docx(consultation, _language()),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(consultation, "docx")}"'
        },
    )


@bp.route("/consultations/<int:consultation_id>/export.csv")
@require_role(*READERS)
def consultation_export(consultation_id: int) -> Response:
    consultation = _consultation_or_404(consultation_id)
    body = (chunk.encode("utf-8") for chunk in export_csv(consultation))
    return Response(
        stream_with_context(body),  # the rows come from the database while the file goes out
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(consultation, "csv")}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


def _notice(consultation: Consultation, raw: str | None) -> str:
    """The notice asked for (default: the next one due); 400 for one that does not exist."""
    if not raw:
        return RESPONDED if consultation.submitted_at else SUBMITTED
    if raw not in NOTICES:
        _bad_request(t("admin.memo.you_said.unknown_notice", notice=raw))
    return raw


def _you_said_page(
    consultation: Consultation, notice: str, errors: list[str], status: int
) -> tuple[str, int]:
    found = estimate(consultation, notice)
    return (
        render_template(
            "admin/consultation_memo/you_said.html",
            consultation=consultation,
            notice=notice,
            notices=NOTICES,
            token=found.token,
            note=request.form.get("response_note", consultation.response_note or ""),
            errors=errors,
            can_send=notice == SUBMITTED or consultation.submitted_at is not None,
            **panel(found),
        ),
        status,
    )


@bp.route("/consultations/<int:consultation_id>/you-said")
@require_role(ADMIN)
def consultation_you_said(consultation_id: int) -> tuple[str, int]:
    """The estimate of a notice and the form that confirms it: nothing is sent from here."""
    consultation = _consultation_or_404(consultation_id)
    return _you_said_page(consultation, _notice(consultation, request.args.get("notice")), [], 200)


@bp.post("/consultations/<int:consultation_id>/you-said")
@require_role(ADMIN, write=True)
def consultation_you_said_send(consultation_id: int) -> BaseResponse | tuple[str, int]:
    consultation = _consultation_or_404(consultation_id)
    notice = _notice(consultation, request.form.get("notice"))
    note = request.form.get("response_note", "").strip()
    errors = []
    if notice == RESPONDED and consultation.submitted_at is None:
        errors.append(t("admin.memo.you_said.not_submitted"))
    if notice == RESPONDED and not note:
        errors.append(t("admin.memo.you_said.note_needed"))
    if len(note) > NOTE_LIMIT:
        errors.append(t("admin.memo.you_said.note_too_long", limit=NOTE_LIMIT))
    if errors:
        return _you_said_page(consultation, notice, errors, 400)
    found = estimate(consultation, notice)
    if not confirmed(found):  # nothing goes before the officer has seen what it costs
        return confirm_page(
            found,
            title=t(f"admin.memo.you_said.title_{notice}"),
            action=url_for("admin.consultation_you_said_send", consultation_id=consultation.id),
            back=url_for(
                "admin.consultation_you_said", consultation_id=consultation.id, notice=notice
            ),
        )
    if found.budget.over_budget:  # as a broadcast: nothing goes past the month's budget
        return _you_said_page(consultation, notice, [t("admin.memo.you_said.over_budget")], 400)
    new = confirm_notice(consultation, notice, note or None)
    audit.record(
        f"consultation.{notice}",
        "consultation",
        consultation.id,
        recipients=found.recipients,
        cost_kes=str(found.cost_kes),
    )
    db.session.commit()  # the job is enqueued after this commit
    flash(
        t("admin.memo.you_said.queued", count=found.recipients)
        if new
        else t("admin.memo.you_said.again", count=found.recipients)
    )
    return redirect(
        url_for("admin.consultation_you_said", consultation_id=consultation.id, notice=notice)
    )
