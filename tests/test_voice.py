"""The voice line through ``/at/voice``, in Africa's Talking's wire format: missed calls and the
call-backs they are owed, the spoken menu of an answered call-back, and each call's cost."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count
from typing import Any
from xml.etree import ElementTree

import pytest
import time_machine
from sqlalchemy import func, select

from gateway.contacts.models import ConsentEvent, Contact
from gateway.extensions import db
from gateway.voice.models import CallBack, VoiceCall

VOICE_NUMBER = "+254711082300"
AMINA = "+254712345678"
DAYTIME = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 12:00 in Nairobi
NIGHT = datetime(2026, 12, 2, 19, 30, tzinfo=UTC)  # 22:30 in Nairobi: quiet hours
_sessions = count(1)


class VoiceCaller:
    """One call as Africa's Talking reports it: each request form-encoded to ``/at/voice``."""

    def __init__(self, client: Any, phone: str, direction: str = "Outbound") -> None:
        self.client, self.phone, self.direction = client, phone, direction
        self.session_id = f"ATVId_test{next(_sessions)}"

    def post(self, query: dict[str, str] | None = None, **fields: str) -> Any:
        form = {
            "isActive": "1",
            "sessionId": self.session_id,
            "direction": self.direction,
            "callerNumber": self.phone,
            "destinationNumber": VOICE_NUMBER,
            **fields,
        }
        return self.client.post("/at/voice", data=form, query_string=query)

    def answer(self) -> ElementTree.Element:
        return _xml(self.post())

    def press(self, digits: str) -> ElementTree.Element:
        return _xml(self.post(dtmfDigits=digits))

    def silence(self) -> ElementTree.Element:
        """No key before the wait ran out: Africa's Talking follows our fallback redirect."""
        return _xml(self.post(query={"silent": "1"}))

    def hang_up(self, amount: str = "5.0", duration: str = "60") -> Any:
        return self.post(
            isActive="0",
            durationInSeconds=duration,
            currencyCode="KES",
            amount=amount,
            callSessionState="Completed",
            hangupCause="NORMAL_CLEARING",
        )


def _xml(response: Any) -> ElementTree.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    return ElementTree.fromstring(response.get_data())


def spoken(root: ElementTree.Element) -> str:
    """Everything the caller hears, in order, as one text."""
    return " ".join(" ".join(say.text.split()) for say in root.iter("Say") if say.text)


def text(app: Any, prompt: str, language: str, **values: object) -> str:
    return " ".join(app.extensions["catalogs"].text(prompt, language, **values).split())


def waits_for_a_key(root: ElementTree.Element) -> bool:
    digits = root.find("GetDigits")
    redirect = root.find("Redirect")
    return digits is not None and redirect is not None and "silent=1" in (redirect.text or "")


@pytest.fixture
def caller(client: Any) -> VoiceCaller:
    return VoiceCaller(client, AMINA)


# -- an answered call-back: the menu ---------------------------------------------------------


@pytest.mark.parametrize(("key", "language"), [("1", "en"), ("2", "sw")])
def test_a_first_caller_chooses_a_language_and_consents_before_anything_is_kept(
    app, caller, key, language
):
    """A first-time caller hears each language offered in its own words, then the consent
    wording in the language they chose; only their "yes" creates them, with channel voice and
    the wording's version; then the main menu speaks their language."""
    first = caller.answer()
    assert waits_for_a_key(first)
    heard = spoken(first)
    assert text(app, "voice.language.option", "en", key="1") in heard
    assert text(app, "voice.language.option", "sw", key="2") in heard
    assert text(app, "voice.language.option", "kam", key="3") in heard

    consent = caller.press(key)
    assert text(app, "voice.consent.v1", language) in spoken(consent)
    with app.app_context():
        assert db.session.scalar(select(Contact).where(Contact.phone == AMINA)) is None

    main = caller.press("1")
    heard = spoken(main)
    assert text(app, "voice.consent.thanks", language) in heard
    assert text(app, "voice.main.guides", language, key="1") in heard
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == AMINA))
        assert contact is not None and contact.language == language
        assert contact.consent_at is not None
        event = db.session.scalar(select(ConsentEvent).where(ConsentEvent.contact_id == contact.id))
        assert (event.channel, event.wording_version, event.language) == (
            "voice",
            "voice.consent.v1",
            language,
        )
        assert event.wording_text == app.extensions["catalogs"].text("voice.consent.v1", language)


def test_a_caller_who_declines_is_not_kept_and_hears_goodbye(app, caller):
    caller.answer()
    caller.press("2")  # Kiswahili
    end = caller.press("2")  # does not agree
    assert text(app, "voice.consent.declined", "sw") in spoken(end)
    assert end.find("GetDigits") is None  # nothing waits: the call ends
    with app.app_context():
        assert db.session.scalar(select(Contact).where(Contact.phone == AMINA)) is None


def _consented(app: Any, language: str = "sw") -> None:
    from gateway.contacts.service import get_or_create_contact, record_consent

    with app.app_context():
        contact = get_or_create_contact(AMINA)
        contact.language = language
        record_consent(
            contact,
            channel="sms",
            wording_version="sms.join",
            wording_text="JOIN",
            language=language,
        )
        db.session.commit()


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_known_caller_goes_straight_to_the_main_menu_in_their_language(app, caller, language):
    _consented(app, language)
    main = caller.answer()
    heard = spoken(main)
    assert text(app, "voice.welcome_back", language) in heard
    assert text(app, "voice.main.title", language) in heard
    assert text(app, "voice.main.stop", language, key="8") in heard


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_guides_are_read_chapter_by_chapter_with_repeat_next_pause_and_back(
    app, caller, language
):
    _consented(app, language)
    guides = app.extensions["guides"]
    coal = guides["coal"]
    caller.answer()
    listing = caller.press("1")
    heard = spoken(listing)
    for n, guide in enumerate(guides.values(), 1):
        assert text(app, guide.title, language) in heard
        assert text(app, "voice.list.press", language, key=str(n)) in heard

    first = caller.press("1")  # coal
    assert text(app, coal.chapters[0].text, language) in spoken(first)
    assert text(app, "voice.guides.keys", language) in spoken(first)
    assert text(app, coal.chapters[0].text, language) in spoken(caller.press("1"))  # repeat
    assert text(app, coal.chapters[1].text, language) in spoken(caller.press("2"))  # next
    # the chapter ends and no key is pressed: the next one plays
    assert text(app, coal.chapters[2].text, language) in spoken(caller.silence())
    paused = caller.press("3")
    assert text(app, "voice.player.paused", language) in spoken(paused)
    assert text(app, coal.chapters[2].text, language) in spoken(caller.press("5"))  # resumes
    back = caller.press("0")
    assert text(app, "voice.guides.title", language) in spoken(back)


def test_after_the_last_chapter_the_caller_is_told_and_taken_back(app, caller):
    _consented(app, "en")
    coal = app.extensions["guides"]["coal"]
    caller.answer()
    caller.press("1")
    root = caller.press("1")
    for _ in coal.chapters[1:]:
        root = caller.press("2")
    assert text(app, coal.chapters[-1].text, "en") in spoken(root)
    done = caller.press("2")
    assert text(app, "voice.guides.done", "en") in spoken(done)
    assert text(app, "voice.guides.title", "en") in spoken(done)


def test_a_wrong_key_or_none_replays_the_question_with_a_hint_then_goodbye(app, caller):
    _consented(app, "sw")
    caller.answer()
    again = caller.press("6")  # no such option in the main menu
    heard = spoken(again)
    assert text(app, "voice.hint.again", "sw") in heard
    assert text(app, "voice.main.title", "sw") in heard
    assert text(app, "voice.hint.again", "sw") in spoken(caller.silence())
    end = caller.press("*")
    assert text(app, "voice.goodbye", "sw") in spoken(end)
    assert end.find("GetDigits") is None


def test_a_caller_changes_their_language_by_phone(app, caller):
    _consented(app, "en")
    caller.answer()
    caller.press("7")
    changed = caller.press("2")
    assert text(app, "voice.language.changed", "sw") in spoken(changed)
    assert text(app, "voice.main.title", "sw") in spoken(changed)
    with app.app_context():
        assert db.session.scalar(select(Contact.language).where(Contact.phone == AMINA)) == "sw"


def test_stop_all_messages_by_phone_opts_out_everywhere(app, caller):
    _consented(app, "sw")
    caller.answer()
    caller.press("8")
    end = caller.press("1")
    assert text(app, "voice.stop.done", "sw") in spoken(end)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == AMINA))
        assert contact.opted_out_at is not None and contact.opt_out_channel == "voice"


# -- missed calls and call-backs -------------------------------------------------------------


def _missed_call(client: Any, phone: str = AMINA) -> ElementTree.Element:
    return _xml(VoiceCaller(client, phone, direction="Inbound").post())


def _callbacks(app: Any) -> list[CallBack]:
    with app.app_context():
        rows = db.session.scalars(select(CallBack).order_by(CallBack.id)).all()
        db.session.expunge_all()
    return list(rows)


def test_a_missed_call_is_rejected_for_free_and_owed_one_call_back_per_cooldown(app, client):
    with time_machine.travel(DAYTIME, tick=False):
        root = _missed_call(client)
        assert [child.tag for child in root] == ["Reject"]
        _missed_call(client)  # again within the cooldown: no second call-back
    with time_machine.travel(DAYTIME.replace(minute=11), tick=False):
        _missed_call(client)  # 11 minutes later: a new one
    owed = _callbacks(app)
    assert [c.status for c in owed] == ["waiting", "waiting"]
    assert all(c.phone == AMINA for c in owed)


def test_no_call_back_to_a_number_outside_kenya(app, client):
    with time_machine.travel(DAYTIME, tick=False):
        assert [c.tag for c in _missed_call(client, "+447911123456")] == ["Reject"]
    assert _callbacks(app) == []


def test_in_the_quiet_hours_the_call_back_waits_and_a_consenting_caller_is_told(
    app, client, workers, emulator
):
    _consented(app, "sw")
    with time_machine.travel(NIGHT, tick=False):
        _missed_call(client)
        workers.drain()
    (owed,) = _callbacks(app)
    assert owed.status == "waiting"
    assert owed.due_at.astimezone(UTC) == datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # 07:00 EAT
    (notice,) = [m["text"] for m in emulator.messages() if m["to"] == AMINA]
    assert notice.startswith("HMK: tumepokea simu yako. Tutakupigia bure")
    assert re.search(r"\b07:00\b", notice)


def test_no_call_back_while_the_months_budget_is_spent(app, client):
    from dataclasses import replace

    app.config["GATEWAY"] = replace(app.config["GATEWAY"], monthly_budget_kes=5.0)
    with time_machine.travel(DAYTIME, tick=False):
        spent = VoiceCaller(client, "+254722000111")
        spent.answer()
        assert spent.hang_up(amount="5.0").status_code == 200
        _missed_call(client)
    (held,) = _callbacks(app)
    assert held.status == "held"


# -- the final request: a call's cost, once ---------------------------------------------------


def test_the_final_request_counts_the_call_and_its_cost_once(app, caller):
    from gateway.spend import spent_this_month

    caller.answer()
    first = caller.hang_up(amount="5.0000", duration="62")
    again = caller.hang_up(amount="5.0000", duration="62")
    assert first.get_data(as_text=True) == "counted"
    assert again.get_data(as_text=True) == "duplicate: already counted"
    with app.app_context():
        call = db.session.scalar(select(VoiceCall).where(VoiceCall.session_id == caller.session_id))
        assert (call.duration_s, call.amount, call.hangup_cause) == (
            62,
            Decimal("5.0000"),
            "NORMAL_CLEARING",
        )
        assert call.state is None
        assert spent_this_month(app.config["GATEWAY"]) == Decimal("5.0000")


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"isActive": "2"}, "field 'isActive' must be 0 or 1"),
        ({"isActive": "0", "amount": "lots"}, "field 'amount' is not a number"),
        ({"isActive": "0", "durationInSeconds": "-3"}, "field 'durationInSeconds' is not a whole"),
        ({"isActive": "0", "direction": "Sideways"}, "field 'direction' must be Inbound or"),
    ],
)
def test_a_malformed_request_gets_400_with_the_reason(client, fields, reason):
    form = {
        "sessionId": "ATVId_bad",
        "direction": "Outbound",
        "callerNumber": AMINA,
        "destinationNumber": VOICE_NUMBER,
        "durationInSeconds": "10",
        "amount": "1.0",
        **fields,
    }
    response = client.post("/at/voice", data=form)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_a_live_call_with_a_field_we_cannot_use_hears_a_goodbye(app, client):
    response = client.post(
        "/at/voice",
        data={
            "isActive": "1",
            "sessionId": "ATVId_x",
            "direction": "Outbound",
            "callerNumber": "hello",
        },
    )
    root = _xml(response)
    assert spoken(root) == text(app, "voice.goodbye", "en")


# -- a spoken report ------------------------------------------------------------------------


def _wav(seconds: float = 1.0) -> bytes:
    import io
    import math
    import struct
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        frames = int(8000 * seconds)
        w.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(n / 5))) for n in range(frames))
        )
    return out.getvalue()


@pytest.fixture
def file_host() -> Any:
    """Africa's Talking's recordings store: a real HTTP server serving the files it is given."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    files: dict[str, tuple[str, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            found = files.get(self.path)
            if found is None:
                self.send_error(404)
                return
            mime, body = found
            self.send_response(200)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    class Host:
        def put(self, path: str, body: bytes, mime: str = "audio/wav") -> str:
            files[path] = (mime, body)
            return f"http://127.0.0.1:{server.server_port}{path}"

        def url(self, path: str) -> str:
            return f"http://127.0.0.1:{server.server_port}{path}"

    yield Host()
    server.shutdown()
    server.server_close()


def _report_by_voice(caller: VoiceCaller, category_key: str, anonymity_key: str, url: str) -> Any:
    caller.answer()
    caller.press("4")
    caller.press(category_key)
    record = caller.press(anonymity_key)
    assert record.find("Record") is not None
    return _xml(caller.post(recordingUrl=url))


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_named_spoken_report_is_kept_with_its_recording_and_its_reference_texted(
    app, caller, workers, emulator, file_host, language
):
    from gateway.reports.models import Report
    from gateway.voice.models import AudioClip, VoiceRecording

    _consented(app, language)
    audio = _wav()
    url = file_host.put("/rec/1.wav", audio)
    thanks = _report_by_voice(caller, "1", "1", url)  # land, with my number
    assert text(app, "voice.report.thanks", language) in spoken(thanks)
    workers.drain()
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert (report.category, report.channel, report.anonymous, report.language) == (
            "land",
            "voice",
            False,
            language,
        )
        recording = db.session.scalar(select(VoiceRecording))
        assert (recording.status, recording.report_id) == ("stored", report.id)
        clip = db.session.get(AudioClip, recording.audio_id)
        assert (clip.mime, clip.data) == ("audio/wav", audio)
        reference = report.reference
    (receipt,) = [m["text"] for m in emulator.messages() if m["to"] == AMINA]
    assert reference in receipt


def test_an_anonymous_security_report_by_voice_is_sensitive_and_keeps_no_link(
    app, caller, workers, emulator, file_host
):
    from gateway.reports.models import Report
    from gateway.voice.models import VoiceRecording

    _consented(app, "sw")
    url = file_host.put("/rec/2.wav", _wav())
    _report_by_voice(caller, "5", "2", url)  # security, anonymous
    workers.drain()
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert (report.category, report.sensitive, report.anonymous, report.contact_id) == (
            "security",
            True,
            True,
            None,
        )
        recording = db.session.scalar(select(VoiceRecording))
        assert (recording.status, recording.contact_id, recording.call_id) == ("stored", None, None)
    assert [m for m in emulator.messages() if m["to"] == AMINA] == []


def test_a_recording_that_cannot_be_fetched_is_kept_as_audio_missing(
    app, caller, workers, file_host
):
    from gateway.reports.models import Report
    from gateway.voice.models import VoiceRecording

    _consented(app, "en")
    not_audio = file_host.put("/rec/3.wav", b"<html>expired</html>", mime="text/html")
    _report_by_voice(caller, "1", "1", not_audio)
    workers.drain()
    with app.app_context():
        recording = db.session.scalar(select(VoiceRecording))
        assert (recording.status, recording.audio_id) == ("missing", None)
        assert db.session.scalar(select(Report.channel)) == "voice"  # the report itself stays


def test_the_dashboard_shows_what_calls_cost_and_how_many_call_backs_the_budget_held(
    app, client, admin_as
):
    from dataclasses import replace

    app.config["GATEWAY"] = replace(app.config["GATEWAY"], monthly_budget_kes=5.0)
    with time_machine.travel(DAYTIME, tick=False):
        costly = VoiceCaller(client, "+254722000111")
        costly.answer()
        costly.hang_up(amount="7.5")
        _missed_call(client)  # held: the budget is spent
        page = admin_as().client.get("/admin/").get_data(as_text=True)
    line = re.search(r'<p id="voice-spend">(.*?)</p>', page, re.S)
    assert line is not None
    assert "7.50" in line.group(1) and line.group(1).rstrip().endswith(": 1")


# -- end to end: a missed call, the call-back through the SDK, the menu on the phone ----------


def test_a_missed_call_is_called_back_through_the_sdk_and_hears_the_menu(app, voice_line, workers):
    """Amina rings the voice number: the call is rejected (free), the worker asks Africa's
    Talking (the emulator, through the SDK) to call her back, she answers, chooses Kiswahili,
    agrees, and hears the main menu; a second missed call within the cooldown rings nothing."""
    from tests.voice_phone import Phone, call_requests, heard

    phone = Phone(voice_line.url, AMINA)
    missed = phone.dial(to=VOICE_NUMBER)
    assert [a["action"] for a in missed["actions"]] == ["Reject"]
    workers.drain()
    (request,) = call_requests(voice_line.url)
    assert (request["from"], request["to"]) == (VOICE_NUMBER, [AMINA])

    phone.ringing()
    answered = phone.wait_answered()
    assert answered["direction"] == "Outbound"
    first = " ".join(heard(phone.call()["transcript"][-1]))
    assert text(app, "voice.language.option", "sw", key="2") in first
    phone.press("2")
    menu = phone.press("1")
    assert text(app, "voice.main.guides", "sw", key="1") in " ".join(heard(menu))
    phone.hangup(duration_s=90)

    Phone(voice_line.url, AMINA).dial(to=VOICE_NUMBER)  # again, within the cooldown
    workers.drain()
    assert len(call_requests(voice_line.url)) == 1
    with app.app_context():
        (callback,) = db.session.scalars(select(CallBack)).all()
        assert (callback.status, callback.session_id) == ("placed", phone.session_id)
        calls = {c.session_id: c for c in db.session.scalars(select(VoiceCall))}
        back = calls[phone.session_id]
        assert (back.direction, back.duration_s, back.amount) == ("out", 90, Decimal("10.00"))
        missed_calls = [c for c in calls.values() if c.direction == "in"]
        assert len(missed_calls) == 2 and all(c.amount == 0 for c in missed_calls)


# -- personal data: the export, FUTA, and work left behind by a lost job -----------------------


def test_futa_erases_the_number_from_every_voice_row_the_recordings_and_redis(
    app, at, client, workers, emulator, file_host, redis
):
    from gateway.contacts.export import collect
    from gateway.voice.models import AudioClip
    from tests.test_privacy import _texts_holding

    _consented(app, "sw")
    with time_machine.travel(NIGHT, tick=True):
        _missed_call(client)  # a call-back owed for the morning, and the cooldown key in Redis
        caller = VoiceCaller(client, AMINA)
        _report_by_voice(caller, "1", "1", file_host.put("/rec/9.wav", _wav()))
        caller.hang_up()
        workers.drain()
        with app.app_context():
            exported = collect(db.session.scalar(select(Contact).where(Contact.phone == AMINA)))
        assert [c["direction"] for c in exported["voice_calls"]] == ["in", "out"]
        assert [c["status"] for c in exported["voice_callbacks"]] == ["waiting"]
        assert redis.keys("voice:callback:+254712345678:*")
        at.sms(AMINA, "FUTA")
        workers.drain()
        at.sms(AMINA, "FUTA")
        workers.drain()
    assert _texts_holding(app, "712345678") == []
    assert redis.keys("voice:callback:+254712345678:*") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AudioClip)) == 0
        (callback,) = db.session.scalars(select(CallBack)).all()
        assert callback.status == "failed"  # nobody is called back after deleting their data


def test_a_waiting_call_back_whose_job_was_lost_is_placed_once_by_the_sweep(
    app, client, voice_line, workers, redis
):
    from rq import Queue

    from gateway.voice.callbacks import recover_voice_work
    from tests.voice_phone import call_requests

    with time_machine.travel(DAYTIME, tick=True) as clock:
        _missed_call(client)
        for name in ("default",):
            Queue(name, connection=redis).empty()  # Redis lost the job
        clock.shift(120)
        with app.app_context():
            assert recover_voice_work() == {"callbacks": 1, "recordings": 0}
            assert recover_voice_work() == {"skipped": 1}  # its lock: once a minute at most
        workers.drain()
        workers.drain()
    assert len(call_requests(voice_line.url)) == 1
    assert [c.status for c in _callbacks(app)] == ["placed"]


def test_a_spoken_report_plays_in_the_reports_inbox_and_staff_type_its_transcript(
    app, caller, workers, emulator, file_host, admin_as
):
    from gateway.reports.models import Report
    from gateway.users.models import AuditEvent

    _consented(app, "sw")
    audio = _wav()
    _report_by_voice(caller, "1", "1", file_host.put("/rec/7.wav", audio))
    workers.drain()
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    admin = admin_as()
    page = admin.get(f"/admin/reports/{report_id}").get_data(as_text=True)
    player = re.search(r'<audio controls preload="none" src="([^"]+)">', page)
    assert player is not None
    served = admin.client.get(player.group(1))
    assert (served.status_code, served.mimetype, served.data) == (200, "audio/wav", audio)
    saved = admin.post(
        f"/admin/reports/{report_id}/transcript",
        {"transcript": "Maji ya mto yamechafuka tangu Jumatatu."},
        page=f"/admin/reports/{report_id}",
    )
    assert saved.status_code == 302
    again = admin.get(f"/admin/reports/{report_id}").get_data(as_text=True)
    assert "Maji ya mto yamechafuka tangu Jumatatu.</textarea>" in again
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.action).where(AuditEvent.action == "report.transcript")
        )
    viewer = admin_as("viewer")
    refused = viewer.post(
        f"/admin/reports/{report_id}/transcript",
        {"transcript": "x"},
        page=f"/admin/reports/{report_id}",
    )
    assert refused.status_code == 403


def test_a_spoken_report_whose_audio_is_missing_says_so_in_the_inbox(
    app, caller, workers, file_host, admin_as
):
    from gateway.reports.models import Report

    _consented(app, "en")
    _report_by_voice(caller, "1", "1", file_host.put("/rec/8.wav", b"gone", mime="text/plain"))
    workers.drain()
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    page = admin_as().get(f"/admin/reports/{report_id}").get_data(as_text=True)
    assert "<audio" not in page
    assert "The recording could not be fetched from Africa&#39;s Talking (audio missing)." in page
