"""USSD sessions through ``/at/ussd`` in Africa's Talking's wire format."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from gateway.contacts.models import ConsentEvent, Contact
from gateway.extensions import db
from gateway.sms.models import Message

PHONE = "+254712345678"


def contact(app: Flask, phone: str = PHONE) -> Contact | None:
    with app.app_context():
        found = db.session.scalar(select(Contact).where(Contact.phone == phone))
        if found is not None:
            db.session.expunge(found)
        return found


def option(screen: str, label: str) -> str:
    """The number a caller presses for ``label`` on ``screen``."""
    for line in screen.splitlines():
        number, _, text = line.partition(". ")
        if text == label:
            return number.removeprefix("CON ")
    raise AssertionError(f"{label!r} is not an option on {screen!r}")


def test_first_dial_offers_every_language_in_its_own_name(at):
    """Can a first-time caller pick their language from a list written in each language."""
    response = at.ussd(PHONE, "")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith("CON ")
    assert body.splitlines()[1:] == ["1. English", "2. Kiswahili", "3. Kikamba"]


def test_a_whole_join_session_in_kiswahili(at, app, workers, emulator):
    """Can a caller choose Kiswahili, join the Kitui platform with recorded consent, and get a
    welcome SMS in Kiswahili through the worker."""
    kiswahili = option(at.ussd(PHONE).get_data(as_text=True), "Kiswahili")
    screens = at.dial(PHONE, kiswahili, "1", "1", "1", "1")
    language, menu, counties, wards, consent, done = screens
    assert menu.startswith("CON Haki Madini Kenya")
    assert "1. Jiunge" in menu, menu
    assert "1. Kitui" in counties and "2. Kwale" in counties
    assert wards.startswith("CON Unaishi wadi gani?") and "1. Mui" in wards
    assert consent.startswith("CON ") and "Kitui" in consent and "ACHA" in consent
    assert done.startswith("END ") and "Kitui" in done
    assert all(len(s) - 4 <= 160 for s in screens), [len(s) for s in screens]

    joined = contact(app)
    assert joined is not None
    assert (joined.language, joined.county, joined.ward) == ("sw", "Kitui", "Mui")
    assert joined.consent_channel == "ussd"
    assert joined.consent_wording == "consent.v1" and joined.opted_out_at is None
    with app.app_context():
        event = db.session.scalar(select(ConsentEvent))
        assert event is not None and event.action == "granted" and event.language == "sw"
        # The wording stored is the wording the caller saw on the consent screen.
        assert event.wording_text and event.wording_text in consent

    assert emulator.messages() == []  # sending is the worker's job, never the request's
    workers.drain()
    sent = emulator.messages()
    assert [m["to"] for m in sent] == [PHONE]
    assert "Karibu" in sent[0]["text"] and "Kitui" in sent[0]["text"]
    with app.app_context():
        welcome = db.session.scalar(select(Message).where(Message.kind == "welcome"))
        assert welcome is not None and welcome.status == "sent"
        assert welcome.provider_id == sent[0]["message_id"]
        assert (welcome.encoding, welcome.segments) == ("GSM-7", 1)


def test_english_session_and_a_returning_caller_starts_at_the_menu(at, app):
    """Does a returning caller skip the language screen and see the menu in their language."""
    at.dial(PHONE, "1", "1", "2", "1", "1", session_id="first")
    again = at.ussd(PHONE, "", session_id="second").get_data(as_text=True)
    assert again.startswith("CON Haki Madini Kenya")
    assert "1. Learn your rights" in again and "Join" not in again  # joined already
    joined = contact(app)
    assert joined is not None and joined.county == "Kwale" and joined.language == "en"


def test_declining_consent_records_nothing_and_sends_nothing(at, app, workers, emulator):
    """Does saying No to the consent question leave the caller without consent or SMS."""
    *_, last = at.dial(PHONE, "1", "1", "1", "1", "2")
    assert last.startswith("END ") and "not joined" in last
    joined = contact(app)
    assert joined is not None and joined.consent_at is None
    workers.drain()
    assert emulator.messages() == []


def test_invalid_answer_reshows_the_same_screen_with_a_hint(at):
    """Does a wrong key re-show the screen with a one-line hint instead of ending the session."""
    screens = at.dial(PHONE, "1", "9", "x", "²", "٢", "1" * 40)  # ², ٢: digits to Python only
    for screen in screens[2:]:
        assert screen.startswith("CON Invalid choice")
        assert "1. Join my community platform" in screen


def test_back_home_and_more(at):
    """Can a caller page the county list with 98, go back with 0 and home with 00."""
    first_page = at.ussd(PHONE, "1*1").get_data(as_text=True)
    assert "98. More" in first_page and "0. Back" in first_page
    second_page = at.ussd(PHONE, "1*1*98").get_data(as_text=True)
    assert "Kitui" not in second_page and "Marsabit" in second_page
    later = [line for line in second_page.splitlines() if line[:1].isdigit() and "." in line]
    assert later and not later[0].startswith("1.")
    back = at.ussd(PHONE, "1*1*98*0").get_data(as_text=True)
    assert back == first_page
    home = at.ussd(PHONE, "1*1*98*00").get_data(as_text=True)
    assert home.startswith("CON Haki Madini Kenya")
    # A county from the second page is chosen by the number shown beside it; Marsabit has no
    # wards listed, so the consent question comes next.
    number = option(second_page, "Marsabit")
    consent = at.ussd(PHONE, f"1*1*98*{number}").get_data(as_text=True)
    assert "Marsabit" in consent and "Do you agree?" in consent


def test_changing_language_takes_effect_at_once(at, app):
    """Can a caller switch to Kikamba from the menu and see the confirmation in Kikamba."""
    at.dial(PHONE, "1", session_id="one")
    settings = option(at.ussd(PHONE, "", session_id="two").get_data(as_text=True), "My settings")
    languages = at.dial(PHONE, settings, "1", session_id="two")[-1]
    *_, saved = at.dial(PHONE, settings, "1", option(languages, "Kikamba"), session_id="two")
    assert saved.startswith("END ") and "Kikamba" in saved
    changed = contact(app)
    assert changed is not None and changed.language == "kam"


def test_malformed_hops_still_get_an_end_screen(at, client):
    """Whatever arrives, the answer is a CON/END screen with HTTP 200, never an error page."""
    missing_phone = client.post("/at/ussd", data={"sessionId": "x", "serviceCode": "*384*123#"})
    not_a_phone = at.ussd("hello", "")
    empty = client.post("/at/ussd", data={})
    for response in (missing_phone, not_a_phone, empty):
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert body.startswith("END ") and "dial again" in body


def test_session_end_notifications_are_kept_once(at, app):
    """Is Africa's Talking's end-of-session notification stored, and a retry of it ignored."""
    from gateway.ussd.models import UssdSessionEnd

    first = at.session_ended(PHONE, "ATUid_end1")
    again = at.session_ended(PHONE, "ATUid_end1")
    assert first.get_data(as_text=True) == "recorded"
    assert again.get_data(as_text=True).startswith("duplicate")
    with app.app_context():
        rows = db.session.scalars(select(UssdSessionEnd)).all()
        assert [(r.session_id, r.status, r.hops, r.phone) for r in rows] == [
            ("ATUid_end1", "Incomplete", 3, PHONE)
        ]


def test_a_wrong_key_on_the_long_consent_screen_still_fits(at):
    """Does the longest screen (the consent wording) re-shown after a wrong key stay within
    160 characters, in every language, with Yes and No still on it."""
    first = at.ussd(PHONE, "").get_data(as_text=True)
    for language in ("English", "Kiswahili", "Kikamba"):
        number = option(first, language)
        screen = at.ussd(PHONE, f"{number}*1*1*5", session_id=f"s-{language}").get_data(
            as_text=True
        )
        assert screen.startswith("CON ")
        assert len(screen) - 4 <= 160, (language, len(screen) - 4)
        assert "\n1. " in screen and "\n2. " in screen and "Kitui" in screen


def test_malformed_session_end_notifications_get_a_400(client):
    """Are out-of-range numbers and dates in an end-of-session notification refused with a 400
    naming the field, instead of an error that Africa's Talking would retry for 12 hours."""
    base = {"sessionId": "ATUid_x", "phoneNumber": PHONE, "status": "Failed"}
    for extra, field in (
        ({"hopsCount": "99999999999999999999"}, "hopsCount"),
        ({"hopsCount": "²"}, "hopsCount"),  # a digit to isdigit(), not to int()
        ({"hopsCount": "٣"}, "hopsCount"),  # an Arabic-Indic 3
        ({"hopsCount": "9" * 5000}, "hopsCount"),  # past int()'s limit on digits
        ({"durationInMillis": "3000000000"}, "durationInMillis"),
        ({"durationInMillis": "-5"}, "durationInMillis"),
        ({"date": "0001-01-01T00:00:00+01:00"}, "date"),
    ):
        response = client.post("/at/ussd/events", data={**base, **extra})
        assert response.status_code == 400, extra
        assert f"'{field}'" in response.get_data(as_text=True)
