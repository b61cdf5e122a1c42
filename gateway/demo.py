"""Demo content for ``make run``: a few contacts and messages, so every screen has something.

The numbers are in Safaricom's range but made up; nothing is sent to them except through the
bundled emulator. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from gateway.commitments.models import Commitment, DutyBearer, Escalation
from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact, record_consent
from gateway.encoding import analyse
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.platforms.models import LEADER, MiningSite, Platform
from gateway.platforms.service import join
from gateway.polls.models import Poll, PollOption, Vote
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
    added += _platforms()

    added += _public_site()

    added += _accountability()
    added += load_demo_prompts()
    added += _platform_leaders()
    added += _consultation()
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


# -- A sample consultation and its memorandum (gateway/consultations/) ----------------------

CONSULTATION_KEYWORD = "MAONICDA"
# (reference, English summary, Kiswahili summary): a SAMPLE draft, not the real regulations.
SAMPLE_CLAUSES = (
    (
        "Regulation 4 (Mining Act 2016, s. 109(1))",
        "A mining licence holder signs a community development agreement with the community"
        " before mining starts.",
        "Mwenye leseni ya uchimbaji atia saini makubaliano ya maendeleo ya jamii na jamii"
        " kabla ya uchimbaji kuanza.",
    ),
    (
        "Regulation 7 (Mining Act 2016, s. 109(3))",
        "A committee of elected community members, the county and the company runs the agreement.",
        "Kamati ya wanajamii waliochaguliwa, kaunti na kampuni inasimamia makubaliano.",
    ),
    (
        "Regulation 10 (Mining Act 2016, s. 183(5))",
        "10% of the royalty the State receives goes to the community, through the agreement.",
        "Asilimia 10 ya mrabaha unaopokelewa na Serikali inaenda kwa jamii kupitia makubaliano.",
    ),
    (
        "Regulation 13 (Mining Act 2016, s. 109(4))",
        "The agreement is reviewed every five years; disputes go to the Cabinet Secretary.",
        "Makubaliano yanapitiwa kila baada ya miaka mitano; migogoro inapelekwa kwa Waziri.",
    ),
)
SAMPLE_THEMES = ("water", "compensation", "jobs", "royalties", "information", "land", "health")
# (words, language, themes the coders see in them): made-up comments, some with a name or a
# number for the quote masking to take out.
SAMPLE_COMMENTS = (
    (
        "The river at Mui has been black since blasting began. Who pays for clean water?",
        "en",
        ("water", "compensation"),
    ),
    ("Our chairman Musyoka signed nothing and told us nothing.", "en", ("information",)),
    ("Mzee lost his farm, plot 2231, and got no money for it.", "en", ("land", "compensation")),
    ("Give the jobs at the mine to our young people first.", "en", ("jobs",)),
    (
        "Ten percent is too little; the community carries the dust and the noise.",
        "en",
        ("royalties", "health"),
    ),
    ("Maji ya kisima yamekauka tangu mgodi ufunguliwe.", "sw", ("water",)),
    ("Tunataka kuona makubaliano kabla ya kutia saini, kwa Kiswahili.", "sw", ("information",)),
    (
        "Fidia ya mashamba ilipwe kabla ya uchimbaji. Piga 0712 345 678 uulize.",
        "sw",
        ("compensation", "land"),
    ),
    ("Watoto wanakohoa kwa sababu ya vumbi la mgodi.", "sw", ("health",)),
    ("Mrabaha uende moja kwa moja kwa kamati ya jamii, si kaunti.", "sw", ("royalties",)),
)
SAMPLE_PLACES = (
    ("Kitui", "Mui"),
    ("Kitui", "Nuu"),
    ("Kitui", "Kanziku"),
    ("Kwale", "Ramisi"),
    ("Kwale", "Vanga"),
    ("Taita Taveta", "Mwatate"),
    ("Migori", "Macalder/Kanyarwanda"),
)


def _sample_coders() -> list[int]:
    """Two demo coders (inactive accounts: they code the sample, nobody logs in as them)."""
    from secrets import token_urlsafe

    from gateway.users.models import ADMIN, User
    from gateway.users.passwords import hash_password

    ids = []
    for letter in "AB":
        email = f"coder.{letter.lower()}@sample.hmk.example"
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                name=f"Sample coder {letter}",
                role=ADMIN,
                active=False,
                password_hash=hash_password(token_urlsafe(24)),
            )
            db.session.add(user)
            db.session.flush()
        ids.append(user.id)
    return ids


def _consultation() -> int:
    """A SAMPLE consultation (a short made-up draft, clause by clause) that has closed: a few
    hundred positions and comments across counties, wards, languages and channels, a codebook,
    two coders' codings, some quotes, one comment erased. Seeded: the same every time."""
    import random

    from gateway.consultations.models import (
        STANCES,
        Clause,
        Coding,
        Comment,
        CommentTheme,
        Consultation,
        Position,
        Theme,
    )

    if db.session.scalar(
        select(Consultation.id).where(Consultation.keyword == CONSULTATION_KEYWORD)
    ):
        return 0
    rng = random.Random(17)
    now = utcnow()
    consultation = Consultation(
        keyword=CONSULTATION_KEYWORD,
        title={
            "en": "Sample: community development agreements",
            "sw": "Mfano: makubaliano ya maendeleo ya jamii",
        },
        description={"en": "Sample content for trying the gateway.", "sw": "Maudhui ya mfano."},
        draft_name="Mining (Community Development Agreement) Regulations - sample",
        issuing_body="Ministry of Mining (sample)",
        audience={"counties": sorted({county for county, _ in SAMPLE_PLACES})},
        opens_at=now - timedelta(days=21),
        closes_at=now - timedelta(days=2),
        invited_at=now - timedelta(days=21),
        addressed_to="The Cabinet Secretary, Ministry of Mining (sample)",
        sample=True,
        clauses=[
            Clause(number=n, reference=ref, summary={"en": en, "sw": sw})
            for n, (ref, en, sw) in enumerate(SAMPLE_CLAUSES, 1)
        ],
    )
    db.session.add(consultation)
    db.session.flush()
    themes = {name: Theme(consultation_id=consultation.id, name=name) for name in SAMPLE_THEMES}
    db.session.add_all(themes.values())
    coders = _sample_coders()
    people = []
    for n in range(90):
        county, ward = SAMPLE_PLACES[n % len(SAMPLE_PLACES)]
        language = ("sw", "kam", "en", "sw")[n % 4]
        contact = Contact(phone=f"+2547009{n:05d}", language=language, county=county, ward=ward)
        db.session.add(contact)
        record_consent(
            contact,
            channel="demo",
            wording_version="consent.v1",
            wording_text=None,
            language=language,
        )
        people.append((contact, rng.choice(("ussd", "ussd", "sms", "voice"))))
    db.session.flush()
    added = 0
    picked: set[tuple[int, str]] = set()
    for contact, channel in people:
        where = {"county": contact.county, "ward": contact.ward, "language": contact.language}
        for clause in consultation.clauses:
            if rng.random() < 0.15:  # not everyone answers every clause
                continue
            weights = (5, 3, 2) if clause.number != 3 else (2, 6, 2)
            stance = rng.choices(STANCES, weights)[0]
            db.session.add(
                Position(
                    consultation_id=consultation.id,
                    clause_id=clause.id,
                    contact_id=contact.id,
                    stance=stance,
                    channel=channel,
                    **where,
                )
            )
            added += 1
            if rng.random() < 0.45:
                words, _, given = rng.choice(SAMPLE_COMMENTS)
                comment = Comment(
                    consultation_id=consultation.id,
                    clause_id=clause.id,
                    contact_id=contact.id,
                    text=words,
                    channel=channel,
                    quote_ok=rng.random() < 0.6,
                    **where,
                )
                # The secretariat picks different words to quote on each clause.
                if comment.quote_ok and (clause.number, words) not in picked:
                    comment.quoted = rng.random() < 0.5
                    if comment.quoted:
                        picked.add((clause.number, words))
                db.session.add(comment)
                db.session.flush()
                added += 1
                for coder in coders if rng.random() < 0.7 else coders[:1]:
                    db.session.add(Coding(comment_id=comment.id, coder_id=coder))
                    # The second coder sometimes sees one theme fewer, or one more.
                    seen = list(given)
                    if coder == coders[1] and rng.random() < 0.3:
                        seen = seen[:-1] or [rng.choice(SAMPLE_THEMES)]
                    for name in seen:
                        db.session.add(
                            CommentTheme(
                                comment_id=comment.id, theme_id=themes[name].id, coder_id=coder
                            )
                        )
    # One quoted comment whose author then asked to be forgotten (as FUTA leaves it).
    erased = db.session.scalar(
        select(Comment)
        .where(Comment.consultation_id == consultation.id, Comment.quoted.is_(True))
        .order_by(Comment.id)
    )
    if erased is not None:
        erased.text, erased.erased_at = None, now
    return added + 1


# Two community platforms of Kitui, their mining sites, members and a leader each (PIN 1234,
# the README's demo credentials). Licence holders and numbers are left empty: the secretariat
# enters them where they are known.
DEMO_PLATFORMS = (
    (
        "Mui Basin Community Platform",
        "MUI",
        ["Mui", "Nuu", "Nguni", "Waita", "Kivou"],
        (("Mui Basin coal blocks", "coal", "Mui"),),
        # (phone, language, ward, leader?)
        (("+254700100011", "kam", "Mui", True), ("+254700100012", "sw", "Nuu", False)),
    ),
    (
        "Kanziku Community Platform",
        "KANZIKU",
        ["Kanziku", "Mutomo", "Ikutha"],
        (("Kanziku limestone deposits", "limestone", "Kanziku"),),
        (("+254700100021", "sw", "Kanziku", True), ("+254700100022", "en", "Mutomo", False)),
    ),
)
DEMO_LEADER_PIN = "1234"


def _platforms() -> int:
    """The demo platforms, once (a platform of that code already there: left as it is)."""
    added = 0
    for name, code, wards, sites, people in DEMO_PLATFORMS:
        if db.session.scalar(select(Platform.id).where(Platform.code == code)) is not None:
            continue
        platform = Platform(name=name, code=code, county="Kitui", wards=wards, monthly_allowance=2)
        platform.sites = [
            MiningSite(name=site, mineral=mineral, ward=ward) for site, mineral, ward in sites
        ]
        db.session.add(platform)
        db.session.flush()
        for phone, language, ward, leader in people:
            contact = find_contact(phone)
            if contact is None:
                contact = Contact(phone=phone, language=language, county="Kitui", ward=ward)
                db.session.add(contact)
                record_consent(
                    contact,
                    channel="demo",
                    wording_version="consent.v1",
                    wording_text=None,
                    language=language,
                )
            membership, _ = join(platform, contact, via="admin")
            if leader:
                membership.role = LEADER
                membership.pin_hash = generate_password_hash(DEMO_LEADER_PIN)
        added += 1
    return added


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
