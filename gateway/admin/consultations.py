"""Consultations: the list (open, upcoming or closed, with participants and comments), a new
one and its changes (titles per language, keyword, the draft as a link or an uploaded PDF, the
audience, the window in East Africa Time, the memorandum's cover, and the clauses), the draft
PDF for logged-in staff, and a consultation's page with its figures clause by clause.

The form is read and checked by :mod:`.consultation_form`; the comments, codebook and coding
pages are :mod:`.consultation_comments` and :mod:`.consultation_codebook`. Only admins change
anything; viewers read.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.auth import takes_upload
from gateway.admin.consultation_clauses import clause_rows_of, posted_clause_rows
from gateway.admin.consultation_form import ConsultationForm, apply_form, filled, read_form
from gateway.admin.forms import in_ui
from gateway.admin.templating import t
from gateway.areas import areas
from gateway.consultations.drafts import (
    MAX_DRAFT_BYTES,
    DraftRefused,
    draft_path,
    remove_draft,
    store_draft,
)
from gateway.consultations.figures import (
    clause_figures,
    comment_counts,
    participants,
    platform_figures,
    status,
)
from gateway.consultations.models import STANCES, Consultation
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.platforms.models import Platform
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, VIEWER

READERS = (ADMIN, VIEWER)
EDITORS = (ADMIN,)


def consultation_or_404(consultation_id: int) -> Consultation:
    found: Consultation | None = db.session.get(Consultation, consultation_id)
    if found is None:
        abort(404)
    return found


@bp.route("/consultations")
@require_role(*READERS)
def consultations() -> str:
    rows = list(
        db.session.scalars(
            select(Consultation).order_by(Consultation.opens_at.desc(), Consultation.id.desc())
        )
    )
    ids = [c.id for c in rows]
    return render_template(
        "admin/consultations/list.html",
        rows=rows,
        people=participants(ids),
        comments=comment_counts(ids),
        status=status,
        in_ui=in_ui,
        can_edit=principal().is_admin,
    )


def _form_page(
    consultation: Consultation | None,
    form: Any,
    clause_rows: list[dict[str, Any]],
    checked: ConsultationForm | None = None,
    code: int = 200,
) -> tuple[str, int]:
    errors = checked.errors if checked else {}
    audience: dict[str, Any] = {}
    if checked is not None:
        audience = {n: request.form.getlist(n) for n in ("counties", "wards", "platforms")}
    elif consultation is not None:
        audience = {
            name: [str(v) for v in values] if isinstance(values, list) else []
            for name, values in consultation.audience.items()
        }
    return (
        render_template(
            "admin/consultations/form.html",
            consultation=consultation,
            form=form,
            clause_rows=clause_rows,
            audience=audience,
            errors=errors,
            languages=catalogs().languages(),
            areas=areas(),
            platforms=list(db.session.scalars(select(Platform).order_by(Platform.name))),
            max_draft_mb=MAX_DRAFT_BYTES // (1024 * 1024),
        ),
        code,
    )


def _draft_upload(checked: ConsultationForm) -> str | None:
    """The uploaded draft PDF stored (its file name), or None when none came or it was
    refused (the refusal kept beside the field)."""
    upload = request.files.get("draft_file")
    if upload is None or not upload.filename:
        return None
    try:
        return store_draft(upload.read(MAX_DRAFT_BYTES + 1))
    except DraftRefused as refused:
        checked.refuse("draft_file", t(refused.key, mb=MAX_DRAFT_BYTES // (1024 * 1024)))
        return None


def _save(consultation: Consultation | None) -> Response | tuple[str, int]:
    checked = read_form(consultation)
    stored = None if checked.errors else _draft_upload(checked)
    if checked.errors:
        return _form_page(consultation, request.form, posted_clause_rows(), checked, 400)
    new = consultation is None
    target = consultation or Consultation()
    changed = apply_form(target, checked)
    replaced = target.draft_file
    if stored is not None:
        target.draft_file = stored
        changed["draft_file"] = True
    elif request.form.get("remove_draft") == "on" and target.draft_file:
        target.draft_file = None
        changed["draft_file"] = False
    action = "consultation.create" if new else "consultation.edit"
    audit.record(action, "consultation", target.id, keyword=target.keyword, changed=changed)
    db.session.commit()
    if replaced != target.draft_file:
        remove_draft(replaced)  # once the row no longer names it
    flash(t("admin.consultations.created" if new else "admin.consultations.saved"))
    return redirect(url_for("admin.consultation_detail", consultation_id=target.id))


@bp.route("/consultations/new")
@require_role(*EDITORS, write=True)
def consultation_new() -> tuple[str, int]:
    return _form_page(None, {"submitted_by": "Haki Madini Kenya"}, clause_rows_of(None))


@bp.post("/consultations")
@takes_upload(MAX_DRAFT_BYTES + 256 * 1024)  # the PDF and the form around it
@require_role(*EDITORS, write=True)
def consultation_create() -> Response | tuple[str, int]:
    return _save(None)


@bp.route("/consultations/<int:consultation_id>/edit")
@require_role(*EDITORS, write=True)
def consultation_edit(consultation_id: int) -> tuple[str, int]:
    consultation = consultation_or_404(consultation_id)
    return _form_page(consultation, filled(consultation), clause_rows_of(consultation))


@bp.post("/consultations/<int:consultation_id>/edit")
@takes_upload(MAX_DRAFT_BYTES + 256 * 1024)
@require_role(*EDITORS, write=True)
def consultation_update(consultation_id: int) -> Response | tuple[str, int]:
    return _save(consultation_or_404(consultation_id))


@bp.route("/consultations/<int:consultation_id>")
@require_role(*READERS)
def consultation_detail(consultation_id: int) -> str:
    consultation = consultation_or_404(consultation_id)
    chosen = consultation.audience.get("platforms")
    platforms = [int(p) for p in chosen] if isinstance(chosen, list) else []
    names = (
        list(db.session.scalars(select(Platform.name).where(Platform.id.in_(platforms))))
        if platforms
        else []
    )
    return render_template(
        "admin/consultations/detail.html",
        consultation=consultation,
        status=status(consultation),
        people=participants([consultation.id]).get(consultation.id, 0),
        comments=comment_counts([consultation.id]).get(consultation.id, 0),
        figures=clause_figures(consultation),
        by_platform=platform_figures(consultation),
        stances=STANCES,
        platform_names=names,
        in_ui=in_ui,
        can_edit=principal().is_admin,
    )


@bp.post("/consultations/<int:consultation_id>/public")
@require_role(*EDITORS, write=True)
def consultation_public(consultation_id: int) -> Response:
    """Show the consultation on the public site (what was asked, how many took part, the
    memorandum with small groups folded), or stop showing it; the site's pages are cached for
    up to GATEWAY_PUBLIC_CACHE_SECONDS."""
    consultation = consultation_or_404(consultation_id)
    consultation.public = request.form.get("public") == "1"
    audit.record(
        "consultation.public",
        "consultation",
        consultation.id,
        keyword=consultation.keyword,
        public=consultation.public,
    )
    db.session.commit()
    flash(t("admin.public.shown" if consultation.public else "admin.public.hidden"))
    return redirect(url_for("admin.consultation_detail", consultation_id=consultation.id))


@bp.route("/consultations/<int:consultation_id>/draft.pdf")
@require_role(*READERS)
def consultation_draft(consultation_id: int) -> Any:
    consultation = consultation_or_404(consultation_id)
    path = draft_path(consultation.draft_file) if consultation.draft_file else None
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype="application/pdf",
        download_name=f"{consultation.keyword.lower()}-draft.pdf",
        max_age=0,
    )
