"""The demo's duty bearers, commitments and an escalated report (``make run``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.commitments.models import Commitment, DutyBearer, Escalation
from gateway.contacts.service import find_contact
from gateway.extensions import db, utcnow
from gateway.reports.cases import STATUS, ReportEvent
from gateway.reports.models import Report

DEMO_BEARERS = (
    ("Mui Coal Company (sample)", "company"),
    ("Kitui County Government", "county"),
    ("NEMA", "nema"),
    ("Ministry of Mining", "ministry"),
    ("National Police Service, Kitui", "police"),
)
DEMO_REPORT = "R-DEMO01"


def load_demo_accountability() -> int:
    """The five kinds of duty bearer, two commitments in Kitui (one overdue, one due ahead)
    and a verified report escalated to NEMA (its history written as done, no SMS sent)."""
    if db.session.scalar(select(Report).where(Report.reference == DEMO_REPORT)) is not None:
        return 0
    bearers = {}
    for name, kind in DEMO_BEARERS:
        found = db.session.scalar(select(DutyBearer).where(DutyBearer.name == name))
        bearers[kind] = found or DutyBearer(name=name, kind=kind)
        db.session.add(bearers[kind])
    db.session.flush()
    today = utcnow().date()
    reporter = find_contact("+254700100001")
    created = utcnow() - timedelta(days=9)
    report = Report(
        reference=DEMO_REPORT,
        contact_id=reporter.id if reporter else None,
        category="water",
        county="Kitui",
        ward="Mui",
        description="The river at Mui is dirty since the digging started; goats fell sick.",
        language="kam",
        channel="ussd",
        status="escalated",
        created_at=created,
        updated_at=created + timedelta(days=4),
    )
    db.session.add(report)
    db.session.flush()
    db.session.add_all(
        [
            ReportEvent(
                report_id=report.id,
                kind=STATUS,
                actor="coordinator.kitui@hmk.example",
                from_status="new",
                to_status="verified",
                created_at=created + timedelta(days=1, hours=3),
            ),
            ReportEvent(
                report_id=report.id,
                kind=STATUS,
                actor="secretariat@hmk.example",
                from_status="verified",
                to_status="escalated",
                created_at=created + timedelta(days=4),
            ),
            Escalation(
                report_id=report.id,
                duty_bearer_id=bearers["nema"].id,
                escalated_at=created + timedelta(days=4),
                how="letter",
                their_reference="NEMA/KTI/2026/114 (sample)",
                escalated_by="secretariat@hmk.example",
            ),
            Commitment(
                duty_bearer_id=bearers["county"].id,
                what={
                    "en": "repair the Mui borehole",
                    "sw": "kukarabati kisima cha Mui",
                },
                county="Kitui",
                wards=["Mui"],
                made_on=today - timedelta(days=90),
                made_at_event="Mui platform meeting (sample)",
                due_on=today - timedelta(days=20),
                source="Minutes of the Mui platform meeting (sample)",
            ),
            Commitment(
                duty_bearer_id=bearers["company"].id,
                what={
                    "en": "publish the resettlement plan for Mui Basin families",
                    "sw": "kuchapisha mpango wa kuhamisha familia za Mui Basin",
                },
                county="Kitui",
                wards=[],
                made_on=today - timedelta(days=30),
                made_at_event="National Dialogue 2026 (sample)",
                due_on=today + timedelta(days=45),
                source="Letter from the company to HMK (sample)",
            ),
        ]
    )
    return len(DEMO_BEARERS) + 6
