"""Bearer tokens for the JSON API. Only a hash of each token is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.extensions import db, utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # A token acts as its user, with that user's role and counties; a token with no user (made
    # by ``tokens create`` without ``--user``) acts as an admin. Past ``expires_at`` it is refused.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime | None]

    @classmethod
    def issue(
        cls, name: str, user_id: int | None = None, expires_at: datetime | None = None
    ) -> tuple[ApiToken, str]:
        """A new token row and the token itself, which is shown once and never stored."""
        token = "hmk_" + secrets.token_urlsafe(32)
        row = cls(name=name, token_hash=hash_token(token), user_id=user_id, expires_at=expires_at)
        return row, token
