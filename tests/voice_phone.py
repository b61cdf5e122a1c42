"""A phone on the emulator's voice line, for tests: dial, press keys, speak, stay silent, hang up.

Each method drives one of the emulator's ``/_emulator/voice/…`` control endpoints and returns
what it answered: ``actions`` (what the phone heard and was asked, in order: ``Say`` text,
``Play`` url, ``GetDigits``/``Record`` attributes with their ``prompts``, ``Reject``), ``steps``
(every request posted and its answer), ``state`` and ``waiting_for``.

:class:`VoiceApp` is a stand-in voice app answering fixed XML (a menu, a redirect, a recording,
a rejected caller), for tests of the emulator and the simulator without the gateway's voice flows.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from flask import Flask, request
from werkzeug.serving import make_server

from gateway.voice.xml import GetDigits, Play, Record, Redirect, Reject, Say, response

REJECTED = "+254733000003"  # the stand-in app rejects this caller: a missed call


class Phone:
    """One person's phone. ``Phone(emulator.url, "+254700000123").dial()`` calls the voice number;
    :meth:`pick_up` answers the gateway's call to this number."""

    def __init__(self, emulator_url: str, number: str = "+254700000123") -> None:
        self.emulator_url = emulator_url.rstrip("/")
        self.number = number
        self.session_id: str | None = None
        self.last: dict[str, Any] = {}

    # Calls in and out ------------------------------------------------------------------------

    def dial(self, to: str | None = None, url: str | None = None) -> dict[str, Any]:
        """Call ``to`` (default: the emulator's voice number); ``url`` overrides its voice URL."""
        body = {"from": self.number, "to": to, "url": url}
        return self._act("dial", {k: v for k, v in body.items() if v is not None})

    def ringing(self, timeout_s: float = 5.0) -> dict[str, Any]:
        """Wait for a call from the gateway to this number; it becomes this phone's call."""
        deadline = time.monotonic() + timeout_s
        while True:
            calls = [c for c in self.calls() if c["direction"] == "Outbound"]
            if calls:
                self.session_id = calls[-1]["session_id"]
                return dict(calls[-1])
            if time.monotonic() > deadline:
                raise AssertionError(f"no call to {self.number} within {timeout_s} s")
            time.sleep(0.05)

    def pick_up(self) -> dict[str, Any]:
        """Answer the gateway's ringing call (auto-answer off)."""
        if self.session_id is None:
            self.ringing()
        return self._act("answer", {})

    def wait_answered(self, timeout_s: float = 5.0) -> dict[str, Any]:
        """With auto-answer on: wait until the call's first callback has been answered."""
        deadline = time.monotonic() + timeout_s
        while True:
            call = self.call()
            if call["transcript"]:
                return call
            if time.monotonic() > deadline:
                raise AssertionError(f"call {self.session_id} not answered within {timeout_s} s")
            time.sleep(0.05)

    # During a call ---------------------------------------------------------------------------

    def press(self, digits: str) -> dict[str, Any]:
        return self._act("press", {"digits": digits})

    def silence(self) -> dict[str, Any]:
        return self._act("silence", {})

    def record(self, audio: bytes, content_type: str = "audio/wav") -> dict[str, Any]:
        """Speak ``audio`` into a Record (the emulator serves it at its own URL)."""
        answer = requests.post(
            f"{self.emulator_url}/_emulator/voice/record",
            data={"session_id": self.session_id or ""},
            files={"audio": ("speech.wav", audio, content_type)},
            timeout=30,
        )
        return self._read(answer)

    def hangup(self, twice: bool = False, duration_s: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"twice": twice}
        if duration_s is not None:
            body["duration_s"] = duration_s
        return self._act("hangup", body)

    # Looking on --------------------------------------------------------------------------------

    def calls(self) -> list[dict[str, Any]]:
        """Every call of this number the emulator knows, oldest first."""
        return list(_get(self.emulator_url, "/_emulator/voice/calls", phone=self.number)["calls"])

    def call(self) -> dict[str, Any]:
        """This phone's current (or last) call, with its transcript."""
        return next(c for c in self.calls() if c["session_id"] == self.session_id)

    def _act(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action != "dial":
            body = {"session_id": self.session_id, **body}
        answer = requests.post(
            f"{self.emulator_url}/_emulator/voice/{action}", json=body, timeout=30
        )
        return self._read(answer)

    def _read(self, answer: requests.Response) -> dict[str, Any]:
        if answer.status_code != 200:
            raise AssertionError(
                f"{answer.request.url} answered {answer.status_code}: {answer.text}"
            )
        result: dict[str, Any] = answer.json()
        self.session_id = result["session_id"]
        self.last = result
        return result


def configure_voice(emulator_url: str, **options: Any) -> dict[str, Any]:
    """Set the emulator's voice options: ``voice_url``, ``auto_answer``, ``answer_delay_s``,
    ``voice_numbers``."""
    answer = requests.put(f"{emulator_url}/_emulator/voice/config", json=options, timeout=10)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def call_requests(emulator_url: str) -> list[dict[str, Any]]:
    """Every outbound call request the gateway made to the emulator."""
    return list(_get(emulator_url, "/_emulator/voice/requests")["requests"])


def heard(result: dict[str, Any]) -> list[str]:
    """What the phone heard, flat: each Say's text and each Play's url, prompts included."""
    out: list[str] = []
    for action in result["actions"]:
        for item in [action, *action.get("prompts", [])]:
            if item["action"] == "Say":
                out.append(item["text"])
            elif item["action"] == "Play":
                out.append(item["url"])
    return out


def _get(emulator_url: str, path: str, **params: str) -> dict[str, Any]:
    answer = requests.get(emulator_url.rstrip("/") + path, params=params, timeout=10)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


class VoiceApp:
    """A stand-in for the gateway's ``/at/voice``: a menu, a redirect, a recording, a reject.
    Records every form posted to it, with the path it came to."""

    def __init__(self) -> None:
        self.play_url: str | None = None  # the menu's Play url (default: one of its own)
        self.posts: list[tuple[str, dict[str, str]]] = []
        self.recordings: list[bytes] = []
        app = Flask(__name__)

        @app.post("/at/voice")
        def voice() -> str:
            form = self._keep()
            if form["isActive"] == "0":
                return ""
            if form["callerNumber"] == REJECTED:
                return response([Reject()])
            play = Play(self.play_url or f"{request.host_url}audio/menu.mp3")
            menu = GetDigits(
                [play, Say("Press 1 for news, 2 to speak.")],
                callback_url=f"{request.host_url}at/voice/menu?secret=s3cret",
            )
            return response([Say("Welcome to HMK."), menu, Say("No key pressed. Goodbye.")])

        @app.post("/at/voice/menu")
        def menu() -> str:
            digits = self._keep().get("dtmfDigits")
            if digits == "1":
                return response(
                    [Say("Today's news."), Redirect(f"{request.host_url}at/voice/more")]
                )
            if digits == "2":
                speak = Record([Say("Speak after the beep.")], f"{request.host_url}at/voice/heard")
                return response([speak])
            return response([Say("Goodbye.")])

        @app.post("/at/voice/more")
        def more() -> str:
            self._keep()
            again = GetDigits(
                [Say("Press 9 to hear it again.")], f"{request.host_url}at/voice/menu"
            )
            return response([again])

        @app.post("/at/voice/heard")
        def heard_it() -> str:
            url = self._keep().get("recordingUrl", "")
            if url:
                self.recordings.append(requests.get(url, timeout=10).content)
                return response([Say("Thank you.")])
            return response([Say("Nothing was recorded.")])

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.port}/at/voice"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _keep(self) -> dict[str, str]:
        form = request.form.to_dict()
        self.posts.append((request.path, form))
        return form

    def finals(self) -> list[dict[str, str]]:
        return [form for _, form in self.posts if form["isActive"] == "0"]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
