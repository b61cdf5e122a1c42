"""Bearer-token checks for the JSON API."""

from __future__ import annotations

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select

from gateway.api.models import ApiToken, hash_token
from gateway.extensions import db, utcnow


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
    if row is None or row.revoked_at is not None:
        abort(
            401,
            message="This API token is not valid or has been revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
        return
    row.last_used_at = utcnow()
    db.session.commit()
    g.api_token = row
