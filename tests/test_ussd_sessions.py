"""USSD sessions on real networks: dropped sessions resumed, lost state rebuilt, Redis down."""

from __future__ import annotations

import time

import factories
import pytest
from sqlalchemy import func, select

from gateway.embedded_redis import EmbeddedRedis
from gateway.extensions import db
from gateway.polls.models import Vote
from gateway.reports.models import Report
from gateway.ussd.sessions import RESUME_TTL_S

NUMBER = "+254712345678"


@pytest.fixture
def caller(phone, app):
    factories.joined_contact(app, NUMBER, language="en")
    phone.lang = "en"
    phone.dial()
    return phone


def start_report(caller) -> None:
    caller.choose("Report a problem")
    caller.choose("Water and environment")
    caller.choose("Mui")
    caller.press("Pipe burst near the school")
    assert caller.screen.startswith("CON Stay anonymous?")


def reports(app) -> list[Report]:
    with app.app_context():
        rows = db.session.scalars(select(Report)).all()
        db.session.expunge_all()
        return list(rows)


def test_a_dropped_report_is_resumed_on_the_next_dial(caller, app, at):
    """When a session drops in the middle of a report, does the next dial offer to continue,
    and does continuing keep what was already typed."""
    start_report(caller)
    at.session_ended(NUMBER, caller.session_id, status="Incomplete")
    offer = caller.dial()
    assert offer.startswith("CON You did not finish last time. Continue where you left off?")
    assert "1. Yes" in offer and "2. No" in offer
    back_in = caller.press("1")
    assert back_in.startswith("CON Stay anonymous?")
    caller.press("2", "1")
    assert caller.ended and "Reference: R-" in caller.screen
    [report] = reports(app)
    assert report.description == "Pipe burst near the school" and report.ward == "Mui"
    assert caller.dial().startswith("CON Haki Madini Kenya")  # finished: no offer any more


def test_declining_to_resume_starts_afresh(caller, app):
    """Does saying No to 'continue' go to the menu and forget the dropped report."""
    start_report(caller)
    caller.dial()
    assert caller.press("2").startswith("CON Haki Madini Kenya")
    assert caller.dial().startswith("CON Haki Madini Kenya")
    assert reports(app) == []


def test_the_offer_lasts_fifteen_minutes(caller, redis):
    """Is the resume point kept for 15 minutes, and gone after that."""
    start_report(caller)
    key = f"ussd:resume:{NUMBER}"
    assert RESUME_TTL_S == 15 * 60
    assert RESUME_TTL_S - 5 <= redis.ttl(key) <= RESUME_TTL_S
    redis.pexpire(key, 1)  # as if the 15 minutes had passed
    time.sleep(0.01)
    assert caller.dial().startswith("CON Haki Madini Kenya")


def test_a_dropped_vote_is_resumed(caller, app):
    """Can a caller who dropped on a poll's options pick up there and vote."""
    factories.polls(app)
    caller.choose("Polls")
    caller.choose("Should the county")
    options = caller.screen
    caller.dial()
    caller.press("1")
    assert caller.screen == options
    caller.press("3")
    assert caller.ended and "Not sure" in caller.screen
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Vote)) == 1


def test_lost_session_state_is_rebuilt_from_the_inputs(caller, app, redis):
    """If Redis loses the session's state mid-report, is the position rebuilt from the inputs
    Africa's Talking sends, so the report still completes correctly."""
    start_report(caller)
    for key in redis.scan_iter("ussd:session:*"):
        redis.delete(key)
    assert caller.press("1").startswith("CON Send this report?")
    assert "Pipe burst near" in caller.screen and "Anonymous: Yes" in caller.screen
    caller.press("1")
    [report] = reports(app)
    assert report.anonymous and report.description == "Pipe burst near the school"


def test_a_star_inside_free_text_is_kept(caller, app):
    """A '*' typed in a description looks like Africa's Talking's separator; with the session
    state the gateway still reads the whole description."""
    caller.choose("Report a problem")
    caller.choose("Health")
    caller.choose("Mui")
    caller.press("Cough in Mui*Nuu since blasting")
    assert caller.screen.startswith("CON Stay anonymous?")
    caller.press("1", "1")
    [report] = reports(app)
    assert report.description == "Cough in Mui*Nuu since blasting"


def test_a_repeated_confirmation_hop_saves_one_report(caller, app, at):
    """If the confirming hop arrives twice, is the report saved once, with one reference."""
    start_report(caller)
    caller.press("1")
    text = "*".join([*caller.inputs, "1"])
    first = at.ussd(NUMBER, text, caller.session_id).get_data(as_text=True)
    again = at.ussd(NUMBER, text, caller.session_id).get_data(as_text=True)
    assert first == again and first.startswith("END ")
    [report] = reports(app)
    assert report.reference in first


def test_redis_down_every_hop_gets_a_polite_end_in_the_callers_language(app, make_app):
    """With Redis unreachable, does every hop still get HTTP 200 and an END screen in the
    caller's own language."""
    factories.joined_contact(app, NUMBER, language="sw")
    down = make_app(redis_url="redis://127.0.0.1:1/0")
    client = down.test_client()
    for text in ("", "1", "5*2*1"):
        response = client.post(
            "/at/ussd",
            data={
                "sessionId": "ATUid_down",
                "serviceCode": "*384*123#",
                "phoneNumber": NUMBER,
                "networkCode": "63902",
                "text": text,
            },
        )
        assert response.status_code == 200
        busy = app.extensions["catalogs"].text("ussd.unavailable", "sw")
        assert busy.startswith("Samahani")
        assert response.get_data(as_text=True) == f"END {busy}"


def test_a_confirmed_report_survives_redis_going_down(app, make_app, tmp_path):
    """A report confirmed before Redis failed is kept, and callers after it get a polite END."""
    factories.joined_contact(app, NUMBER, language="en")
    with EmbeddedRedis(tmp_path / "redis") as server:
        own = make_app(redis_url=server.url)
        from conftest import AfricasTalking, Phone

        phone = Phone(AfricasTalking(own.test_client()), own, NUMBER)
        phone.dial()
        start_report(phone)
        phone.press("1", "1")
        assert phone.ended and "Reference: R-" in phone.screen
        reference = phone.screen.split("Reference: ")[1][:8]
    # The Redis server has stopped.
    assert phone.dial().startswith("END Sorry, the service is busy")
    [report] = reports(app)
    assert report.description == "Pipe burst near the school" and report.reference == reference
