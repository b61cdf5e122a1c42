"""The Phone simulator's call mode: a voice call as the simulated number through the emulator's
voice control endpoints, against a stand-in voice app answering fixed XML (a real HTTP server):
the prompts shown with their text and a player, keys, an uploaded recording, hanging up."""

from __future__ import annotations

import hashlib
import html
import io
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from voice_phone import REJECTED, VoiceApp, configure_voice

from gateway.channels.voice import VoiceChannel
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.voice.models import AudioClip, VoicePrompt

NUMBER = "+254700000123"
AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(32))


@pytest.fixture(scope="module")
def voice_app() -> Iterator[VoiceApp]:
    app = VoiceApp()
    yield app
    app.stop()


@pytest.fixture
def line(emulator: Any, voice_app: VoiceApp) -> VoiceApp:
    """The emulator posting calls to the stand-in voice app."""
    voice_app.posts.clear()
    voice_app.recordings.clear()
    voice_app.play_url = None
    configure_voice(emulator.url, voice_url=voice_app.url, answer_delay_s=0)
    return voice_app


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def step(session: Any, **form: Any) -> str:
    answer = session.post(
        "/admin/simulator/call", {"phone": NUMBER, **form}, page="/admin/simulator"
    )
    assert answer.status_code == 200
    page: str = answer.get_data(as_text=True)
    return page


def session_id(page: str) -> str:
    found = re.search(r'name="session_id" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_call_from_dial_through_keys_and_a_recording_to_hanging_up(
    app: Any, admin_as: Any, line: VoiceApp
) -> None:
    """Does the call mode dial the voice number, show the prompts in order (a Say's text, a
    Play's player), press keys from its keypad and typed, record an uploaded file, and show
    the final request's cost once hung up?"""
    viewer = admin_as("viewer")
    page = viewer.get("/admin/simulator").get_data(as_text=True)
    assert "Voice call" in page and "Call +254711082300" in page
    dialled = step(viewer, action="dial")
    shown = text_of(dialled)
    assert "On the call" in shown and "you called +254711082300" in shown
    assert shown.index("Welcome to HMK.") < shown.index("Press 1 for news, 2 to speak.")
    menu_audio = line.url.replace("at/voice", "audio/menu.mp3")
    assert f'<audio controls preload="none" src="{menu_audio}">' in dialled
    assert 'name="digits" value="1"' in dialled and 'value="hangup"' in dialled
    assert line.posts[0][1]["callerNumber"] == NUMBER
    assert line.posts[0][1]["destinationNumber"] == "+254711082300"

    news = step(viewer, digits="1", session_id=session_id(dialled))  # a keypad key
    assert "Today's news." in text_of(news) and "Press 9 to hear it again." in text_of(news)
    menu = step(viewer, action="press", typed="2", session_id=session_id(news))
    assert "Speak after the beep." in text_of(menu) and 'type="file" name="audio"' in menu
    missing = step(viewer, action="record", session_id=session_id(menu))
    assert "Choose a sound file to record." in text_of(missing)
    recorded = step(
        viewer,
        action="record",
        session_id=session_id(menu),
        audio=(io.BytesIO(AUDIO), "speech.wav", "audio/wav"),
    )
    assert "Thank you." in text_of(recorded) and "Call ended" in text_of(recorded)
    assert line.recordings == [AUDIO]
    assert "Final request: 0.00 KES" in text_of(recorded)
    assert 'hx-trigger="every 2s"' in recorded  # ended: it looks for a call-back


def test_a_rejected_call_and_hanging_up(app: Any, admin_as: Any, line: VoiceApp) -> None:
    """Is a rejected (missed) call shown as such, free; is hanging up a live call posted?"""
    admin = admin_as("admin")
    rejected = admin.post(
        "/admin/simulator/call", {"phone": REJECTED, "action": "dial"}, page="/admin/simulator"
    ).get_data(as_text=True)
    shown = text_of(rejected)
    assert "Rejected: a missed call, free to the caller." in shown and "Call ended" in shown
    assert "CALL_REJECTED" in shown
    live = step(admin, action="dial")
    ended = step(admin, action="hangup", session_id=session_id(live))
    assert "Call ended" in text_of(ended) and "NORMAL_CLEARING" in text_of(ended)
    assert [form["isActive"] for _, form in line.posts][-1] == "0"


def test_the_poll_shows_a_call_back_and_answers_204_when_nothing_changed(
    app: Any, admin_as: Any, line: VoiceApp, emulator: Any
) -> None:
    """Does the call part, polled while no call is live, show the gateway's call-back once
    the phone has answered it, and answer 204 while the call it shows has not changed?"""
    viewer = admin_as("viewer")
    assert viewer.get(f"/admin/simulator/call?phone={NUMBER}&known=").status_code == 204
    VoiceChannel("hmk", "key", api_url=emulator.url).call("+254711082300", NUMBER)
    deadline = time.monotonic() + 5
    page = ""
    while "On the call" not in text_of(page) and time.monotonic() < deadline:
        page = viewer.get(f"/admin/simulator/call?phone={NUMBER}&known=").get_data(as_text=True)
    shown = text_of(page)
    assert "the gateway called you from +254711082300" in shown and "Welcome to HMK." in shown
    assert 'hx-trigger="every 2s"' not in page  # live: the page stops polling
    known = re.search(r'name="known" value="([^"]+)"', page)
    assert known is not None
    again = viewer.get(f"/admin/simulator/call?phone={NUMBER}&known={known.group(1)}")
    assert again.status_code == 204


def test_a_known_prompt_recording_shows_its_key_and_script(
    app: Any, admin_as: Any, line: VoiceApp
) -> None:
    """Does a Play of a prompt recording (its file named by its sha256) show the prompt's key,
    language and script beside the player?"""
    sha = hashlib.sha256(AUDIO).hexdigest()
    with app.app_context():
        clip = AudioClip(sha256=sha, mime="audio/wav", size=len(AUDIO), duration_ms=500, data=AUDIO)
        db.session.add(clip)
        db.session.flush()
        db.session.add(VoicePrompt(key="sms.help", language="sw", audio_id=clip.id, source="demo"))
        db.session.commit()
        script = catalogs().raw("sms.help", "sw")[0]
    line.play_url = f"http://127.0.0.1:9/voice/audio/{sha}.wav"
    shown = text_of(step(admin_as("viewer"), action="dial"))
    assert "sms.help (sw)" in shown and script.split("{")[0].strip()[:30] in shown


@pytest.mark.parametrize(
    "settings_overrides",
    [{"at_username": "hmk", "at_api_key": "live-key", "at_webhook_secret": "s3cret"}],
    ids=["at-account"],
)
def test_the_call_mode_is_closed_with_the_simulator(
    app: Any, admin_as: Any, line: VoiceApp
) -> None:
    """With an Africa's Talking account configured, does the call mode refuse to dial?"""
    admin = admin_as("admin")
    dial = admin.post("/admin/simulator/call", {"phone": NUMBER, "action": "dial"}, page="/admin/")
    assert dial.status_code == 404
    assert admin.get(f"/admin/simulator/call?phone={NUMBER}").status_code == 404
    assert line.posts == []
