"""Demo content for ``make run``: a few contacts and messages, so every screen has something.

The numbers are in Safaricom's range but made up; nothing is sent to them except through the
bundled emulator. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact, record_consent
from gateway.encoding import analyse
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.polls.models import Poll, PollOption
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
    added += load_demo_prompts()
    added += _platform_leaders()
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


def _platform_leaders() -> int:
    """A leader's announcement waiting for approval on each demo platform that has a leader
    (the platforms and their leaders are the platforms' demo content; none: nothing here)."""
    from gateway.platforms.models import LEADER, Announcement, Membership, Platform

    added = 0
    for platform in db.session.scalars(select(Platform).order_by(Platform.id)):
        leader = db.session.scalar(
            select(Membership)
            .where(Membership.platform_id == platform.id, Membership.role == LEADER)
            .order_by(Membership.id)
            .limit(1)
        )
        waiting = db.session.scalar(
            select(Announcement.id).where(Announcement.platform_id == platform.id).limit(1)
        )
        if leader is None or waiting is not None:
            continue
        db.session.add(
            Announcement(
                platform_id=platform.id,
                leader_id=leader.contact_id,
                text="Mkutano wa jukwaa Jumamosi saa nne asubuhi kambi ya chifu. Karibuni wote.",
                language="sw",
                translations={},
                channel="sms",
            )
        )
        added += 1
    return added
