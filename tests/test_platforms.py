"""Community platforms: joining by SMS and USSD, the admin's platforms, members and leaders,
platforms as an audience and as a dimension of results, the import's platform column, and
erasure."""

from __future__ import annotations

import factories
import pytest
from helpers import received, text
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from gateway.contacts.models import ConsentEvent, Contact
from gateway.extensions import db
from gateway.platforms.models import LEADER, MEMBER, Membership, MiningSite, Platform
from gateway.sms.models import Message
from gateway.users.models import AuditEvent

PHONE = "+254712345678"
OTHER = "+254722000333"


@pytest.fixture
def platforms(app) -> dict[str, int]:
    """Two Kitui platforms (MUI, KANZIKU) and one in Kwale (VANGA); their ids by code."""
    with app.app_context():
        made = [
            Platform(
                name="Mui Basin Community Platform",
                code="MUI",
                county="Kitui",
                wards=["Mui", "Nuu"],
            ),
            Platform(name="Kanziku Community Platform", code="KANZIKU", county="Kitui"),
            Platform(name="Vanga Community Platform", code="VANGA", county="Kwale"),
        ]
        db.session.add_all(made)
        db.session.commit()
        return {p.code: p.id for p in made}


def contact(app, phone: str = PHONE) -> Contact:
    with app.app_context():
        found = db.session.scalar(select(Contact).where(Contact.phone == phone))
        assert found is not None
        db.session.expunge(found)
        return found


def members(app, platform_id: int) -> dict[str, tuple[str, str]]:
    """The platform's members: number -> (role, joined via)."""
    with app.app_context():
        rows = db.session.execute(
            select(Contact.phone, Membership.role, Membership.joined_via)
            .join(Membership, Membership.contact_id == Contact.id)
            .where(Membership.platform_id == platform_id)
        )
        return {phone: (role, via) for phone, role, via in rows}


# -- joining by SMS ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sms", "language"), [("JOIN MUI", "en"), ("jiunge mui", "sw"), ("Jiunge Mui.", "sw")]
)
def test_join_a_platform_by_sms_in_english_and_kiswahili(
    at, app, workers, emulator, platforms, sms, language
):
    """Can a person text JOIN MUI or JIUNGE MUI (any case) to join the Mui Basin platform, with
    their consent recorded, and be welcomed to it in the language of their keyword; does a
    second JOIN MUI change nothing but say they are in already."""
    at.sms(PHONE, sms)
    workers.drain()
    joined = contact(app)
    assert (joined.language, joined.county) == (language, "Kitui")
    assert joined.has_consent and joined.consent_channel == "sms"
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "sms")}
    name = "Mui Basin Community Platform"
    assert received(emulator, PHONE) == [
        text(app, "sms.platform.joined", language, platform=name)
    ]
    assert ("Welcome to" if language == "en" else "Karibu") in received(emulator, PHONE)[0]

    at.sms(PHONE, sms)
    workers.drain()
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "sms")}
    assert received(emulator, PHONE)[-1] == text(
        app, "sms.platform.already", language, platform=name
    )
    with app.app_context():  # consent once: the second JOIN MUI found it recorded
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 1


@pytest.mark.parametrize(("sms", "language"), [("JOIN MUII", "en"), ("JIUNGE KWALE", "sw")])
def test_an_unknown_code_gets_the_codes_of_the_senders_county(
    at, app, workers, emulator, platforms, sms, language
):
    """Is a code no platform has answered, in the sender's language, with the codes of their
    county's platforms (not another county's), and nobody joined to anything."""
    factories.joined_contact(app, PHONE, language=language, county="Kitui")
    at.sms(PHONE, sms)
    workers.drain()
    [answer] = received(emulator, PHONE)
    code = sms.split()[1]
    assert answer == text(
        app, "sms.platform.unknown", language, code=code, codes="KANZIKU, MUI"
    )
    assert "VANGA" not in answer
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


def test_join_alone_is_unchanged_when_platforms_exist(at, app, workers, emulator, platforms):
    """Does JOIN alone still record consent and send the gateway's own welcome, with no
    platform joined."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    joined = contact(app)
    assert joined.has_consent and joined.consent_wording == "sms.join"
    assert received(emulator, PHONE) == [text(app, "sms.join", "en")]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
        kinds = db.session.scalars(select(Message.kind).where(Message.direction == "in")).all()
    assert kinds == ["keyword:join"]


# -- joining by USSD -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_join_a_county_then_one_of_its_platforms_by_ussd(
    phone, app, workers, emulator, platforms, lang
):
    """After choosing Kitui and agreeing, is a caller offered Kitui's platforms (and none), and
    does choosing Mui Basin make them a member with the county's consent and welcome SMS."""
    phone.dial()
    phone.choose("Kiswahili" if lang == "sw" else "English")
    phone.choose(phone.text("ussd.main.join", lang))
    phone.choose("Kitui")
    phone.choose("Mui")
    offer = phone.press("1")  # the consent question: yes
    assert offer.startswith("CON " + phone.text("ussd.platform.pick", lang))
    assert "Kanziku Community Platform" in offer and "Mui Basin Community Platform" in offer
    assert "Vanga" not in offer and phone.text("ussd.platform.none", lang) in offer
    done = phone.choose("Mui Basin Community Platform")
    assert done == "END " + phone.text(
        "ussd.platform.joined", lang, platform="Mui Basin Community Platform"
    )
    assert members(app, platforms["MUI"]) == {PHONE: (MEMBER, "ussd")}
    joined = contact(app)
    assert joined.consent_channel == "ussd" and (joined.county, joined.ward) == ("Kitui", "Mui")
    workers.drain()
    assert received(emulator, PHONE) == [text(app, "sms.welcome", lang, county="Kitui")]


def test_a_ussd_caller_may_join_no_platform(phone, app, workers, platforms):
    """Can a caller join their county and choose no platform, and get the county's screen."""
    phone.dial()
    phone.choose("English")
    phone.choose(phone.text("ussd.main.join", "en"))
    phone.choose("Kitui")
    phone.choose("Mui")
    phone.press("1")
    done = phone.choose(phone.text("ussd.platform.none", "en"))
    assert done == "END " + phone.text("ussd.join.done", "en", county="Kitui")
    assert contact(app).has_consent
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0


def test_a_county_without_platforms_is_joined_as_before(phone, app, platforms):
    """Is a Migori caller (no platform there) not offered any platform."""
    phone.dial()
    phone.choose("English")
    phone.choose(phone.text("ussd.main.join", "en"))
    phone.choose("Migori")
    phone.choose("Kaler")
    done = phone.press("1")
    assert done == "END " + phone.text("ussd.join.done", "en", county="Migori")
