"""Rows for the public site's tests: people in groups of every size around the threshold
(``GATEWAY_PUBLIC_MIN_GROUP``, 10), with public and private polls, a survey, a consultation,
commitments and meetings, seeded through the models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import insert, select

from gateway.commitments.models import Commitment, DutyBearer, FollowUpAnswer, FollowUpRound
from gateway.consultations.models import Clause, Comment, Consultation, Position
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.platforms.models import Membership, Platform
from gateway.polls.models import Poll, PollOption, Vote
from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

# (county, ward, people): Kitui/Nguni (3), Migori (4) and the unknown county (2) are small.
GROUPS = (
    ("Kitui", "Mui", 30),
    ("Kitui", "Nuu", 12),
    ("Kitui", "Nguni", 3),
    ("Kwale", "Ramisi", 15),
    ("Migori", "Kaler", 4),
    (None, None, 2),
)
SMALL_NAMES = ("Nguni", "Migori", "Kaler", "Tiny Platform")
# Words people wrote: none of them may reach a public page or file.
PRIVATE_WORDS = ("+254711999888 please call me", "my neighbour Wanjiku was beaten")
# Words an author agreed to have quoted: only masked, and only in the memorandum.
QUOTED_WORDS = "The river is dirty since the mine opened, ask Kamau on 0711 222 333."


@dataclass
class Seeded:
    phones: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)


def seed(app: Flask) -> Seeded:
    seeded = Seeded()
    now = utcnow()
    with app.app_context():
        rows = []
        for county, ward, people in GROUPS:
            for _ in range(people):
                phone = f"+2547115{len(rows):05d}"
                seeded.phones.append(phone)
                rows.append({"phone": phone, "language": "sw", "county": county, "ward": ward})
        db.session.execute(insert(Contact), rows)
        contacts = list(db.session.execute(select(Contact.id, Contact.county, Contact.ward)))
        mui = Platform(name="Mui Basin Platform", code="MUI", county="Kitui", wards=["Mui"])
        nuu = Platform(name="Nuu Platform", code="NUU", county="Kitui", wards=["Nuu"])
        tiny = Platform(name="Tiny Platform", code="TINY", county="Migori")
        db.session.add_all([mui, nuu, tiny])
        db.session.flush()
        for contact_id, county, ward in contacts:
            if ward == "Mui":
                db.session.add(
                    Membership(platform_id=mui.id, contact_id=contact_id, joined_via="sms")
                )
            if ward == "Nuu":
                db.session.add(
                    Membership(platform_id=nuu.id, contact_id=contact_id, joined_via="sms")
                )
            if county == "Migori":
                db.session.add(
                    Membership(platform_id=tiny.id, contact_id=contact_id, joined_via="sms")
                )

        def poll(keyword: str, public: bool) -> Poll:
            made = Poll(
                keyword=keyword,
                question={
                    "en": f"{keyword}: should the mine publish its EIA?",
                    "sw": f"{keyword}: mgodi uchapishe EIA?",
                },
                public=public,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=1),
                options=[
                    PollOption(position=1, label={"en": "Yes", "sw": "Ndiyo"}),
                    PollOption(position=2, label={"en": "No", "sw": "Hapana"}),
                ],
            )
            db.session.add(made)
            db.session.flush()
            for n, (contact_id, county, ward) in enumerate(contacts):
                db.session.add(
                    Vote(
                        poll_id=made.id,
                        contact_id=contact_id,
                        option_id=made.options[n % 3 == 0].id,
                        channel="sms",
                        county=county,
                        ward=ward,
                        language="sw",
                    )
                )
            return made

        seeded.ids["poll"] = poll("MADINI", True).id
        seeded.ids["private_poll"] = poll("SIRI", False).id

        survey = Survey(
            keyword="UTAFITI",
            title={"en": "Water survey", "sw": "Utafiti wa maji"},
            public=True,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
            questions=[
                SurveyQuestion(
                    position=1,
                    kind="choice",
                    prompt={"en": "Is the river clean?", "sw": "Mto ni safi?"},
                    options=[{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}],
                ),
                SurveyQuestion(position=2, kind="number", prompt={"en": "How many goats died?"}),
                SurveyQuestion(position=3, kind="text", prompt={"en": "Anything else?"}),
            ],
        )
        db.session.add(survey)
        db.session.flush()
        for n, (contact_id, county, ward) in enumerate(contacts):
            response = SurveyResponse(
                survey_id=survey.id, contact_id=contact_id, channel="ussd", county=county, ward=ward
            )
            db.session.add(response)
            db.session.flush()
            q1, q2, q3 = survey.questions
            db.session.add(
                SurveyAnswer(response_id=response.id, question_id=q1.id, value=str(1 + n % 2))
            )
            if n < 5:  # too few to say anything about
                db.session.add(SurveyAnswer(response_id=response.id, question_id=q2.id, value="7"))
            db.session.add(
                SurveyAnswer(response_id=response.id, question_id=q3.id, value=PRIVATE_WORDS[n % 2])
            )
        seeded.ids["survey"] = survey.id

        consultation = Consultation(
            keyword="MAONI",
            title={
                "en": "Draft Mining (Community Development) Regulations",
                "sw": "Rasimu ya Kanuni za Madini",
            },
            description={"en": "What communities get from mining revenue."},
            draft_name="Mining (CDA) Regulations 2026",
            issuing_body="Ministry of Mining",
            opens_at=now - timedelta(days=30),
            closes_at=now - timedelta(days=10),
            submitted_at=now - timedelta(days=5),
            responded_at=now - timedelta(days=1),
            response_note="The Ministry will revise Regulation 7.",
            public=True,
            sample=True,
            clauses=[
                Clause(
                    number=1,
                    reference="Regulation 7(2)",
                    summary={
                        "en": "Share of royalties to the community",
                        "sw": "Sehemu ya mrabaha kwa jamii",
                    },
                ),
                Clause(
                    number=2,
                    reference="Regulation 9",
                    summary={"en": "Who sits on the CDA committee"},
                ),
            ],
        )
        db.session.add(consultation)
        db.session.flush()
        for n, (contact_id, county, ward) in enumerate(contacts[:40]):
            db.session.add(
                Position(
                    consultation_id=consultation.id,
                    clause_id=consultation.clauses[0].id,
                    contact_id=contact_id,
                    stance=("agree", "disagree", "not_sure")[n % 3],
                    channel="ussd",
                    county=county,
                    ward=ward,
                )
            )
        db.session.add(
            Comment(
                consultation_id=consultation.id,
                clause_id=consultation.clauses[0].id,
                contact_id=contacts[0][0],
                text=PRIVATE_WORDS[0],
                channel="sms",
                county=contacts[0][1],
                ward=contacts[0][2],
            )
        )
        # A comment its author (in Migori, a small group) let be quoted and the secretariat
        # picked: the public memorandum quotes it masked, without naming the small county.
        migori = next(c for c in contacts if c[1] == "Migori")
        db.session.add(
            Comment(
                consultation_id=consultation.id,
                clause_id=consultation.clauses[0].id,
                contact_id=migori[0],
                text=QUOTED_WORDS,
                channel="sms",
                county="Migori",
                ward="Kaler",
                language="sw",
                quote_ok=True,
                quoted=True,
            )
        )
        seeded.ids["consultation"] = consultation.id

        bearer = DutyBearer(name="Mui Coal Company", kind="company")
        db.session.add(bearer)
        db.session.flush()
        kept = Commitment(
            duty_bearer_id=bearer.id,
            what={"en": "Drill two boreholes in Mui", "sw": "Kuchimba visima viwili Mui"},
            county="Kitui",
            made_on=date(2026, 6, 1),
            due_on=date(2026, 11, 1),
            public=True,
        )
        hidden = Commitment(
            duty_bearer_id=bearer.id,
            what={"en": "A private promise"},
            county="Kitui",
            made_on=date(2026, 6, 1),
            due_on=date(2026, 11, 1),
            public=False,
        )
        db.session.add_all([kept, hidden])
        db.session.flush()
        round_ = FollowUpRound(
            commitment_id=kept.id, number=1, asked_on=date(2026, 11, 2), status="sent"
        )
        db.session.add(round_)
        db.session.flush()
        for n, (contact_id, county, ward) in enumerate(contacts[:45]):
            db.session.add(
                FollowUpAnswer(
                    commitment_id=kept.id,
                    round_id=round_.id,
                    contact_id=contact_id,
                    verdict=("yes", "partly", "no")[n % 3],
                    channel="ussd",
                    county=county,
                    ward=ward,
                )
            )
        seeded.ids["commitment"] = kept.id
        seeded.ids["private_commitment"] = hidden.id

        ahead = now + timedelta(days=3)
        meetings = [
            Meeting(
                title={"en": "Mui platform meeting", "sw": "Mkutano wa jukwaa la Mui"},
                county="Kitui",
                ward="Mui",
                place="Mui Primary School",
                starts_at=ahead,
            ),
            Meeting(
                title={"en": "National dialogue on mining"},
                county=None,
                place="Nairobi",
                starts_at=ahead + timedelta(days=7),
            ),
            Meeting(title={"en": "Kwale meeting"}, county="Kwale", place="Ramisi", starts_at=ahead),
            Meeting(
                title={"en": "Past meeting"},
                county="Kitui",
                place="Nuu",
                starts_at=now - timedelta(days=3),
            ),
            Meeting(
                title={"en": "Cancelled meeting"},
                county="Kitui",
                place="Nuu",
                starts_at=ahead,
                status="cancelled",
            ),
        ]
        db.session.add_all(meetings)
        db.session.commit()
        seeded.ids["meeting"] = meetings[0].id
    return seeded
