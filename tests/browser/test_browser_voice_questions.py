"""In a real browser: a caller's question recorded by phone during the show (posted to
/at/voice as Africa's Talking does, its recording fetched by a real worker process) arrives on
the host's live board with a player, and the host marks it played on air."""

from __future__ import annotations

from itertools import count
from typing import Any

import requests
from factories import joined_contact
from sqlalchemy import select
from test_voice import _wav
from test_voice_questions import RecordingStore

from gateway.extensions import db
from gateway.radio.questions import VoiceQuestion

from .conftest import Live, login, shot
from .test_browser_radio import HOST, on_air_now

CALLER = "+254733000021"
_sessions = count(1)


def ask_by_voice(live: Live, recording_url: str) -> None:
    """A called-back caller presses 5 and records: each request as Africa's Talking posts it."""
    settings = live.app.config["GATEWAY"]
    session = f"ATVId_browser_question{next(_sessions)}"
    for extra in ({}, {"dtmfDigits": "5"}, {"recordingUrl": recording_url}):
        answer = requests.post(
            f"{live.url}/at/voice",
            params={"secret": settings.at_webhook_secret} if settings.at_webhook_secret else None,
            data={
                "isActive": "1",
                "sessionId": session,
                "direction": "Outbound",
                "callerNumber": CALLER,
                "destinationNumber": settings.at_voice_number,
                **extra,
            },
            timeout=10,
        )
        assert answer.status_code == 200 and "<Response>" in answer.text, answer.text


def test_a_question_arrives_live_with_a_player_and_the_host_plays_it_on_air(
    live: Live, page: Any, make_user: Any
) -> None:
    show_id = on_air_now(live)
    make_user("radio_host", email=HOST, name="Host")
    joined_contact(live.app, CALLER, "sw")
    login(page, live, HOST)
    page.goto(f"{live.url}/admin/radio/{show_id}")
    page.wait_for_selector("#board-state", state="hidden")  # the stream is open
    assert page.locator("#questions li").count() == 0

    with RecordingStore() as store:
        ask_by_voice(live, store.put("/q/browser.wav", _wav(2.0)))
        page.wait_for_selector("#questions li", timeout=5_000)  # on the board as it arrives
        question = page.locator("#questions li").first
        page.wait_for_selector("#questions li audio", timeout=20_000)  # fetched by the worker
    assert question.locator(".phone").text_content() == "+2547••••••21"
    assert question.locator(".language").text_content() == "sw"
    assert question.locator(".county").text_content() == "Kitui"
    # The player plays our stored copy (the page's policy lets it load).
    page.wait_for_function(
        """() => {
          const a = document.querySelector('#questions audio');
          if (a.preload !== 'auto') { a.preload = 'auto'; a.load(); }
          return a.readyState >= 1 && a.duration > 1.5;
        }"""
    )
    question.locator("button[data-mark=on_air]").click()
    page.wait_for_selector("#questions li.on-air .badge:text('Played on air')")
    assert question.locator("audio").count() == 1  # redrawn with its player
    with live.app.app_context():
        played = db.session.scalar(select(VoiceQuestion.played_on_air_at))
        db.session.remove()
    assert played is not None
    shot(page, "radio-board-question")
    assert [e for e in page.console_errors if "favicon" not in e] == []
