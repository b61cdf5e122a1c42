"""A consultation's codebook (its themes: added, renamed, described, removed) and the agreement
between two coders chosen on the page: Cohen's kappa per theme over the comments both coded
(:mod:`gateway.consultations.coding`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.consultations import EDITORS, READERS, consultation_or_404
from gateway.admin.forms import in_ui
from gateway.admin.templating import t
from gateway.consultations.coding import agreement, coded_by_both, coders_of
from gateway.consultations.models import CommentTheme, Consultation, Theme
from gateway.extensions import db
from gateway.numbers import whole_number
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import User

NAME_LIMIT = 80


def _themes_page(
    consultation: Consultation, errors: dict[str, str] | None = None, code: int = 200
) -> tuple[str, int]:
    themes = list(
        db.session.scalars(
            select(Theme).where(Theme.consultation_id == consultation.id).order_by(Theme.name)
        )
    )
    uses = dict(
        db.session.execute(
            select(CommentTheme.theme_id, func.count(func.distinct(CommentTheme.comment_id)))
            .where(CommentTheme.theme_id.in_([theme.id for theme in themes]))
            .group_by(CommentTheme.theme_id)
        ).all()
    )
    return (
        render_template(
            "admin/consultations/themes.html",
            consultation=consultation,
            themes=themes,
            uses=uses,
            errors=errors or {},
            form=request.form,
            in_ui=in_ui,
            can_edit=principal().is_admin,
        ),
        code,
    )


@bp.route("/consultations/<int:consultation_id>/themes")
@require_role(*READERS)
def consultation_themes(consultation_id: int) -> tuple[str, int]:
    return _themes_page(consultation_or_404(consultation_id))


def _checked_name(consultation: Consultation, theme: Theme | None) -> str | None:
    """The posted theme name, or None when it is missing, too long or taken (then the
    problem is the caller's to show)."""
    name = request.form.get("name", "").strip()
    if not name or len(name) > NAME_LIMIT:
        return None
    taken = db.session.scalar(
        select(Theme.id).where(
            Theme.consultation_id == consultation.id, func.lower(Theme.name) == name.lower()
        )
    )
    if taken is not None and (theme is None or taken != theme.id):
        return None
    return name


def _name_problem(consultation: Consultation) -> str:
    name = request.form.get("name", "").strip()
    if not name:
        return t("admin.problem.required")
    if len(name) > NAME_LIMIT:
        return t("admin.problem.too_long", max=NAME_LIMIT)
    return t("admin.consultations.theme_taken", name=name)


@bp.post("/consultations/<int:consultation_id>/themes")
@require_role(*EDITORS, write=True)
def consultation_theme_add(consultation_id: int) -> Response | tuple[str, int]:
    consultation = consultation_or_404(consultation_id)
    name = _checked_name(consultation, None)
    if name is None:
        return _themes_page(consultation, {"new": _name_problem(consultation)}, 400)
    theme = Theme(
        consultation_id=consultation.id,
        name=name,
        description=request.form.get("description", "").strip(),
    )
    db.session.add(theme)
    db.session.flush()
    audit.record("consultation.theme_add", "consultation_theme", theme.id, name=name)
    db.session.commit()
    flash(t("admin.consultations.theme_added", name=name))
    return redirect(url_for("admin.consultation_themes", consultation_id=consultation.id))


def _theme_or_404(consultation: Consultation, theme_id: int) -> Theme:
    theme: Theme | None = db.session.get(Theme, theme_id)
    if theme is None or theme.consultation_id != consultation.id:
        abort(404)
    return theme


@bp.post("/consultations/<int:consultation_id>/themes/<int:theme_id>")
@require_role(*EDITORS, write=True)
def consultation_theme_edit(consultation_id: int, theme_id: int) -> Response | tuple[str, int]:
    consultation = consultation_or_404(consultation_id)
    theme = _theme_or_404(consultation, theme_id)
    name = _checked_name(consultation, theme)
    if name is None:
        return _themes_page(consultation, {str(theme.id): _name_problem(consultation)}, 400)
    before = theme.name
    theme.name = name
    theme.description = request.form.get("description", "").strip()
    audit.record("consultation.theme_edit", "consultation_theme", theme.id, name=name, was=before)
    db.session.commit()
    flash(t("admin.consultations.theme_saved", name=name))
    return redirect(url_for("admin.consultation_themes", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/themes/<int:theme_id>/remove")
@require_role(*EDITORS, write=True)
def consultation_theme_remove(consultation_id: int, theme_id: int) -> Response:
    consultation = consultation_or_404(consultation_id)
    theme = _theme_or_404(consultation, theme_id)
    # The coders' ticks of it go with it (the database cascades); the codings stay.
    audit.record("consultation.theme_remove", "consultation_theme", theme.id, name=theme.name)
    db.session.delete(theme)
    db.session.commit()
    flash(t("admin.consultations.theme_removed", name=theme.name))
    return redirect(url_for("admin.consultation_themes", consultation_id=consultation.id))


@bp.route("/consultations/<int:consultation_id>/agreement")
@require_role(*READERS)
def consultation_agreement(consultation_id: int) -> str:
    consultation = consultation_or_404(consultation_id)
    coder_ids = coders_of(consultation.id)
    coders = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_(coder_ids)))
    }
    first = whole_number(request.args.get("a", ""))
    second = whole_number(request.args.get("b", ""))
    if first is None and second is None and len(coder_ids) >= 2:
        first, second = coder_ids[0], coder_ids[1]  # the first two, until others are chosen
    rows = None
    both = 0
    if first in coders and second in coders and first != second:
        assert first is not None and second is not None
        rows = agreement(consultation.id, first, second)
        both = len(coded_by_both(consultation.id, first, second))
    return render_template(
        "admin/consultations/agreement.html",
        consultation=consultation,
        coders=coders,
        first=first,
        second=second,
        rows=rows,
        both=both,
        in_ui=in_ui,
    )
