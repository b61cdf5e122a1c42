"""Duty bearers: the list the secretariat keeps of who answers for what (a company, the county
government, NEMA, the Ministry of Mining, the police...), to escalate reports to and to hold
commitments against. Admins add and rename them; everyone who reads reports sees the list."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.commitments.models import BEARER_KINDS, Commitment, DutyBearer
from gateway.extensions import db
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

NAME_MAX = 255


def bearers() -> list[DutyBearer]:
    """Every duty bearer, by kind (in :data:`BEARER_KINDS` order) then name."""
    found = db.session.scalars(select(DutyBearer).order_by(func.lower(DutyBearer.name)))
    return sorted(found, key=lambda b: BEARER_KINDS.index(b.kind) if b.kind in BEARER_KINDS else 99)


def _page(
    edit: DutyBearer | None = None, problem: str | None = None, code: int = 200
) -> tuple[str, int]:
    counts = dict(
        db.session.execute(
            select(Commitment.duty_bearer_id, func.count()).group_by(Commitment.duty_bearer_id)
        ).all()
    )
    return (
        render_template(
            "admin/commitments/bearers.html",
            rows=bearers(),
            counts=counts,
            kinds=BEARER_KINDS,
            edit=edit,
            form=request.form,
            problem=problem,
            can_edit=principal().is_admin and principal().can_write,
        ),
        code,
    )


@bp.route("/duty-bearers")
@require_role(ADMIN, COORDINATOR, VIEWER)
def duty_bearers() -> tuple[str, int]:
    return _page()


@bp.route("/duty-bearers/<int:bearer_id>")
@require_role(ADMIN, write=True)
def duty_bearer_edit(bearer_id: int) -> tuple[str, int]:
    bearer = db.session.get(DutyBearer, bearer_id)
    if bearer is None:
        abort(404)
    return _page(edit=bearer)


def _checked() -> tuple[str, str] | str:
    """The form's name and kind, or the admin text key of what is wrong."""
    name = " ".join(request.form.get("name", "").split())
    kind = request.form.get("kind", "")
    if not name or len(name) > NAME_MAX:
        return "admin.duty_bearers.problem.name"
    if kind not in BEARER_KINDS:
        return "admin.duty_bearers.problem.kind"
    return name, kind


def _taken(name: str, bearer_id: int | None) -> bool:
    other = db.session.scalar(
        select(DutyBearer.id).where(func.lower(DutyBearer.name) == name.lower())
    )
    return other is not None and other != bearer_id


@bp.post("/duty-bearers")
@require_role(ADMIN, write=True)
def duty_bearer_create() -> Response | tuple[str, int]:
    checked = _checked()
    if isinstance(checked, str):
        return _page(problem=t(checked), code=422)
    name, kind = checked
    if _taken(name, None):
        return _page(problem=t("admin.duty_bearers.problem.taken", name=name), code=409)
    bearer = DutyBearer(name=name, kind=kind)
    db.session.add(bearer)
    db.session.flush()
    audit.record("duty_bearer.create", "duty_bearer", bearer.id, name=name, kind=kind)
    db.session.commit()
    flash(t("admin.duty_bearers.saved", name=name))
    return redirect(url_for("admin.duty_bearers"))


@bp.post("/duty-bearers/<int:bearer_id>")
@require_role(ADMIN, write=True)
def duty_bearer_update(bearer_id: int) -> Response | tuple[str, int]:
    bearer = db.session.get(DutyBearer, bearer_id)
    if bearer is None:
        abort(404)
    checked = _checked()
    if isinstance(checked, str):
        return _page(edit=bearer, problem=t(checked), code=422)
    name, kind = checked
    if _taken(name, bearer.id):
        return _page(
            edit=bearer, problem=t("admin.duty_bearers.problem.taken", name=name), code=409
        )
    audit.record(
        "duty_bearer.update", "duty_bearer", bearer.id, before=bearer.name, name=name, kind=kind
    )
    bearer.name, bearer.kind = name, kind
    db.session.commit()
    flash(t("admin.duty_bearers.saved", name=name))
    return redirect(url_for("admin.duty_bearers"))
