"""Rows the tests start from, made through the models (as the admin UI and API will)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flask import Flask
from sqlalchemy import insert, select

from gateway.broadcasts.dispatch import create_broadcast
from gateway.contacts.models import ConsentEvent, Contact, ContactTag
from gateway.contacts.service import opt_out, record_consent
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.polls.models import Poll, PollOption

# The people of the ``people`` fixture (tests/conftest.py).
EN, SW, KAM, KWALE = "+254711000001", "+254711000002", "+254711000003", "+254722000001"


def joined_contact(
    app: Flask,
    phone: str,
    language: str | None = "en",
    county: str | None = "Kitui",
    ward: str | None = "Mui",
    *,
    consent: bool = True,
    opted_out: bool = False,
    tags: Sequence[str] = (),
) -> int:
    """A contact who joined (unless ``consent`` is False), perhaps opted out since; its id."""
    with app.app_context():
        contact = Contact(phone=phone, language=language, county=county, ward=ward)
        db.session.add(contact)
        if consent:
            record_consent(
                contact,
                channel="test",
                wording_version="consent.v1",
                wording_text=None,
                language=language,
            )
        if opted_out:
            opt_out(contact, channel="sms")
        db.session.flush()
        for tag in tags:
            db.session.add(ContactTag(contact_id=contact.id, tag=tag))
        db.session.commit()
        return contact.id


def start_broadcast(app: Flask, name: str, texts: dict[str, str]) -> tuple[int, int]:
    """A broadcast to everyone, to go now (its start job enqueued); its id and how many it
    reaches."""
    with app.app_context():
        broadcast, found = create_broadcast(
            name=name,
            texts=texts,
            audience={},
            send_at=None,
            urgent=False,
            urgent_reason=None,
            created_by="test",
        )
        db.session.commit()
        broadcast_id = broadcast.id
        db.session.remove()
    return broadcast_id, found.recipients


def many_joined_contacts(
    app: Flask,
    count: int,
    first_phone: int,
    *,
    languages: Sequence[str] = ("en", "sw"),
    county: str = "Kwale",
    ward: str = "Msambweni",
) -> None:
    """``count`` people with consent, numbered from ``first_phone``, speaking ``languages`` in
    turn: inserted in bulk (thousands, for the tests of a whole broadcast)."""
    now = utcnow()
    rows = [
        {
            "phone": f"+{first_phone + n}",
            "language": languages[n % len(languages)],
            "county": county,
            "ward": ward,
            "consent_at": now,
            "consent_channel": "test",
            "consent_wording": "consent.v1",
        }
        for n in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(Contact), rows)
        contacts = db.session.execute(select(Contact.id, Contact.language)).all()
        db.session.execute(
            insert(ConsentEvent),
            [
                {
                    "contact_id": contact_id,
                    "action": "granted",
                    "channel": "test",
                    "wording_version": "consent.v1",
                    "language": language,
                    "created_at": now,
                }
                for contact_id, language in contacts
            ],
        )
        db.session.commit()
        db.session.remove()


def meetings(app: Flask) -> dict[str, int]:
    """A Kitui meeting, a national dialogue, and three that a Kitui caller must not see."""
    now = utcnow()
    rows = {
        "kitui": Meeting(
            title={"en": "Mui platform meeting", "sw": "Mkutano wa jukwaa la Mui"},
            county="Kitui",
            ward="Mui",
            place="Mui Primary School",
            starts_at=now + timedelta(days=3),
        ),
        "national": Meeting(
            title={"en": "National dialogue", "sw": "Mazungumzo ya kitaifa"},
            county=None,
            place="Nairobi",
            starts_at=now + timedelta(days=10),
        ),
        "kwale": Meeting(
            title={"en": "Ramisi meeting"},
            county="Kwale",
            place="Ramisi",
            starts_at=now + timedelta(days=2),
        ),
        "past": Meeting(
            title={"en": "Last month's meeting"},
            county="Kitui",
            place="Mui",
            starts_at=now - timedelta(days=30),
        ),
        "cancelled": Meeting(
            title={"en": "Cancelled meeting"},
            county="Kitui",
            place="Mui",
            starts_at=now + timedelta(days=5),
            status="cancelled",
        ),
    }
    with app.app_context():
        db.session.add_all(rows.values())
        db.session.commit()
        return {name: row.id for name, row in rows.items()}


def polls(app: Flask) -> dict[str, int]:
    """An open poll for everyone, one only for Kwale, and a closed one."""
    now = utcnow()

    def poll(keyword: str, county: str | None, opens: timedelta, closes: timedelta) -> Poll:
        return Poll(
            keyword=keyword,
            county=county,
            opens_at=now + opens,
            closes_at=now + closes,
            question={
                "en": "Should the county publish the mine's EIA report?",
                "sw": "Je, kaunti ichapishe ripoti ya EIA ya mgodi?",
            },
            options=[
                PollOption(position=1, label={"en": "Yes", "sw": "Ndiyo"}),
                PollOption(position=2, label={"en": "No", "sw": "Hapana"}),
                PollOption(position=3, label={"en": "Not sure", "sw": "Sina uhakika"}),
            ],
        )

    rows = {
        "open": poll("MADINI", None, timedelta(hours=-1), timedelta(days=2)),
        "kwale": poll("KWALE", "Kwale", timedelta(hours=-1), timedelta(days=2)),
        "closed": poll("ZAMANI", None, timedelta(days=-5), timedelta(days=-1)),
    }
    with app.app_context():
        db.session.add_all(rows.values())
        db.session.commit()
        return {name: row.id for name, row in rows.items()}


def surveys(app: Flask) -> dict[str, int]:
    """An open three-question survey for everyone (a choice, a number, a text), one only for
    Kwale, and a closed one."""
    from gateway.surveys.models import Survey, SurveyQuestion

    now = utcnow()

    def survey(keyword: str, county: str | None, opens: timedelta, closes: timedelta) -> Survey:
        return Survey(
            keyword=keyword,
            county=county,
            opens_at=now + opens,
            closes_at=now + closes,
            title={"en": "Water survey", "sw": "Utafiti wa maji"},
            questions=[
                SurveyQuestion(
                    position=1,
                    kind="choice",
                    prompt={
                        "en": "Is the river water safe to drink?",
                        "sw": "Je, maji ya mto ni salama kunywa?",
                    },
                    options=[
                        {"en": "Yes", "sw": "Ndiyo"},
                        {"en": "No", "sw": "Hapana"},
                        {"en": "Not sure", "sw": "Sina uhakika"},
                    ],
                ),
                SurveyQuestion(
                    position=2,
                    kind="number",
                    prompt={
                        "en": "How many people live in your home?",
                        "sw": "Watu wangapi wanaishi nyumbani kwako?",
                    },
                ),
                SurveyQuestion(
                    position=3,
                    kind="text",
                    prompt={
                        "en": "What should HMK raise with the county?",
                        "sw": "HMK iwasilishe nini kwa kaunti?",
                    },
                ),
            ],
        )

    rows = {
        "open": survey("MAJI", None, timedelta(hours=-1), timedelta(days=2)),
        "kwale": survey("PWANI", "Kwale", timedelta(hours=-1), timedelta(days=2)),
        "closed": survey("JANA", None, timedelta(days=-5), timedelta(days=-1)),
    }
    with app.app_context():
        db.session.add_all(rows.values())
        db.session.commit()
        return {name: row.id for name, row in rows.items()}
