"""Beep to vote on radio: a missed call to a poll option's voice number is a free vote, by
channel ``voice``, driven through the bundled emulator's phone (Africa's Talking's wire format
to ``/at/voice`` over real HTTP) with real RQ workers, Redis and the database."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from factories import joined_contact
from sqlalchemy import func, select
from werkzeug.serving import make_server

from gateway.contacts.models import Contact
from gateway.encoding import transliterate
from gateway.extensions import db
from gateway.polls.models import Vote
from gateway.voice.models import VoiceCall
from tests.voice_phone import Phone, call_requests, configure_voice

EAT = ZoneInfo("Africa/Nairobi")
THURSDAY = datetime(2026, 12, 3, 19, 10, tzinfo=EAT)  # the show is on air: Thursdays 19-20
MORNING = datetime(2026, 12, 2, 10, 0, tzinfo=EAT)  # no show on air
YES, NO, UNSURE = "+254711082301", "+254711082302", "+254711082303"  # the options' numbers
MAIN = "+254711082300"  # the main voice number (call-backs)
SW, EN, NEW = "+254712000001", "+254712000002", "+254733000009"
POLL = {
    "keyword": "MADINI",
    "question": {"en": "Should the mine publish its EIA?", "sw": "Je, mgodi uchapishe EIA?"},
    "options": [{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}, {"en": "Not sure"}],
    "voice_numbers": [YES, "0711 082 302", UNSURE],
}
SHOW = {
    "station": "Kitui Community Radio",
    "name": "Madini Ni Yetu",
    "keywords": ["MADINI"],
    "schedule": [{"weekday": 3, "start": "19:00", "end": "20:00"}],
}


@pytest.fixture
def line(app: Any, emulator: Any) -> Any:
    """The gateway over real HTTP, and the emulator's voice line posting to it."""
    from dataclasses import replace

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}"
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], at_api_url=emulator.url, public_url=url)
    configure_voice(emulator.url, voice_url=f"{url}/at/voice", auto_answer=True)
    yield emulator
    configure_voice(emulator.url, voice_url=None)
    server.shutdown()
    server.server_close()


def make_poll(api: Any, when: datetime, **changes: Any) -> dict[str, Any]:
    """The poll MADINI through the API, open from ``when`` for ten days."""
    body = {
        **POLL,
        "opens_at": when.isoformat(),
        "closes_at": (when + timedelta(days=10)).isoformat(),
        **changes,
    }
    with time_machine.travel(when - timedelta(minutes=5)):
        response = api.post("/polls", json=body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def beep(line: Any, phone: str, to: str) -> dict[str, Any]:
    """A missed call from ``phone`` to ``to``: what the phone was answered."""
    return Phone(line.url, phone).dial(to=to)


def votes(app: Any) -> dict[str, tuple[int, str]]:
    """Each voter's counted vote: (option position, channel)."""
    from gateway.polls.models import PollOption

    with app.app_context():
        rows = db.session.execute(
            select(Contact.phone, PollOption.position, Vote.channel)
            .join(Contact, Contact.id == Vote.contact_id)
            .join(PollOption, PollOption.id == Vote.option_id)
        )
        return {phone: (position, channel) for phone, position, channel in rows}


def sms_to(emulator: Any, phone: str) -> list[str]:
    return [m["text"] for m in emulator.messages() if m["to"] == phone]


def thanks(app: Any, language: str, choice: str) -> str:
    text = app.extensions["catalogs"].text(
        "sms.poll.thanks", language, choice=choice, keyword="MADINI"
    )
    return transliterate(text)


def test_a_beep_to_an_options_number_is_a_free_vote_by_voice(app, api, line, workers):
    """Can a listener vote by a missed call to an option's number: rejected at once (free),
    counted for that option with channel voice in the results, thanked in their language, and
    never called back."""
    joined_contact(app, SW, "sw")
    poll = make_poll(api, MORNING)
    assert [o["voice_number"] for o in poll["options"]] == [YES, NO, UNSURE]
    with time_machine.travel(MORNING):
        answered = beep(line, SW, NO)
        assert [a["action"] for a in answered["actions"]] == ["Reject"]
        assert answered["final"]["amount"] == "0.00"
        workers.drain()
        results = api.get(f"/polls/{poll['id']}/results").json
    assert votes(app) == {SW: (2, "voice")}
    assert [o["votes"] for o in results["options"]] == [0, 1, 0]
    channels = {g["value"]: g["total"] for g in results["by"]["channel"]}
    assert channels == {"voice": 1}
    assert sms_to(line, SW) == [thanks(app, "sw", "Hapana")]
    assert call_requests(line.url) == []  # a vote is never called back
    with app.app_context():
        call = db.session.scalar(select(VoiceCall))
        assert (call.purpose, call.amount, call.ended_at is not None) == ("vote", 0, True)
    assert workers.failed() == []


def test_the_latest_beep_counts_and_repeated_requests_count_once(app, api, line, workers, client):
    """Does a caller who beeps one option and then another have one vote, the latest, however
    often Africa's Talking repeats each call's final request (the first call's repeat, late,
    does not bring its option back); and does a call whose first request never came count
    from its final request, once."""
    joined_contact(app, EN, "en")
    make_poll(api, MORNING)
    with time_machine.travel(MORNING):
        first = Phone(line.url, EN)
        first.dial(to=YES)
        second = Phone(line.url, EN)
        second.dial(to=UNSURE)
        second.hangup()  # a call that ended: its final request posted again
        first.hangup(twice=True)  # the first call's final, twice more, late
        assert votes(app) == {EN: (3, "voice")}

        final = {
            "isActive": "0",
            "sessionId": "ATVId_only_final",
            "direction": "Inbound",
            "callerNumber": NEW,
            "destinationNumber": YES,
            "durationInSeconds": "0",
            "currencyCode": "KES",
            "amount": "0",
            "callSessionState": "Completed",
            "hangupCause": "CALL_REJECTED",
        }
        for _ in range(2):
            assert client.post("/at/voice", data=final).status_code == 200
        workers.drain()
    assert votes(app) == {EN: (3, "voice"), NEW: (1, "voice")}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Vote)) == 2
        newcomer = db.session.scalar(select(Contact).where(Contact.phone == NEW))
        assert newcomer is not None and newcomer.consent_at is None  # a vote is no consent
    assert sms_to(line, NEW) == []  # no consent to messages: no thank-you
    assert len(sms_to(line, EN)) == 2  # no show on air: each vote is thanked as by SMS
    assert call_requests(line.url) == []


def test_a_number_of_no_open_poll_is_rejected_and_counts_nothing(app, api, line, workers):
    """Is a beep to a number that is no open poll's option (an unknown number, or the option
    of a poll that closed) rejected, with no vote, no contact made and no call-back, while the
    main number still calls back."""
    make_poll(api, MORNING - timedelta(days=20))  # closed ten days before
    with time_machine.travel(MORNING):
        for number in (YES, "+254711082399"):
            answered = beep(line, NEW, number)
            assert [a["action"] for a in answered["actions"]] == ["Reject"]
        workers.drain()
        assert call_requests(line.url) == []
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
            assert db.session.scalar(select(Contact).where(Contact.phone == NEW)) is None
            purposes = db.session.scalars(select(VoiceCall.purpose)).all()
            assert purposes == ["missed", "missed"]
        beep(line, NEW, MAIN)
        workers.drain()
    assert [r["to"] for r in call_requests(line.url)] == [[NEW]]


def test_a_shows_beep_voters_are_thanked_once_an_episode_and_tallied_live(app, api, line, workers):
    """During the show, are a listener's beeps thanked once per episode in their language
    (two votes: one SMS; next week's episode: another), and do the studio's poll bars count
    the voice votes with the SMS ones as they come."""
    joined_contact(app, SW, "sw")
    joined_contact(app, EN, "en")
    poll = make_poll(api, THURSDAY - timedelta(hours=1))
    with time_machine.travel(THURSDAY - timedelta(hours=1)):
        show = api.post("/radio/shows", json={**SHOW, "poll_id": poll["id"]}).json
    tally_path = f"/radio/shows/{show['id']}/tally"
    with time_machine.travel(THURSDAY):
        beep(line, SW, YES)
        assert api.get(tally_path).json["poll"]["votes"] == 1  # live: no worker needed
        beep(line, SW, NO)
        beep(line, EN, UNSURE)
        workers.drain()
        bars = api.get(tally_path).json["poll"]
    assert [o["votes"] for o in bars["options"]] == [0, 1, 1]
    assert sms_to(line, SW) == [thanks(app, "sw", "Ndiyo")]
    assert sms_to(line, EN) == [thanks(app, "en", "Not sure")]

    with time_machine.travel(THURSDAY + timedelta(days=7)):
        beep(line, SW, UNSURE)
        workers.drain()
    assert sms_to(line, SW) == [thanks(app, "sw", "Ndiyo"), thanks(app, "sw", "Not sure")]
    assert votes(app) == {SW: (3, "voice"), EN: (3, "voice")}
    assert workers.failed() == []


def test_two_open_polls_cannot_share_a_voice_number(app, api, admin_as):
    """Is a voice number refused, with a clear reason, in the API and in the admin form, when
    a poll open at the same time has it, when two options share one, or when it is the main
    voice number; and does the poll page tell listeners which number votes what."""
    poll = make_poll(api, MORNING)
    later = {"opens_at": (MORNING + timedelta(days=3)).isoformat(), "keyword": "MAJI"}
    with time_machine.travel(MORNING):
        taken = api.post("/polls", json={**POLL, **later, "closes_at": "2026-12-30T10:00:00Z"})
        assert taken.status_code == 400, taken.json
        reason = taken.json["errors"]["json"]["voice_numbers"]
        assert reason == [
            f"Voice number {YES} is already an option's in poll MADINI, open at the same time; "
            "two open polls cannot share a number."
        ]
        twice = {**POLL, **later, "closes_at": "2026-12-30T10:00:00Z"}
        twice["voice_numbers"] = ["+254711082311", "+254711082311"]
        assert "given to two options" in str(api.post("/polls", json=twice).json)
        twice["voice_numbers"] = [MAIN]
        assert "main voice number" in str(api.post("/polls", json=twice).json)
        # After MADINI has closed, its numbers are free again.
        after = {**POLL, "keyword": "MAJI", "opens_at": "2026-12-13T00:00:00Z"}
        assert api.post("/polls", json={**after, "closes_at": "2026-12-20T00:00:00Z"}).json

        session = admin_as("admin")
        form = {
            "keyword": "kisima",
            "question_en": "Is the borehole working?",
            "option1_en": "Yes",
            "option2_en": "No",
            "option1_voice": "0711 082 301",
            "closes_at": "2026-12-05T18:00",
        }
        refused = session.post("/admin/polls", form, page="/admin/polls/new")
        assert refused.status_code == 422
        page = refused.get_data(as_text=True)
        assert (
            f"Voice number {YES} already belongs to poll MADINI, open at the same time: "
            "two open polls cannot share a number."
        ) in page
        page = session.get(f"/admin/polls/{poll['id']}").get_data(as_text=True)
    assert f"Call {NO} to vote No" in page and f"Call {YES} to vote Yes" in page
