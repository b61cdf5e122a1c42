"""A user's phone number and voice PIN: with both, a call from that number to the voice line
is answered into recording prompts by phone (:mod:`gateway.voice.staff`) once the PIN is keyed.

The PIN is hashed as passwords are (Argon2id) and never kept or logged in clear; every change is
audited (the number masked, the PIN not at all).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from gateway.extensions import db
from gateway.phones import InvalidPhone, mask_phone, normalise_phone
from gateway.users import audit
from gateway.users.manage import UserProblem
from gateway.users.models import User
from gateway.users.passwords import hash_password, verify_hash

PIN = re.compile(r"[0-9]{4,8}")


def set_phone(user: User, raw: str) -> bool:
    """Set (or, with a blank ``raw``, remove) the user's phone number; audited. Whether it
    changed (not committed).

    Raises:
        UserProblem: not a phone number, or another user's.
    """
    phone: str | None = None
    if raw.strip():
        try:
            phone = normalise_phone(raw)
        except InvalidPhone:
            raise UserProblem("admin.users.problem.phone", "phone") from None
        other = db.session.scalar(select(User.id).where(User.phone == phone, User.id != user.id))
        if other is not None:
            raise UserProblem("admin.users.problem.phone_taken", "phone")
    if phone == user.phone:
        return False
    before = user.phone
    user.phone = phone
    audit.record(
        "user.phone",
        "user",
        user.id,
        email=user.email,
        changes=[mask_phone(before) if before else None, mask_phone(phone) if phone else None],
    )
    return True


def set_voice_pin(user: User, pin: str) -> None:
    """Set the user's voice PIN (4 to 8 digits); audited, the PIN never (not committed).

    Raises:
        UserProblem: not 4 to 8 digits.
    """
    if not PIN.fullmatch(pin):
        raise UserProblem("admin.users.problem.pin", "voice_pin")
    user.voice_pin_hash = hash_password(pin)
    audit.record("user.voice_pin", "user", user.id, email=user.email, pin="set")


def clear_voice_pin(user: User) -> bool:
    """Remove the user's voice PIN (calls from their number are no longer answered); audited."""
    if user.voice_pin_hash is None:
        return False
    user.voice_pin_hash = None
    audit.record("user.voice_pin", "user", user.id, email=user.email, pin="removed")
    return True


def check_voice_pin(user: User, pin: str) -> bool:
    """Whether ``pin`` is the user's voice PIN."""
    if user.voice_pin_hash is None or not PIN.fullmatch(pin):
        return False
    return verify_hash(user.voice_pin_hash, pin)


def user_of_phone(phone: str, roles: tuple[str, ...]) -> User | None:
    """The active user of one of ``roles`` with this number and a voice PIN, or None."""
    found: User | None = db.session.scalar(
        select(User).where(
            User.phone == phone,
            User.active,
            User.voice_pin_hash.is_not(None),
            User.role.in_(roles),
        )
    )
    return found
