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
    soundfile.write(out, (level * np.sin(2 * np.pi * 440 * t)).astype("float32"), 8000, format="WAV", subtype="PCM_16")
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
            contact, channel="sms", wording_version="sms.join", wording_text="JOIN", language=language
        )
        db.session.commit()
