"""The voice line: missed calls answered with free call-backs, menus spoken from recorded
prompts in each language, and the final request of each call counted with its cost.

Africa's Talking posts every step of a call to ``/at/voice`` (:mod:`gateway.webhooks.voice`);
the answer is XML (:mod:`.xml`).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from gateway.voice.answering import ANSWERERS
from gateway.voice.engine import VoiceEngine, say_text
from gateway.voice.flow import load_voice_flow
from gateway.voice.registry import VOICE_HANDLERS


def init_app(app: Flask) -> None:
    """Build the voice engine for ``flows/voice.yaml`` (``voice_engine``), and one for each
    answered kind of inbound call (``voice_engines[purpose]``, :mod:`.answering`); the areas'
    handlers must be imported (registered) before, and a speaker of recorded prompts may be
    given (``app.extensions["voice_speaker"]``; else each prompt's text is read out)."""
    flows = Path(app.config["FLOWS_DIR"])
    app.extensions["voice_engine"] = _engine(app, flows / "voice.yaml")
    app.extensions["voice_engines"] = {
        a.purpose: _engine(app, flows / a.flow) for a in ANSWERERS.values()
    }


def _engine(app: Flask, path: Path) -> VoiceEngine:
    speaker = app.extensions.get("voice_speaker") or say_text()
    engine = VoiceEngine(load_voice_flow(path), VOICE_HANDLERS, speaker)
    missing = engine.check()
    if missing:
        raise ValueError(f"{path.name} names handlers no area registered: " + ", ".join(missing))
    return engine
