"""The demo's prompts: synthetic voices (``tools/make_demo_prompts.py``) under
``messages/voice/<language>/<key>.mp3``, stored as placeholders until a native speaker records.

A prompt someone recorded is never replaced by a demo file; loading twice adds nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from gateway.extensions import db
from gateway.voice import audio
from gateway.voice.models import VoicePrompt
from gateway.voice.prompts import KEY, PART

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent.parent / "messages" / "voice"


def load_demo_prompts(directory: Path = DEFAULT_DIRECTORY) -> int:
    """Store each demo file whose prompt has no recording in its language; the number added.
    The caller commits."""
    have = {
        (k, lang) for k, lang in db.session.execute(select(VoicePrompt.key, VoicePrompt.language))
    }
    added = 0
    for path in sorted(directory.glob("*/*.mp3")):
        language, key = path.parent.name, path.stem
        if (key, language) in have or not KEY.fullmatch(key.split(PART)[0]):
            continue
        clip = audio.store(path.read_bytes())
        db.session.add(
            VoicePrompt(
                key=key, language=language, audio_id=clip.id, source="demo", placeholder=True
            )
        )
        have.add((key, language))
        added += 1
    return added
