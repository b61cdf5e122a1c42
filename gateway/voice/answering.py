"""Inbound calls that are answered instead of rejected, and the flow each one walks.

A call to the voice number is a missed call (rejected, free, called back) unless an area has
registered an answerer that takes the caller's number: staff recording prompts by phone
(:mod:`gateway.voice.staff`) pay for their own call and are answered at once. The call keeps
the answerer's purpose (``VoiceCall.purpose``), so every later request walks the same flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Answerer:
    purpose: str  # the calls' VoiceCall.purpose, and their engine's name
    flow: str  # its flow file under flows/
    takes: Callable[[str], bool]  # whether a call from this number is answered


ANSWERERS: dict[str, Answerer] = {}


def answer_inbound(purpose: str, flow: str, takes: Callable[[str], bool]) -> None:
    """Answer calls from the numbers ``takes`` accepts with ``flow`` (once per purpose)."""
    ANSWERERS.setdefault(purpose, Answerer(purpose, flow, takes))


def answerer_for(phone: str) -> Answerer | None:
    """The answerer that takes a new inbound call from ``phone``, if any."""
    return next((a for a in ANSWERERS.values() if a.takes(phone)), None)
