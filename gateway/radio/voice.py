"""Asking the secretariat a question by voice (main menu key 5): the caller records it, up to
``GATEWAY_VOICE_RECORD_MAX`` seconds; during a radio show it goes to the show's live board."""

from __future__ import annotations

from gateway.radio.questions import save_question
from gateway.voice.engine import CallContext
from gateway.voice.registry import action


@action("save_voice_question")
def save(ctx: CallContext, recording_url: str | None) -> None:
    """Keep the question (once, if Africa's Talking posts the recording twice) and fetch its
    recording into our storage. Only a consenting caller reaches the main menu, so there is a
    contact."""
    if ctx.contact is None or not recording_url:
        return
    save_question(
        contact=ctx.contact,
        call_id=ctx.call_id,
        session_id=ctx.session_id,
        language=ctx.language,
        recording_url=recording_url,
    )
