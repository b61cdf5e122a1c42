"""Missed calls to a number other than the main voice number (a "beep"): an area that owns
such numbers (a poll's options: beep to vote) registers a handler; the voice line knows none.

Such a call is answered ``<Reject/>`` at once, so it is free, and never called back. Africa's
Talking posts its first request and later a final one (``isActive=0``), and may repeat either:
whichever comes first is acted on, once per call (its ``sessionId``), and the rest change
nothing (:func:`claim_call`).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from gateway.extensions import db
from gateway.voice.models import VoiceCall

# Takes a missed call to a number that is not the main voice number; returns what it did
# (for the log), or None when the number is not its own. Registered by gateway.wiring.
BeepHandler = Callable[[VoiceCall], str | None]
BEEP_HANDLERS: list[BeepHandler] = []

NOT_OURS = "not our voice number"


def register_beep_handler(handler: BeepHandler) -> None:
    if handler not in BEEP_HANDLERS:
        BEEP_HANDLERS.append(handler)


def claim_call(call: VoiceCall) -> bool:
    """Whether this request of a missed call is the one to act on: the first of its requests,
    first or final, to get here. One statement, so of two requests at once one wins (the
    other waits for its commit on PostgreSQL; SQLite's writers take turns)."""
    claimed = db.session.execute(
        update(VoiceCall)
        .where(VoiceCall.id == call.id, VoiceCall.state.is_(None), VoiceCall.ended_at.is_(None))
        .values(state="{}")
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def take_beep(call: VoiceCall) -> str:
    """Hand a claimed missed call to the area whose number it rang (or to none)."""
    for handler in BEEP_HANDLERS:
        outcome = handler(call)
        if outcome is not None:
            return outcome
    return NOT_OURS
