"""Creating and changing users, and reading the audit log: one set of rules for the Users and
Audit pages of the admin UI and for the ``/api/v1/users`` and ``/api/v1/audit`` endpoints.

A new user gets an unusable random password: they set their own with a reset link (shown once
to the admin who made it). Every change is audited; an admin cannot demote or deactivate
themselves (there is always someone left who can undo a mistake).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select

from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.users import audit
from gateway.users.access import Principal
from gateway.users.models import COORDINATOR, ROLES, AuditEvent, User
from gateway.users.passwords import hash_password

EDITABLE = ("name", "role", "counties", "language", "active")


class UserProblem(Exception):
    """A user cannot be created or changed so; ``key`` is an ``admin.users.problem.*`` text."""

    def __init__(self, key: str, field: str) -> None:
        super().__init__(key)
        self.key = key
        self.field = field


def _check(role: str, counties: list[str], language: str) -> None:
    if role not in ROLES:
        raise UserProblem("admin.users.problem.role", "role")
    known: tuple[str, ...] = current_app.extensions["counties"]
    if any(county not in known for county in counties):
        raise UserProblem("admin.users.problem.county", "counties")
    if role == COORDINATOR and not counties:
        raise UserProblem("admin.users.problem.no_county", "counties")
    if language not in {lang.code for lang in catalogs().languages()}:
        raise UserProblem("admin.users.problem.language", "language")


def create_user(
    *, email: str, name: str, role: str, counties: list[str], language: str = "en"
) -> User:
    """Add a user (not committed) with an unusable password; audited."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise UserProblem("admin.users.problem.email", "email")
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise UserProblem("admin.users.problem.exists", "email")
    counties = sorted(set(counties)) if role == COORDINATOR else []
    _check(role, counties, language)
    user = User(
        email=email,
        name=(name or "").strip()[:120] or email,
        role=role,
        counties=counties,
        language=language,
        password_hash=hash_password(secrets.token_urlsafe(32)),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, email=email, role=role, counties=counties)
    return user


def update_user(user: User, who: Principal, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` (of :data:`EDITABLE`) to ``user`` (not committed); audited. Returns
    what changed, as ``{field: [before, after]}``."""
    wanted = {name: changes[name] for name in EDITABLE if name in changes}
    if "name" in wanted:
        wanted["name"] = str(wanted["name"]).strip()[:120] or user.email
    role = wanted.get("role", user.role)
    counties = sorted(set(wanted.get("counties", user.counties or [])))
    if role != COORDINATOR:
        counties = []
    wanted["counties"] = counties
    _check(role, counties, wanted.get("language", user.language))
    if user.id == who.user_id and (role != user.role or wanted.get("active") is False):
        raise UserProblem("admin.users.problem.self", "role")
    done: dict[str, Any] = {}
    for name, value in wanted.items():
        before = getattr(user, name)
        if name == "counties":
            before = list(before or [])
        if before != value:
            setattr(user, name, value)
            done[name] = [before, value]
    if done:
        if done.get("active") == [True, False]:
            user.end_sessions()
        action = "user.deactivate" if done.get("active") == [True, False] else "user.update"
        audit.record(action, "user", user.id, email=user.email, changes=done)
    return done


def audit_events(
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[tuple[AuditEvent]]:
    """The audit log, newest first: ``actor`` (part of an email or token name), ``action``
    (exact, or a prefix ending in a dot: ``user.``), between ``since`` and ``until``."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if actor:
        query = query.where(func.lower(AuditEvent.actor).contains(actor.lower(), autoescape=True))
    if action:
        if action.endswith("."):
            query = query.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    if until is not None:
        query = query.where(AuditEvent.created_at < until)
    return query


def audit_actions() -> list[str]:
    """Every action the log holds, for a filter's choices."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by("action")))
