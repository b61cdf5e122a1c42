"""How fast cases move: the median time from a report to its verification, and to the first
response of a duty bearer, per county and per duty bearer (for the dashboard).

Verification is the first status change to ``verified`` in the report's history; the first
response is the earliest ``responded_at`` of its escalations, and counts for the duty bearer
who gave it. Per duty bearer, verification counts for each bearer a report was taken to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import Select, func, select

from gateway.commitments.models import DutyBearer, Escalation
from gateway.extensions import db
from gateway.reports.cases import STATUS, ReportEvent
from gateway.reports.models import Report


@dataclass(frozen=True)
class CaseTimes:
    name: str  # a county or a duty bearer
    verified: int
    to_verification_s: float | None  # the median, in seconds
    responded: int
    to_response_s: float | None


def _seconds(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())


def _median(values: list[float]) -> float | None:
    return median(values) if values else None


def case_times(
    report_ids: Select[Any] | None = None,
) -> tuple[list[CaseTimes], list[CaseTimes]]:
    """The times per county and per duty bearer, each by name; ``report_ids`` (a query of
    ids): only those reports (what the reader may see), else every one."""
    reports = select(Report.id, Report.county, Report.created_at)
    if report_ids is not None:
        reports = reports.where(Report.id.in_(report_ids))
    made = {rid: (county or "-", created) for rid, county, created in db.session.execute(reports)}
    verified = dict(
        db.session.execute(
            select(ReportEvent.report_id, func.min(ReportEvent.created_at))
            .where(ReportEvent.kind == STATUS, ReportEvent.to_status == "verified")
            .group_by(ReportEvent.report_id)
        ).all()
    )
    first_response: dict[int, tuple[datetime, str]] = {}
    bearers_of: dict[int, set[str]] = {}
    for rid, bearer, responded_at in db.session.execute(
        select(Escalation.report_id, DutyBearer.name, Escalation.responded_at).join(
            DutyBearer, DutyBearer.id == Escalation.duty_bearer_id
        )
    ):
        bearers_of.setdefault(rid, set()).add(bearer)
        if responded_at is not None and (
            rid not in first_response or responded_at < first_response[rid][0]
        ):
            first_response[rid] = (responded_at, bearer)

    to_verify: dict[tuple[str, str], list[float]] = {}
    to_respond: dict[tuple[str, str], list[float]] = {}
    for rid, (county, created) in made.items():
        if rid in verified:
            spent = _seconds(verified[rid], created)
            to_verify.setdefault(("county", county), []).append(spent)
            for bearer in bearers_of.get(rid, ()):
                to_verify.setdefault(("bearer", bearer), []).append(spent)
        if rid in first_response:
            at, bearer = first_response[rid]
            spent = _seconds(at, created)
            to_respond.setdefault(("county", county), []).append(spent)
            to_respond.setdefault(("bearer", bearer), []).append(spent)

    def rows(kind: str) -> list[CaseTimes]:
        names = sorted({n for k, n in (*to_verify, *to_respond) if k == kind})
        return [
            CaseTimes(
                name,
                len(to_verify.get((kind, name), [])),
                _median(to_verify.get((kind, name), [])),
                len(to_respond.get((kind, name), [])),
                _median(to_respond.get((kind, name), [])),
            )
            for name in names
        ]

    return rows("county"), rows("bearer")
