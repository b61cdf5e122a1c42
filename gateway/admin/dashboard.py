"""The dashboard: subscribers by county and language, messages over the last two weeks by
outcome, this month's spend against the budget, and incoming SMS that could not be handled.
A coordinator sees their counties only (and neither the spend nor the failed SMS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import render_template
from sqlalchemy import Select, func, select

from gateway.admin import bp
from gateway.admin.templating import language_name
from gateway.broadcasts.estimate import committed, spent_this_month_by_source
from gateway.commitments.timings import case_times
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.inbox.stats import inbox_counts
from gateway.reports.models import Report
from gateway.reports.service import visible_reports
from gateway.settings import Settings, current_settings
from gateway.sms.models import Message
from gateway.spend import month_start, spent_this_month
from gateway.users.access import Principal, principal
from gateway.users.models import RADIO_HOST
from gateway.voice.models import CallBack

DAYS = 14
# Which outcome a message's status counts as on the chart.
OUTCOMES = {
    "delivered": ("delivered",),
    "sent": ("sent", "submitted", "buffered"),
    "failed": ("failed", "unknown"),
}


@dataclass(frozen=True)
class Day:
    day: date
    delivered: int
    sent: int
    failed: int

    @property
    def total(self) -> int:
        return self.delivered + self.sent + self.failed


def _subscribers(who: Principal) -> Select[Any]:  # the ids of consenting contacts
    query: Select[Any] = select(Contact.id).where(
        Contact.consent_at.is_not(None),
        Contact.opted_out_at.is_(None),
        Contact.anonymised_at.is_(None),
    )
    counties = who.visible_counties()
    if counties is not None:
        query = query.where(Contact.county.in_(counties))
    return query


def subscribers_by(who: Principal, column: str) -> list[tuple[str, int]]:
    field = getattr(Contact, column)
    ids = _subscribers(who).subquery()
    rows = db.session.execute(
        select(field, func.count())
        .where(Contact.id.in_(select(ids.c.id)))
        .group_by(field)
        .order_by(func.count().desc())
    ).all()
    return [(value or "-", count) for value, count in rows]


def messages_by_day(who: Principal, settings: Settings) -> list[Day]:
    today = utcnow().astimezone(settings.timezone).date()
    first = today - timedelta(days=DAYS - 1)
    since = utcnow() - timedelta(days=DAYS + 1)
    query = select(Message.created_at, Message.status).where(
        Message.direction == "out", Message.created_at >= since
    )
    counties = who.visible_counties()
    if counties is not None:
        query = query.join(Contact, Contact.id == Message.contact_id).where(
            Contact.county.in_(counties)
        )
    counts: dict[date, dict[str, int]] = {
        first + timedelta(days=n): dict.fromkeys(OUTCOMES, 0) for n in range(DAYS)
    }
    for created_at, status in db.session.execute(query):
        day = created_at.astimezone(settings.timezone).date()
        for outcome, statuses in OUTCOMES.items():
            if status in statuses and day in counts:
                counts[day][outcome] += 1
    return [Day(day, **c) for day, c in counts.items()]


def inbound_failed() -> int:
    """Incoming SMS given up on after their handling failed every try (see
    :mod:`gateway.sms.handling_failures`): each is a bug to look into."""
    return (
        db.session.scalar(
            select(func.count()).where(Message.direction == "in", Message.status == "failed")
        )
        or 0
    )


def callbacks_held_this_month(settings: Settings) -> int:
    """Call-backs owed this month but held because the budget was spent."""
    since = month_start(utcnow(), settings)
    return (
        db.session.scalar(
            select(func.count()).where(CallBack.status == "held", CallBack.asked_at >= since)
        )
        or 0
    )


@bp.route("/")
def dashboard() -> str:
    who = principal()
    settings = current_settings()
    days = messages_by_day(who, settings)
    budget = Decimal(str(settings.monthly_budget_kes))
    spent = spent_this_month(settings)
    return render_template(
        "admin/dashboard.html",
        by_county=subscribers_by(who, "county"),
        by_language=[
            (language_name(code) if code != "-" else code, count)
            for code, count in subscribers_by(who, "language")
        ],
        days=days,
        day_max=max((d.total for d in days), default=0),
        spent=spent,
        by_source=spent_this_month_by_source(settings),
        committed=committed(),
        budget=budget,
        show_spend=who.visible_counties() is None,
        inbound_failed=inbound_failed() if who.visible_counties() is None else None,
        callbacks_held=callbacks_held_this_month(settings),
        inbox=inbox_counts(who) if not who.has_role(RADIO_HOST) else None,
        cases=_case_times(who) if not who.has_role(RADIO_HOST) else None,
    )


def _case_times(who: Principal) -> dict[str, list[tuple[str, int, Any, int, Any]]]:
    """Median times to verification and to first response (as waits), per county and per duty
    bearer, over the reports ``who`` may read."""
    by_county, by_bearer = case_times(
        visible_reports(who).with_only_columns(Report.id).order_by(None)
    )

    def wait(seconds: float | None) -> timedelta | None:
        return None if seconds is None else timedelta(seconds=seconds)

    return {
        name: [
            (r.name, r.verified, wait(r.to_verification_s), r.responded, wait(r.to_response_s))
            for r in rows
        ]
        for name, rows in (("county", by_county), ("bearer", by_bearer))
    }
