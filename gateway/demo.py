"""Demo content for ``make run``: a few contacts and messages, so every screen has something.

The numbers are in Safaricom's range but made up; nothing is sent to them except through the
bundled emulator. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.commitments.demo import load_demo_accountability
from gateway.consultations.demo import load_sample_consultation
from gateway.contacts.models import Contact
from gateway.contacts.service import add_demo_contact, find_contact
from gateway.encoding import analyse
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.platforms.demo import load_demo_announcements, load_demo_platforms
from gateway.polls.models import Poll, PollOption, Vote
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
        add_demo_contact(phone, language, county, ward)
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
    added += load_demo_platforms()
    added += _public_site()
    added += load_demo_accountability()
    added += load_demo_prompts()
    added += load_demo_announcements()  # after the platforms and their leaders
    added += load_sample_consultation()
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


def _public_site() -> int:
    """The demo poll's results on the public site (``/results/poll/<id>``), with demo votes from
    enough people to pass the small-group rule (made-up numbers, as the demo contacts')."""
    poll = db.session.scalar(select(Poll).where(Poll.keyword == "MADINI"))
    if poll is None or poll.public:
        return 0
    poll.public = True
    db.session.flush()
    places = (("Kitui", "Mui"), ("Kitui", "Nuu"), ("Kwale", "Ramisi"), ("Migori", "Kaler"))
    for n in range(60):
        county, ward = places[n % 7 % len(places)]
        voter = Contact(phone=f"+25470020{n:04d}", language="sw", county=county, ward=ward)
        db.session.add(voter)
        db.session.flush()
        db.session.add(
            Vote(
                poll_id=poll.id,
                contact_id=voter.id,
                option_id=poll.options[n % 5 % len(poll.options)].id,
                channel="ussd",
                county=county,
                ward=ward,
                language="sw",
            )
        )
    return 61
