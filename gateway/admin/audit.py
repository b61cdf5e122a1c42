"""The admin UI's Audit page (admins only): every change made through the admin UI or the
API, newest first, filtered by actor, action and date (days in East Africa Time). Phone
numbers in the details are masked when they are recorded."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import func, select

from gateway.admin import bp
from gateway.extensions import db
from gateway.settings import current_settings
from gateway.users.access import require_role
from gateway.users.manage import audit_actions, audit_events
from gateway.users.models import ADMIN

PAGE_SIZE = 200


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    """The moment ``day`` begins in the gateway's time zone (EAT)."""
    settings = current_settings()
    return datetime.combine(day, time(), tzinfo=settings.timezone)


@bp.route("/audit")
@require_role(ADMIN)
def audit() -> str:
    actor = request.args.get("actor", "").strip()[:254] or None
    actions = audit_actions()
    action = request.args.get("action") or None
    if action not in actions:
        action = None
    since, until = _day("since"), _day("until")
    query = audit_events(
        actor=actor,
        action=action,
        since=_start_of(since) if since else None,
        until=_start_of(until + timedelta(days=1)) if until else None,
    )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(PAGE_SIZE)).all()
    return render_template(
        "admin/audit/list.html",
        rows=rows,
        total=total or 0,
        shown=len(rows),
        actions=actions,
        chosen={
            "actor": actor or "",
            "action": action,
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
        },
        details=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True) if d else "",
    )
