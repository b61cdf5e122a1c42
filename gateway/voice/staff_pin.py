"""Wrong voice PINs keyed from a staff member's number: after :data:`FAILURES` within
:data:`WINDOW_S` (three calls' worth, about) the number is locked for :data:`LOCK_S`, across
every web process (Redis). The keys expire by themselves."""

from __future__ import annotations

from gateway.extensions import redis_client

FAILURES = 5
WINDOW_S = 15 * 60
LOCK_S = 60 * 60


def _failures_key(phone: str) -> str:
    return f"voice:staffpin:failures:{phone}"


def _lock_key(phone: str) -> str:
    return f"voice:staffpin:locked:{phone}"


def is_locked(phone: str) -> bool:
    return bool(redis_client().exists(_lock_key(phone)))


def note_failure(phone: str) -> bool:
    """Count a wrong PIN from ``phone``; whether the number is locked now (by this one)."""
    client = redis_client()
    key = _failures_key(phone)
    failures = int(client.incr(key))
    if failures == 1:
        client.expire(key, WINDOW_S)
    if failures < FAILURES:
        return False
    client.set(_lock_key(phone), "1", ex=LOCK_S)
    client.delete(key)
    return True


def note_success(phone: str) -> None:
    redis_client().delete(_failures_key(phone))
