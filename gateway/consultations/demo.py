"""The demo's sample consultation (``make run``), closed, with its memorandum to try: made-up
drafts, people, comments and codings, marked as sample content."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.contacts.service import add_demo_contact
from gateway.extensions import db, utcnow

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


def load_sample_consultation() -> int:
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
        contact = add_demo_contact(f"+2547009{n:05d}", language, county, ward)
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
