"""API tokens seen and revoked: ``tokens list`` / ``tokens revoke``, the admin UI's Tokens page
and ``/api/v1/tokens`` (admin tokens only) share these rules.

A token is shown by its id, name, owner and dates, never by its secret (only a hash is kept
anyway). Revoking keeps the row, so the audit log's events by that token still name it, and is
recorded in the audit log itself; revoking a revoked token changes nothing.
"""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from gateway.api import ApiBlueprint
from gateway.api.models import ApiToken
from gateway.api.scope import ADMIN_ONLY
from gateway.extensions import db, utcnow
from gateway.numbers import whole_number
from gateway.users import audit
from gateway.users.models import User

DEFAULT_DAYS = 90  # ``tokens create`` without --days: a forgotten token does not live forever
STATES = ("active", "expired", "revoked")


def token_state(row: ApiToken, now: datetime | None = None) -> str:
    """``revoked``, ``expired`` or ``active``."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def all_tokens() -> list[tuple[ApiToken, str | None]]:
    """Every token with its user's email (None: it acts as an admin), newest first."""
    rows = db.session.execute(
        select(ApiToken, User.email)
        .outerjoin(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.id.desc())
    ).all()
    return [(token, email) for token, email in rows]


def revoke_token(row: ApiToken) -> bool:
    """Revoke ``row`` now, audited (commit after); False if it was revoked already."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    audit.record("token.revoke", "api_token", row.id, name=row.name)
    return True


def find_tokens(name_or_id: str) -> list[ApiToken]:
    """The token with this id, or the unrevoked tokens with this name."""
    token_id = whole_number(name_or_id)
    if token_id is not None:
        row = db.session.get(ApiToken, token_id)
        return [row] if row is not None else []
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.name == name_or_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
    )


blp = ApiBlueprint(
    "tokens",
    __name__,
    url_prefix="/tokens",
    read=ADMIN_ONLY,
    write=ADMIN_ONLY,
    description="API tokens: who holds which, until when; revoke a lost one (admin tokens only).",
)


class TokenOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    user = ma.fields.String(
        allow_none=True,
        metadata={"description": "The email of the user it acts as; null: it acts as an admin."},
    )
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "null: never"})
    last_used_at = ma.fields.AwareDateTime(allow_none=True)
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    state = ma.fields.String(metadata={"description": f"One of {', '.join(STATES)}."})


def _out(row: ApiToken, email: str | None) -> dict[str, object]:
    fields = ("id", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    return {
        **{name: getattr(row, name) for name in fields},
        "user": email,
        "state": token_state(row),
    }


@blp.route("")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    def get(self) -> list[dict[str, object]]:
        """Every API token, newest first: name, owner, dates and state, never the token."""
        return [_out(row, email) for row, email in all_tokens()]


@blp.route("/<int:token_id>/revoke")
class TokenRevoke(MethodView):
    @blp.response(200, TokenOut)
    @blp.alt_response(404, description="No token with this id.")
    def post(self, token_id: int) -> dict[str, object]:
        """Revoke a token at once (it is refused from then on); revoking it again changes
        nothing. Audited."""
        row = db.session.get(ApiToken, token_id)
        if row is None:
            abort(404, message=f"No API token with the id {token_id}.")
        assert row is not None
        revoke_token(row)
        db.session.commit()
        user = db.session.get(User, row.user_id) if row.user_id else None
        return _out(row, user.email if user else None)
