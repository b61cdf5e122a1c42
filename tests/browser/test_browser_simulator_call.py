"""In a real browser: the Phone simulator's call mode, a voice call through the emulator to a
stand-in voice app answering fixed XML: the prompts shown with a player, keys pressed on the
call's keypad, a sound file uploaded as the caller's speech, and hanging up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from voice_phone import VoiceApp, configure_voice

from .conftest import Live, login, shot

AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(32))


@pytest.fixture
def line(live: Live) -> Iterator[VoiceApp]:
    app = VoiceApp()
    # A prompt at the gateway's own address, as the voice flows play them: the admin's
    # Content-Security-Policy lets the page load media from its own origin only.
    app.play_url = f"{live.url}/voice/audio/menu.mp3"
    configure_voice(live.emulator, voice_url=app.url, answer_delay_s=0)
    yield app
    app.stop()


def test_the_call_mode_plays_prompts_takes_keys_and_a_recording(
    live: Live, page: Any, make_user: Any, line: VoiceApp, tmp_path: Any
) -> None:
    make_user("viewer", email="viewer@hmk.example")
    login(page, live, "viewer@hmk.example")
    page.goto(f"{live.url}/admin/simulator")
    page.click("#call-form button.call-dial")
    page.wait_for_selector("#call-actions :text('Welcome to HMK.')")
    assert page.locator("#call-actions audio").count() == 1
    assert page.get_attribute("#call-actions audio", "src", timeout=1000).endswith("menu.mp3")
    shot(page, "simulator-call-menu")
    page.click("#call-form button.key[value='1']")
    page.wait_for_selector("#call-actions :text('Press 9 to hear it again.')")
    page.fill("#call-form input[name=typed]", "2")
    page.click("#call-form button[value=press]")
    page.wait_for_selector("#call-form input[type=file]")
    speech = tmp_path / "speech.wav"
    speech.write_bytes(AUDIO)
    page.set_input_files("#call-form input[type=file]", str(speech))
    page.click("#call-form button[value=record]")
    page.wait_for_selector("#call-actions :text('Thank you.')")
    page.wait_for_selector(".call-state[data-state=ended]")
    assert line.recordings == [AUDIO]
    shot(page, "simulator-call-ended")
    page.click("#call-form button.call-dial")
    page.wait_for_selector(".call-state[data-state=live]")
    page.click("#call-form button[value=hangup]")
    page.wait_for_selector(".call-state[data-state=ended]")
    assert "NORMAL_CLEARING" in (page.text_content("#call") or "")
    assert page.console_errors == []
