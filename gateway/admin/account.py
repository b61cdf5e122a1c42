"""What every logged-in user may change about themselves, whatever their role: the language
they read the admin UI in (the form at the top of every page). The change is the Users page's
(:func:`gateway.users.manage.update_user`: checked and audited), made by the user."""

from __future__ import annotations

from flask import flash, g, redirect, request
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.auth import safe_next
from gateway.admin.templating import language_name, t
from gateway.extensions import db
from gateway.users.access import Principal, principal
from gateway.users.manage import UserProblem, update_user
from gateway.users.models import User


@bp.post("/language")
def account_language() -> Response:
    """Switch the user's own UI language, back to the page they were on."""
    back = redirect(safe_next(request.form.get("next")))
    user = db.get_or_404(User, principal().user_id)
    try:
        update_user(user, principal(), {"language": request.form.get("language", "")})
    except UserProblem as problem:
        db.session.rollback()
        flash(t(problem.key), "error")
        return back
    db.session.commit()
    g.principal = Principal.of_user(user)  # the confirmation is in the new language
    flash(t("admin.account.language_saved", language=language_name(user.language)), "ok")
    return back
