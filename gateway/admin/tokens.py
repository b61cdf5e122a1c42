"""The admin UI's Tokens page (admins only): every API token by name, owner and dates, never
its secret; revoking a lost or unused one at once (audited). The rules are
:mod:`gateway.api.tokens`', shared with ``tokens list|revoke`` and ``/api/v1/tokens``."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.api.models import ApiToken
from gateway.api.tokens import all_tokens, revoke_token, token_state
from gateway.extensions import db, utcnow
from gateway.users.access import require_role
from gateway.users.models import ADMIN


@bp.route("/tokens")
@require_role(ADMIN)
def tokens() -> str:
    now = utcnow()
    rows = [(row, email, token_state(row, now)) for row, email in all_tokens()]
    return render_template("admin/tokens/list.html", rows=rows)


@bp.post("/tokens/<int:token_id>/revoke")
@require_role(ADMIN, write=True)
def token_revoke(token_id: int) -> Response:
    row = db.get_or_404(ApiToken, token_id)
    done = revoke_token(row)
    db.session.commit()
    flash(t("admin.tokens.revoked" if done else "admin.tokens.was_revoked", name=row.name))
    return redirect(url_for("admin.tokens"))
