"""Password hashes (Argon2id, argon2-cffi's defaults) and one-time reset links."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gateway.extensions import db
from gateway.users.models import User

MIN_LENGTH = 10
RESET_MAX_AGE_S = 24 * 3600

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_hash(stored: str, secret: str) -> bool:
    """Whether ``secret`` is the one ``stored`` (a :func:`hash_password` hash) was made from."""
    try:
        return bool(_hasher.verify(stored, secret))
    except (VerificationError, InvalidHashError):
        return False


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's; a hash made with older parameters is renewed."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


@cache
def _no_ones_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(32))


def check_no_ones_password(password: str) -> bool:
    """Run the Argon2 check a real user's password costs, against a hash nobody's password
    matches; always False. For a login with an unknown email (or a deactivated user's), so its
    answer takes the time a wrong password does and tells no one which emails exist."""
    try:
        _hasher.verify(_no_ones_hash(), password)
    except (VerificationError, InvalidHashError):
        pass
    return False


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used (a message key), or None."""
    if len(password) < MIN_LENGTH:
        return "admin.password.too_short"
    return None


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def reset_token(user: User) -> str:
    """A token that sets ``user``'s password once, for a day: it names the password it
    replaces, so using it (or any other change of password) spends it."""
    return _signer().dumps([user.id, user.password_changed_at.isoformat()])


def reset_url(user: User) -> str:
    """The admin UI's page that sets ``user``'s password with a fresh :func:`reset_token`."""
    return url_for("admin.reset_password", token=reset_token(user), _external=True)


def user_for_reset(token: str) -> User | None:
    try:
        user_id, changed = _signer().loads(token, max_age=RESET_MAX_AGE_S)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.password_changed_at.isoformat() != changed:
        return None
    return user
