"""A report taken to a duty bearer and their answer: the accountability steps of a case.

Verify, resolve and close are status changes (:func:`gateway.reports.service.set_status`);
escalating and recording the response also keep an :class:`Escalation` row (to whom, when, how,
their reference; when and what they answered). Each step is a status change in the report's
history (who and when) and texts a named reporter in their language, never an anonymous one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from gateway.commitments.models import DutyBearer, Escalation
from gateway.extensions import db, utcnow
from gateway.reports.models import Report
from gateway.reports.service import set_status
from gateway.users import audit
from gateway.users.access import current_principal

HOW = ("letter", "email", "meeting", "phone", "visit")
HOW_MAX, REFERENCE_MAX, RESPONSE_MAX = 64, 120, 4000


class CaseRefused(Exception):
    """The step does not fit the case (a response with no escalation to answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "not_escalated", "future"


def _who() -> str:
    who = current_principal()
    return who.name if who else "system"


def escalations(report: Report) -> list[tuple[Escalation, DutyBearer]]:
    """The report's escalations, oldest first, with their duty bearer."""
    rows = db.session.execute(
        select(Escalation, DutyBearer)
        .join(DutyBearer, DutyBearer.id == Escalation.duty_bearer_id)
        .where(Escalation.report_id == report.id)
        .order_by(Escalation.escalated_at, Escalation.id)
    )
    return [(escalation, bearer) for escalation, bearer in rows]


def escalate(
    report: Report,
    bearer: DutyBearer,
    *,
    how: str,
    their_reference: str | None = None,
    at: datetime | None = None,
) -> Escalation:
    """Take ``report`` to ``bearer``: an escalation row, and the status ``escalated`` (the
    reporter told, unless anonymous). Escalating again (to another bearer) keeps both rows.

    Raises:
        CaseRefused: ``at`` is in the future.
    """
    now = utcnow()
    at = at or now
    if at > now:
        raise CaseRefused("future")
    escalation = Escalation(
        report_id=report.id,
        duty_bearer_id=bearer.id,
        escalated_at=at,
        how=how.strip()[:HOW_MAX],
        their_reference=(their_reference or "").strip()[:REFERENCE_MAX] or None,
        escalated_by=_who(),
    )
    db.session.add(escalation)
    db.session.flush()
    audit.record(
        "report.escalate", "report", report.id, duty_bearer=bearer.name, how=escalation.how
    )
    set_status(report, "escalated")
    return escalation


def record_response(report: Report, response: str, *, at: datetime | None = None) -> Escalation:
    """The duty bearer answered: on the latest escalation not yet answered (else the latest),
    when and what; the status ``responded`` (the reporter told, unless anonymous).

    Raises:
        CaseRefused: the report was never escalated, or ``at`` is in the future.
    """
    found = escalations(report)
    if not found:
        raise CaseRefused("not_escalated")
    now = utcnow()
    at = at or now
    if at > now:
        raise CaseRefused("future")
    open_ones = [e for e, _ in found if e.responded_at is None]
    escalation = open_ones[-1] if open_ones else found[-1][0]
    escalation.responded_at, escalation.response = at, response.strip()[:RESPONSE_MAX]
    audit.record("report.response", "report", report.id, escalation=escalation.id)
    set_status(report, "responded")
    return escalation
