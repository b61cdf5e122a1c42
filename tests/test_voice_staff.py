"""Staff record voice prompts by phone: a user's phone number and voice PIN set on the Users
page; their call to the voice number answered (not rejected, no call-back) into the PIN, the
language, the prompt's number from the Voice prompts page, its script, a take, listening, and
keeping it through the upload's checks; wrong PINs and the lock; ordinary callers unchanged.
Calls are driven as a phone through the emulator (a real HTTP server) against the gateway
served over real HTTP."""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
import soundfile
import time_machine
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from gateway.extensions import db
from gateway.users.models import AuditEvent, User
from gateway.voice.models import AudioClip, VoiceCall, VoicePrompt
from tests.voice_phone import Phone, call_requests, configure_voice, heard

VOICE_NUMBER = "+254711082300"
STAFF = "+254722000111"
AMINA = "+254712345678"
PIN = "739164"
DAYTIME = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 12:00 in Nairobi
PROMPT = "voice.main.title"  # what a consenting caller hears first


@pytest.fixture
def line(app: Flask, emulator: Any) -> Iterator[Any]:
    """The gateway over real HTTP, with the emulator posting the voice number's calls to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway = f"http://127.0.0.1:{server.port}"
    app.config["GATEWAY"] = replace(
        app.config["GATEWAY"], at_api_url=emulator.url, public_url=gateway
    )
    configure_voice(emulator.url, voice_url=f"{gateway}/at/voice", auto_answer=True)
    yield emulator
    configure_voice(emulator.url, voice_url=None)
    server.shutdown()
    server.server_close()


def speech(seconds: float = 1.5, level: float = 0.1) -> bytes:
    """A WAV at speech loudness (a tone of its own length, so a file of its own)."""
    t = np.arange(int(seconds * 8000)) / 8000
    out = io.BytesIO()
    soundfile.write(
        out,
        (level * np.sin(2 * np.pi * 440 * t)).astype("float32"),
        8000,
        format="WAV",
        subtype="PCM_16",
    )
    return out.getvalue()


def text(app: Flask, prompt: str, language: str, **values: object) -> str:
    return str(app.extensions["catalogs"].text(prompt, language, **values))


def said(result: dict[str, Any]) -> str:
    return " ".join(heard(result))


@pytest.fixture
def staff(
    app: Flask, admin_as: Callable[..., Any], make_user: Callable[..., int]
) -> Callable[..., int]:
    """A coordinator whose phone number and voice PIN an admin set on the Users page."""

    def make(language: str = "en", phone: str = "0722 000 111", pin: str = PIN) -> int:
        user_id = make_user("coordinator", counties=("Kitui",), language=language)
        admin = admin_as("admin")
        saved = admin.post(
            f"/admin/users/{user_id}/voice",
            {"phone": phone, "voice_pin": pin},
            page=f"/admin/users/{user_id}",
        )
        assert saved.status_code == 302, saved.get_data(as_text=True)
        return user_id

    return make


def number_of(admin: Any, key: str) -> str:
    """The number the Voice prompts page shows for ``key``."""
    page = admin.get("/admin/voice/prompts").get_data(as_text=True)
    found = re.search(rf'<tr id="prompt-{re.escape(key)}">\s*<td class="number">(\d+)</td>', page)
    assert found, page[:2000]
    return found.group(1)


def sign_in(app: Flask, phone: Phone, language: str, pin: str = PIN) -> dict[str, Any]:
    dialled = phone.dial(to=VOICE_NUMBER)
    assert [a["action"] for a in dialled["actions"]] != ["Reject"]
    assert text(app, "voice.staff.pin", language) in said(dialled)
    assert dialled["actions"][0]["numDigits"] == "8" and dialled["waiting_for"] == "digits"
    return phone.press(pin)


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_staff_member_records_a_prompt_by_phone_and_callers_hear_it(
    app, line, workers, staff, admin_as, caplog, language
):
    """A coordinator with a phone number and voice PIN calls the voice number: the call is
    answered (no Reject, no call-back), they key the PIN, choose the language, key a wrong
    number (hint) then the prompt's number from the Voice prompts page, hear its script,
    record, listen, and keep it: it is stored as the prompt's recording (audited with them),
    the admin page plays it, and an ordinary caller of that language hears it. The PIN is in
    no log, no call state and no audit event."""
    caplog.set_level(logging.DEBUG)
    staff_id = staff(language)
    admin = admin_as("admin")
    number = number_of(admin, PROMPT)
    phone = Phone(line.url, STAFF)

    languages = sign_in(app, phone, language)
    assert text(app, "voice.staff.language", language) in said(languages)
    asked = phone.press("2" if language == "sw" else "1")
    assert text(app, "voice.staff.prompt_number", language) in said(asked)
    assert asked["actions"][0]["finishOnKey"] == "#"
    unknown = phone.press("9999")
    assert text(app, "voice.staff.prompt_unknown", language) in said(unknown)
    assert text(app, "voice.staff.prompt_number", language) in said(unknown)

    script = phone.press(number)
    assert text(app, "voice.staff.script", language) in said(script)
    assert text(app, PROMPT, language) in said(script)  # the script, read out
    assert script["waiting_for"] == "recording"
    take = speech()
    listened = phone.record(take)
    assert text(app, "voice.staff.take", language) in said(listened)
    take_url = next(a for a in heard(listened) if "/_emulator/voice/recordings/" in a)
    assert text(app, "voice.staff.keep", language, key="1") in said(listened)
    kept = phone.press("1")
    assert text(app, "voice.staff.kept", language) in said(kept)
    phone.hangup(duration_s=70)
    workers.drain()
    assert call_requests(line.url) == []  # answered, not called back: HMK places no call

    with app.app_context():
        prompt = db.session.scalar(
            select(VoicePrompt).where(VoicePrompt.key == PROMPT, VoicePrompt.language == language)
        )
        assert (prompt.source, prompt.recorded_by_id, prompt.placeholder) == (
            "phone",
            staff_id,
            False,
        )
        clip = db.session.get(AudioClip, prompt.audio_id)
        assert clip.data == take
        sha = clip.sha256
        (call,) = db.session.scalars(select(VoiceCall).where(VoiceCall.phone == STAFF)).all()
        assert (call.direction, call.purpose) == ("in", "staff")
        email = db.session.get(User, staff_id).email
        audits = db.session.scalars(select(AuditEvent)).all()
        assert ("voice.prompt_phone", email, f"{PROMPT}/{language}") in {
            (e.action, e.actor, e.target_id) for e in audits
        }
        assert all(PIN not in str(e.details) for e in audits)
        assert PIN not in (call.state or "")
    assert take_url and PIN not in caplog.text

    page = admin.get(f"/admin/voice/prompts/{PROMPT}/{language}").get_data(as_text=True)
    assert f'<audio controls preload="none" src="/voice/audio/{sha}.wav">' in page

    _consented(app, language)
    with time_machine.travel(DAYTIME, tick=True):
        missed = Phone(line.url, AMINA).dial(to=VOICE_NUMBER)
        assert [a["action"] for a in missed["actions"]] == ["Reject"]  # still a missed call
        workers.drain()
        (request,) = call_requests(line.url)
        assert request["to"] == [AMINA]
        amina = Phone(line.url, AMINA)
        amina.ringing()
        answered = amina.wait_answered()
    menu = heard({"actions": answered["transcript"][-1]["actions"]})
    assert f"{app.config['GATEWAY'].public_url}/voice/audio/{sha}.wav" in menu


def _consented(app: Flask, language: str) -> None:
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


def test_three_wrong_pins_end_the_call_and_nothing_is_recorded(app, line, workers, staff):
    """Three wrong PINs in one call: told twice it is wrong and asked again, then goodbye; no
    prompt is stored and nobody is called back."""
    staff("sw")
    phone = Phone(line.url, STAFF)
    first = sign_in(app, phone, "sw", pin="1111")
    assert text(app, "voice.staff.pin_wrong", "sw") in said(first)
    assert text(app, "voice.staff.pin", "sw") in said(first)
    second = phone.press("2222#")
    assert text(app, "voice.staff.pin_wrong", "sw") in said(second)
    third = phone.press("3333")
    assert text(app, "voice.staff.pin_goodbye", "sw") in said(third)
    assert third["state"] == "ended"
    workers.drain()
    assert call_requests(line.url) == []
    with app.app_context():
        assert db.session.scalars(select(VoicePrompt)).all() == []


def test_repeated_wrong_pins_lock_the_number_even_for_the_right_pin(app, line, staff, caplog):
    """Five wrong PINs within 15 minutes (a second call's second try) lock the number: the
    call ends with the lock's message, audited, and the next call, with the right PIN, hears
    only that message."""
    caplog.set_level(logging.DEBUG)
    staff_id = staff("en")
    phone = Phone(line.url, STAFF)
    sign_in(app, phone, "en", pin="1111")
    phone.press("1112")
    assert phone.press("1113")["state"] == "ended"
    sign_in(app, phone, "en", pin="1114")
    locked = phone.press("1115")
    assert text(app, "voice.staff.locked", "en") in said(locked) and locked["state"] == "ended"
    again = phone.dial(to=VOICE_NUMBER)
    assert said(again) == text(app, "voice.staff.locked", "en") and again["state"] == "ended"
    with app.app_context():
        email = db.session.get(User, staff_id).email
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "voice.staff_locked")
        )
        assert (event.actor, event.target_id) == (email, str(staff_id))
        assert STAFF not in str(event.details)
    assert "1115" not in caplog.text and STAFF not in caplog.text


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_take_too_short_or_silent_is_refused_and_recording_again_replaces_the_take(
    app, line, staff, admin_as, language
):
    """A take that fails the upload's checks is refused with its reason spoken and recorded
    again; "record again" throws a take away; the take kept is the last one."""
    staff(language)
    number = number_of(admin_as("admin"), PROMPT)
    phone = Phone(line.url, STAFF)
    sign_in(app, phone, language)
    phone.press("2" if language == "sw" else "1")
    phone.press(number)
    phone.record(speech(0.1))
    short = phone.press("1")
    assert text(app, "voice.staff.refused", language) in said(short)
    assert text(app, "voice.staff.refused.too_short", language) in said(short)
    assert short["waiting_for"] == "recording"
    phone.record(speech(1.5, level=0.001))
    quiet = phone.press("1")
    assert text(app, "voice.staff.refused.too_quiet", language) in said(quiet)
    phone.record(speech(1.6))
    again = phone.press("2")
    assert text(app, "voice.staff.record", language) in said(again)
    last = speech(1.7)
    phone.record(last)
    assert text(app, "voice.staff.kept", language) in said(phone.press("1"))
    with app.app_context():
        (prompt,) = db.session.scalars(select(VoicePrompt)).all()
        assert db.session.get(AudioClip, prompt.audio_id).data == last
        assert prompt.language == language


def test_callers_without_a_pin_or_allowed_role_are_still_missed_calls(
    app, line, workers, make_user, admin_as
):
    """A viewer with a phone and PIN, and a coordinator with a phone but no PIN, ring the
    voice number: each is rejected (free) and called back, as anyone is."""
    admin = admin_as("admin")
    viewer = make_user("viewer")
    coordinator = make_user("coordinator", counties=("Kitui",))
    for user_id, phone, pin in ((viewer, STAFF, PIN), (coordinator, AMINA, "")):
        admin.post(
            f"/admin/users/{user_id}/voice",
            {"phone": phone, "voice_pin": pin},
            page=f"/admin/users/{user_id}",
        )
    with time_machine.travel(DAYTIME, tick=True):
        for number in (STAFF, AMINA):
            missed = Phone(line.url, number).dial(to=VOICE_NUMBER)
            assert [a["action"] for a in missed["actions"]] == ["Reject"]
        workers.drain()
    assert sorted(r["to"][0] for r in call_requests(line.url)) == sorted([STAFF, AMINA])


def test_the_users_page_sets_checks_and_removes_a_phone_and_pin(app, admin_as, make_user):
    """An admin sets a user's phone number (any Kenyan writing, kept E.164) and voice PIN
    (hashed, never shown); a bad number, another user's number or a PIN that is not 4-8
    digits is refused with the reason; removing the PIN is audited; a coordinator cannot."""
    admin = admin_as("admin")
    one, two = make_user("coordinator", counties=("Kitui",)), make_user("admin")
    page = f"/admin/users/{one}"
    saved = admin.post(f"{page}/voice", {"phone": "0722-000-111", "voice_pin": PIN}, page=page)
    assert saved.status_code == 302
    shown = admin.get(page).get_data(as_text=True)
    assert 'value="+254722000111"' in shown and PIN not in shown
    assert "A voice PIN is set." in shown
    for form, reason in (
        ({"phone": "12ab"}, "Give a valid phone number."),
        ({"phone": "+254 722 000 111", "voice_pin": "12"}, "A voice PIN is 4 to 8 digits."),
    ):
        refused = admin.post(f"{page}/voice", form, page=page)
        assert refused.status_code == 400 and reason in refused.get_data(as_text=True)
    taken = admin.post(f"/admin/users/{two}/voice", {"phone": "0722000111"}, page=page)
    assert taken.status_code == 400
    assert "Another user has this phone number." in taken.get_data(as_text=True)
    removed = admin.post(f"{page}/voice", {"phone": "0722000111", "remove_pin": "1"}, page=page)
    assert removed.status_code == 302
    with app.app_context():
        user = db.session.get(User, one)
        assert (user.phone, user.voice_pin_hash) == ("+254722000111", None)
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions.count("user.voice_pin") == 2 and actions.count("user.phone") == 1
        details = " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent)))
        assert "722000111" not in details and PIN not in details
    coordinator = admin_as("coordinator", counties=("Kitui",))
    assert coordinator.post(f"{page}/voice", {"phone": ""}, page="/admin/").status_code == 403


def test_the_api_sets_a_users_phone_and_pin_and_never_shows_the_pin(app, api, make_user):
    """``PATCH /api/v1/users/<id>`` sets the phone number (kept E.164) and voice PIN; the
    user's fields show the number and whether a PIN is set, never the PIN; a bad PIN is a 400
    with the reason; ``null`` removes the PIN."""
    user_id = make_user("coordinator", counties=("Kitui",))
    changed = api.patch(f"/users/{user_id}", {"phone": "0722 000 111", "voice_pin": PIN})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["phone"], body["voice_pin_set"]) == ("+254722000111", True)
    assert PIN not in changed.get_data(as_text=True)
    bad = api.patch(f"/users/{user_id}", {"voice_pin": "12a"})
    assert bad.status_code == 400
    assert "A voice PIN is 4 to 8 digits." in bad.get_data(as_text=True)
    removed = api.patch(f"/users/{user_id}", {"voice_pin": None}).get_json()
    assert (removed["phone"], removed["voice_pin_set"]) == ("+254722000111", False)
