"""The admin UI's Users page (admins only): who may log in, with which role, counties and
language; deactivating someone; a one-time password reset link shown once to the admin who
made it (never stored, never flashed). The rules are :mod:`gateway.users.manage`'s, shared
with ``/api/v1/users``."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.users import audit
from gateway.users.access import Principal, principal, require_role
from gateway.users.manage import UserProblem, create_user, update_user
from gateway.users.models import ADMIN, ROLES, User
from gateway.users.passwords import reset_url


def _choices() -> dict[str, Any]:
    return {
        "roles": ROLES,
        "counties": current_app.extensions["counties"],
        "languages": [lang.code for lang in catalogs().languages()],  # shown in their own names
    }


def _form() -> dict[str, Any]:
    return {
        "email": request.form.get("email", "").strip(),
        "name": request.form.get("name", "").strip(),
        "role": request.form.get("role", ""),
        "counties": request.form.getlist("counties"),
        "language": request.form.get("language", "en"),
    }


def _list(form: dict[str, Any] | None = None, problem: UserProblem | None = None) -> str:
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.email)).all()
    return render_template(
        "admin/users/list.html",
        rows=rows,
        form=form or {"role": "viewer", "language": "en", "counties": []},
        problem=problem,
        **_choices(),
    )


@bp.route("/users")
@require_role(ADMIN)
def users() -> str:
    return _list()


@bp.post("/users")
@require_role(ADMIN, write=True)
def user_create() -> str | tuple[str, int]:
    form = _form()
    try:
        user = create_user(**form)
    except UserProblem as problem:
        db.session.rollback()
        return _list(form, problem), 400
    db.session.commit()
    return render_template("admin/users/link.html", user=user, link=reset_url(user), created=True)


@bp.route("/users/<int:user_id>")
@require_role(ADMIN)
def user_edit(user_id: int) -> str:
    user = db.get_or_404(User, user_id)
    return render_template(
        "admin/users/edit.html",
        user=user,
        form={
            "name": user.name,
            "role": user.role,
            "counties": user.counties or [],
            "language": user.language,
        },
        problem=None,
        is_self=user.id == principal().user_id,
        **_choices(),
    )


@bp.post("/users/<int:user_id>")
@require_role(ADMIN, write=True)
def user_update(user_id: int) -> Response | tuple[str, int]:
    user = db.get_or_404(User, user_id)
    form = _form()
    changes = {key: form[key] for key in ("name", "role", "counties", "language")}
    try:
        done = update_user(user, principal(), changes)
    except UserProblem as problem:
        db.session.rollback()
        page = render_template(
            "admin/users/edit.html",
            user=user,
            form=form,
            problem=problem,
            is_self=user.id == principal().user_id,
            **_choices(),
        )
        return page, 400
    db.session.commit()
    if user.id == principal().user_id:
        # Someone who changed their own language reads the confirmation in the new one.
        g.principal = Principal.of_user(user)
    flash(t("admin.users.saved", email=user.email) if done else t("admin.users.unchanged"))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@require_role(ADMIN, write=True)
def user_active(user_id: int) -> Response:
    """Deactivate (``active=0``) or reactivate (``active=1``) a user."""
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    try:
        update_user(user, principal(), {"active": active})
    except UserProblem as problem:
        db.session.rollback()
        flash(t(problem.key), "error")
        return redirect(url_for("admin.users"))
    db.session.commit()
    key = "admin.users.activated" if active else "admin.users.deactivated"
    flash(t(key, email=user.email))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/sessions")
@require_role(ADMIN, write=True)
def user_sessions_end(user_id: int) -> Response:
    """Sign a user out everywhere: every session of theirs ends (a stolen cookie too)."""
    user = db.get_or_404(User, user_id)
    user.end_sessions()
    audit.record("user.sessions_ended", "user", user.id, email=user.email)
    db.session.commit()
    flash(t("admin.users.signed_out", email=user.email))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset-link")
@require_role(ADMIN, write=True)
def user_reset_link(user_id: int) -> str | Response:
    user = db.get_or_404(User, user_id)
    if not user.active:
        flash(t("admin.users.inactive_no_link"), "error")
        return redirect(url_for("admin.users"))
    audit.record("user.reset_link", "user", user.id, email=user.email)
    db.session.commit()
    return render_template("admin/users/link.html", user=user, link=reset_url(user), created=False)
