"""The admin UI's Phone simulator: a USSD session and an SMS through the gateway's own
Africa's Talking callbacks (with the webhook secret), the screens and the SMS replies shown."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import Message
from gateway.ussd.models import UssdSessionEnd

NUMBER = "+254700000123"


def screen_of(page: str) -> str:
    found = re.search(r'<div class="screen[^"]*" id="screen"[^>]*>(.*?)</div>', page, re.S)
    assert found, page
    return html.unescape(found.group(1))


def state_of(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'type="hidden" name="(session_id|text)" value="([^"]*)"', page
        )
    }


@pytest.fixture
def settings_overrides():
    return {"at_webhook_secret": "s3cret"}


def test_a_ussd_session_from_dial_to_the_end_screen(app, admin_as, workers, emulator):
    """Does the simulator dial, choose English, join Kitui/Mui and reach the END screen, with
    the webhook secret honoured and the contact stored as a real phone's would be; and does
    the welcome SMS the gateway then sends show as a reply?"""
    viewer = admin_as("viewer")
    page = viewer.get("/admin/simulator").get_data(as_text=True)
    assert "This is a simulation" in page and NUMBER in page
    hop = viewer.post(
        "/admin/simulator/ussd", {"phone": NUMBER, "action": "dial"}, page="/admin/simulator"
    ).get_data(as_text=True)
    assert screen_of(hop).startswith("Choose your language\n1. English")
    for key, expected in (
        ("1", "Haki Madini Kenya\n1. Join my community platform"),
        ("1", "Which county do you live in?"),
        ("1", "Which ward do you live in?"),
        ("1", "HMK will send you free SMS"),
        ("1", "Thank you! You have joined the Kitui community platform."),
    ):
        hop = viewer.post(
            "/admin/simulator/ussd",
            {"phone": NUMBER, "action": "reply", "input": key, **state_of(hop)},
            page="/admin/simulator",
        ).get_data(as_text=True)
        assert screen_of(hop).startswith(expected), screen_of(hop)
    assert 'class="screen ended"' in hop and 'data-state="idle"' in hop  # the session ended
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == NUMBER))
        assert contact.county == "Kitui" and contact.consent_at is not None
    workers.drain()
    [welcome] = [m["text"] for m in emulator.messages() if m["to"] == NUMBER]
    assert welcome.startswith("Welcome to Haki Madini Kenya")
    replies = viewer.get(f"/admin/simulator/replies?phone={NUMBER}").get_data(as_text=True)
    assert welcome in html.unescape(replies)


def test_the_callbacks_refuse_a_wrong_secret_the_simulator_sends_the_right_one(client):
    """(The simulator's hops above succeed only because it sends the secret.)"""
    response = client.post("/at/ussd", data={"sessionId": "x", "phoneNumber": NUMBER, "text": ""})
    assert response.status_code == 403


def test_an_sms_and_its_reply(app, admin_as, workers):
    """Does a simulated SMS reach the gateway as an incoming message and is the gateway's
    answer to it listed under the phone?"""
    host = admin_as("radio_host")
    shown = host.post(
        "/admin/simulator/sms", {"phone": NUMBER, "text": "JOIN"}, page="/admin/simulator"
    ).get_data(as_text=True)
    assert "Sent: JOIN" in shown
    workers.drain()
    with app.app_context():
        received = db.session.scalar(
            select(Message).where(Message.direction == "in", Message.phone == NUMBER)
        )
        assert received.text == "JOIN"
        [reply] = db.session.scalars(
            select(Message).where(Message.direction == "out", Message.phone == NUMBER)
        ).all()
    replies = host.get(f"/admin/simulator/replies?phone={NUMBER}").get_data(as_text=True)
    assert html.escape(reply.text, quote=False)[:40] in replies
    # The page polls the replies every 2 s: the poll keeps what was sent (it wiped it before).
    assert "Sent: JOIN" in replies


def test_only_an_admin_simulates_any_number(app, admin_as):
    """Is a non-admin refused a real-looking number (it would act as that person)?"""
    viewer = admin_as("viewer")
    refused = viewer.post(
        "/admin/simulator/sms", {"phone": "+254712345678", "text": "STOP"}, page="/admin/simulator"
    ).get_data(as_text=True)
    assert "Only an admin may simulate any number" in refused
    with app.app_context():
        assert db.session.scalar(select(Message)) is None
    admin = admin_as("admin")
    hop = admin.post(
        "/admin/simulator/ussd", {"phone": "0712345678", "action": "dial"}, page="/admin/simulator"
    ).get_data(as_text=True)
    assert screen_of(hop).startswith("Choose your language")


@pytest.mark.parametrize(
    "settings_overrides",
    [{"at_username": "hmk", "at_api_key": "live-key", "at_webhook_secret": "s3cret"}],
    ids=["at-account"],
)
def test_the_simulator_is_off_when_sms_would_really_go_out(app, admin_as):
    """With an Africa's Talking account configured, the gateway's replies to a simulated
    number would be sent for real: does the page say the simulator is off, leave it out of the
    menu, and do its callbacks refuse to store or answer anything?"""
    admin = admin_as("admin")
    page = admin.get("/admin/simulator").get_data(as_text=True)
    assert 'id="simulator-off"' in page and "The phone simulator is off" in page
    assert 'id="phone"' not in page and 'href="/admin/simulator"' not in page
    menu = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/broadcasts"' in menu and 'href="/admin/simulator"' not in menu
    sms = admin.post("/admin/simulator/sms", {"phone": NUMBER, "text": "JOIN"}, page="/admin/")
    hop = admin.post("/admin/simulator/ussd", {"phone": NUMBER, "action": "dial"}, page="/admin/")
    assert (sms.status_code, hop.status_code) == (404, 404)
    assert admin.get(f"/admin/simulator/replies?phone={NUMBER}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Message)) is None
        assert db.session.scalar(select(Contact)) is None


def test_the_simulator_says_its_replies_never_leave_the_gateway(admin_as):
    """(It is open here because the tests' gateway sends through the emulator.)"""
    page = admin_as("viewer").get("/admin/simulator").get_data(as_text=True)
    assert "the replies shown here never leave the gateway" in page
    assert 'href="/admin/simulator" aria-current="page"' in page


def test_end_hangs_up_as_a_phone_does(app, admin_as):
    """Does the End key close the session on the simulated phone, and does the gateway hear of
    it as it would from Africa's Talking (an Incomplete session end, with what was typed)?"""
    viewer = admin_as("viewer")
    hop = viewer.post(
        "/admin/simulator/ussd", {"phone": NUMBER, "action": "dial"}, page="/admin/simulator"
    ).get_data(as_text=True)
    hop = viewer.post(
        "/admin/simulator/ussd",
        {"phone": NUMBER, "action": "reply", "input": "1", **state_of(hop)},
        page="/admin/simulator",
    ).get_data(as_text=True)
    session_id = state_of(hop)["session_id"]
    ended = viewer.post(
        "/admin/simulator/ussd",
        {"phone": NUMBER, "action": "end", "input": "", **state_of(hop)},
        page="/admin/simulator",
    ).get_data(as_text=True)
    assert screen_of(ended).startswith("Call ended.")
    assert 'class="screen ended"' in ended and 'value="dial"' in ended
    with app.app_context():
        [end] = db.session.scalars(select(UssdSessionEnd)).all()
        assert (end.session_id, end.phone, end.status, end.input) == (
            session_id,
            NUMBER,
            "Incomplete",
            "1",
        )


def test_a_typed_code_dials_and_a_wrong_one_is_refused(admin_as):
    """Is a USSD code typed on the keypad dialled when it is the gateway's, and answered as a
    network would when it is not?"""
    viewer = admin_as("viewer")
    hop = viewer.post(
        "/admin/simulator/ussd",
        {"phone": NUMBER, "action": "dial", "input": "*384*123#"},
        page="/admin/simulator",
    ).get_data(as_text=True)
    assert screen_of(hop).startswith("Choose your language")
    wrong = viewer.post(
        "/admin/simulator/ussd",
        {"phone": NUMBER, "action": "dial", "input": "*100#"},
        page="/admin/simulator",
    ).get_data(as_text=True)
    assert "Unknown code *100#" in screen_of(wrong) and "*384*123#" in screen_of(wrong)
    assert 'class="screen ended"' in wrong
