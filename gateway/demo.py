"""Demo content for ``make run``: a few contacts and messages, so every screen has something.

The numbers are in Safaricom's range but made up; nothing is sent to them except through the
bundled emulator. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.commitments.models import Commitment, DutyBearer, Escalation
from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact, record_consent
from gateway.encoding import analyse
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.polls.models import Poll, PollOption
from gateway.reports.cases import STATUS, ReportEvent
from gateway.reports.models import Report
from gateway.sms.models import Handling, InboundReceipt, Message
from gateway.voice.demo_prompts import load_demo_prompts

DEMO_CONTACTS = (
    ("+254700100001", "kam", "Kitui", "Mui"),
    ("+254700100002", "sw", "Kitui", "Mutito"),
    ("+254700100003", "en", "Kwale", "Msambweni"),
    ("+254700100004", "sw", "Migori", "Suna East"),
)
DEMO_INBOX = (
    ("+254700100001", "demo-1", "Maji ya mto Mui yamekuwa machafu tangu uchimbaji uanze."),
    ("+254700100003", "demo-2", "When is the next community meeting in Msambweni?"),
)


def load() -> str:
    """Add what is missing of the demo content; say what was added."""
    added = 0
    for phone, language, county, ward in DEMO_CONTACTS:
        if find_contact(phone) is not None:
            continue
        contact = Contact(phone=phone, language=language, county=county, ward=ward)
        db.session.add(contact)
        record_consent(
            contact,
            channel="demo",
            wording_version="consent.v1",
            wording_text=None,
            language=language,
        )
        added += 1
    db.session.flush()
    for phone, external_id, text in DEMO_INBOX:
        if db.session.query(InboundReceipt).filter_by(kind="sms", external_id=external_id).first():
            continue
        sender = find_contact(phone)
        info = analyse(text)
        db.session.add(InboundReceipt(kind="sms", external_id=external_id))
        db.session.add(
            Message(
                direction="in",
                channel="sms",
                kind="inbox",
                handling_state=Handling.DONE,
                phone=phone,
                contact_id=sender.id if sender else None,
                provider_id=external_id,
                text=text,
                encoding=info.encoding,
                segments=info.segments,
                status="received",
                received_at=utcnow() - timedelta(hours=2),
            )
        )
        added += 1
    added += _meetings_and_polls()
    added += _accountability()
    added += load_demo_prompts()
    db.session.commit()
    return f"demo content: {added} rows added" if added else "demo content: already loaded"


def _meetings_and_polls() -> int:
    """A Mui meeting, a national dialogue and an open poll, dated from today."""
    if db.session.scalar(select(Poll).where(Poll.keyword == "MADINI")) is not None:
        return 0
    now = utcnow()
    db.session.add_all(
        [
            Meeting(
                title={"en": "Mui platform meeting", "sw": "Mkutano wa jukwaa la Mui"},
                agenda={
                    "en": "Compensation for the coal blocks",
                    "sw": "Fidia ya vitalu vya makaa",
                },
                county="Kitui",
                ward="Mui",
                place="Mui Primary School",
                starts_at=(now + timedelta(days=5)).replace(
                    hour=7, minute=0, second=0, microsecond=0
                ),
            ),
            Meeting(
                title={
                    "en": "National dialogue on mining",
                    "sw": "Mazungumzo ya kitaifa ya madini",
                },
                county=None,
                place="Nairobi",
                starts_at=(now + timedelta(days=12)).replace(
                    hour=6, minute=0, second=0, microsecond=0
                ),
            ),
            Poll(
                keyword="MADINI",
                question={
                    "en": "Should the county publish the mine's EIA report?",
                    "sw": "Je, kaunti ichapishe ripoti ya EIA ya mgodi?",
                },
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=7),
                options=[
                    PollOption(position=1, label={"en": "Yes", "sw": "Ndiyo"}),
                    PollOption(position=2, label={"en": "No", "sw": "Hapana"}),
                    PollOption(position=3, label={"en": "Not sure", "sw": "Sina uhakika"}),
                ],
            ),
        ]
    )
    return 3


DEMO_BEARERS = (
    ("Mui Coal Company (sample)", "company"),
    ("Kitui County Government", "county"),
    ("NEMA", "nema"),
    ("Ministry of Mining", "ministry"),
    ("National Police Service, Kitui", "police"),
)
DEMO_REPORT = "R-DEMO01"


def _accountability() -> int:
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
