"""The Users page's voice line part (admins): a user's phone number and voice PIN, with which
they record prompts by phone (:mod:`gateway.voice.staff`). The PIN is hashed at once and never
shown again; each change is audited (:mod:`gateway.users.voice_pin`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.extensions import db
from gateway.users.access import principal, require_role
from gateway.users.manage import UserProblem
from gateway.users.models import ADMIN, User
from gateway.users.voice_pin import clear_voice_pin, set_phone, set_voice_pin


@bp.post("/users/<int:user_id>/voice")
@require_role(ADMIN, write=True)
def user_voice(user_id: int) -> Response | tuple[str, int]:
    user = db.get_or_404(User, user_id)
    pin = request.form.get("voice_pin", "").strip()
    try:
        set_phone(user, request.form.get("phone", ""))
        if request.form.get("remove_pin") == "1":
            clear_voice_pin(user)
        elif pin:
            set_voice_pin(user, pin)
    except UserProblem as problem:
        db.session.rollback()
        page = render_template(
            "admin/users/voice.html",
            user=user,
            phone=request.form.get("phone", ""),
            problem=problem,
            is_self=user.id == principal().user_id,
        )
        return page, 400
    db.session.commit()
    flash(t("admin.users.voice_saved", email=user.email))
    return redirect(url_for("admin.user_edit", user_id=user.id))
