"""Bearer-token checks for the JSON API.

A token acts as its user (role, counties: :class:`gateway.users.access.Principal`); a token
made without a user acts as an admin. A revoked or expired token, or one whose user is
deactivated, is refused with 401.
"""

from __future__ import annotations

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select

from gateway.api.models import ApiToken, hash_token
from gateway.extensions import db, utcnow
from gateway.users.access import Principal
from gateway.users.models import ADMIN, User


def require_token() -> None:
    """Refuse a request without a valid, unrevoked bearer token (401)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            401,
            message="Send an API token: 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
        return
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))
    )
    now = utcnow()
    user = db.session.get(User, row.user_id) if row is not None and row.user_id else None
    if (
        row is None
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
        or (row.user_id is not None and (user is None or not user.active))
    ):
        abort(
            401,
            message="This API token is not valid, has expired or has been revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
        return
    assert row is not None
    row.last_used_at = now
    db.session.commit()
    g.api_token = row
    g.principal = (
        Principal.of_user(user, token_id=row.id)
        if user is not None
        else Principal(role=ADMIN, name=f"token:{row.name}", token_id=row.id)
    )
