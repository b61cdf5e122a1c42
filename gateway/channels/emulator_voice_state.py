"""The emulator's voice calls: its options, each call's state and transcript, the call
requests it took and the recordings it serves (see :mod:`gateway.channels.emulator_voice`)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.channels.emulator_state import now_iso

DEFAULT_VOICE_NUMBER = "+254711082300"


@dataclass(frozen=True)
class VoiceConfig:
    """Where calls are posted and how the emulated phones behave."""

    voice_url: str | None = None  # the gateway's /at/voice (with its secret, if any)
    auto_answer: bool = True  # a called phone answers by itself
    answer_delay_s: float = 0.2  # how long after the call request it answers
    voice_numbers: tuple[str, ...] = ()  # caller IDs the account owns; empty: any valid number


@dataclass
class Call:
    """One call as the emulator sees it, with every request it posted for it."""

    session_id: str
    direction: str  # "Inbound" (the person dialled) or "Outbound" (the gateway called them)
    caller: str  # the person's number, callerNumber in every request
    destination: str  # the voice number, destinationNumber
    home_url: str | None  # the voice number's URL: first callback, Redirect base, final request
    url: str | None = None  # where the next request goes (an action's callbackUrl moves it)
    state: str = "ringing"  # ringing, live, ended
    created_at: str = field(default_factory=now_iso)
    answered_at: float | None = None  # time.monotonic()
    waiting: dict[str, Any] | None = None  # the GetDigits or Record waiting for the phone
    rest: list[dict[str, Any]] = field(default_factory=list)  # what runs after it on silence
    steps: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def form(self, active: bool) -> dict[str, str]:
        """The fields Africa's Talking posts with every request of a call."""
        return {
            "isActive": "1" if active else "0",
            "sessionId": self.session_id,
            "direction": self.direction,
            "callerNumber": self.caller,
            "destinationNumber": self.destination,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "direction": self.direction,
            "caller": self.caller,
            "destination": self.destination,
            "state": self.state,
            "created_at": self.created_at,
            "waiting_for": waiting_for(self.waiting),
            "waiting": self.waiting,
            "final": self.final,
            "transcript": list(self.steps),
        }


class VoiceState:
    """The voice calls the emulator knows, its outbound call requests and served recordings."""

    def __init__(self, config: VoiceConfig) -> None:
        self._initial = config
        self.config = config
        self._lock = threading.Lock()
        self.calls: dict[str, Call] = {}
        self.requests: list[dict[str, Any]] = []
        self.recordings: dict[str, tuple[bytes, str]] = {}

    def reset(self) -> None:
        """Forget every call, request and recording; the options go back to the start's."""
        with self._lock:
            self.config = self._initial
            self.calls.clear()
            self.requests.clear()
            self.recordings.clear()

    def configure(self, **changes: Any) -> VoiceConfig:
        with self._lock:
            self.config = replace(self.config, **changes)
            return self.config

    def add(self, call: Call) -> Call:
        with self._lock:
            self.calls[call.session_id] = call
        return call

    def get(self, session_id: str) -> Call | None:
        with self._lock:
            return self.calls.get(session_id)

    def listing(self, phone: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            calls = [c for c in self.calls.values() if phone is None or c.caller == phone]
        summaries = []
        for call in calls:
            with call.lock:  # not half way through a step: "live" comes with what it played
                summaries.append(call.summary())
        return summaries

    def keep_recording(self, audio: bytes, content_type: str) -> str:
        recording_id = uuid.uuid4().hex
        with self._lock:
            self.recordings[recording_id] = (audio, content_type)
        return recording_id

    def record_request(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append({"request_id": len(self.requests) + 1, **entry})


def waiting_for(action: dict[str, Any] | None) -> str | None:
    """What a call waits for from the phone: "digits", "recording", or nothing."""
    if action is None:
        return None
    return "digits" if action["action"] == "GetDigits" else "recording"
