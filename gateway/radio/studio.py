"""The studio's board link: one per show, for the screen in the studio, which has no login.

The link carries a random key; only its SHA-256 is kept (``RadioShow.board_key_hash``), so the
link is shown once, when it is made. It works until a fixed time (``GATEWAY_RADIO_LINK_DAYS``
after it was made; opening it never extends it), until the host or an admin revokes it or
makes a new one (which ends the old), and never while the show's host is deactivated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from gateway.extensions import db, utcnow
from gateway.radio.models import RadioShow
from gateway.users.models import User


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_link(show: RadioShow, days: int) -> str:
    """Give ``show`` a new link key good for ``days`` (not committed), ending any earlier
    one; the key itself, which is kept nowhere."""
    key = secrets.token_urlsafe(32)
    show.board_key_hash = _digest(key)
    show.board_key_expires_at = utcnow() + timedelta(days=days)
    return key


def revoke_link(show: RadioShow) -> None:
    """End ``show``'s link (not committed)."""
    show.board_key_hash = None
    show.board_key_expires_at = None


def host_deactivated(host: str | None) -> bool:
    """Whether the show's host is a user of the admin UI who has been deactivated."""
    if not host:
        return False
    active = db.session.scalar(select(User.active).where(func.lower(User.email) == host.lower()))
    return active is False


def link_opens(show: RadioShow, key: str) -> bool:
    """Whether ``key`` is ``show``'s link key, not expired, and its host still active."""
    stored, expires = show.board_key_hash, show.board_key_expires_at
    if stored is None or expires is None or expires <= utcnow():
        return False
    return hmac.compare_digest(stored, _digest(key)) and not host_deactivated(show.host)
