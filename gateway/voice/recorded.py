"""Prompts staff record: the number each recording has (what a caller keys to pick it), and a
checked recording stored as a prompt's, from an upload in the admin or a take by phone.

Recordings are numbered 1, 2, ... in the order of the prompt lint's list
(:func:`gateway.voice.lint.needed_keys`: the flows' prompts sorted, then the clips), the same
list and order as the admin's Voice prompts page, which shows each number.
"""

from __future__ import annotations

import requests
from sqlalchemy import select

from gateway.extensions import db, utcnow
from gateway.settings import current_settings
from gateway.users import audit
from gateway.users.models import User
from gateway.voice import audio
from gateway.voice.lint import Coverage, Row, coverage, needed_keys
from gateway.voice.models import AudioClip, VoicePrompt
from gateway.voice.recordings import RecordingUnusable, download


def numbers(report: Coverage) -> dict[str, int]:
    """Each recording's number in ``report`` (a coverage of :func:`needed_keys`)."""
    return {row.key: n for n, row in enumerate(report.rows, 1)}


def row_numbered(number: int) -> Row | None:
    """The recording with this number, or None (no such number, or a prompt in error)."""
    rows = coverage(needed_keys()).rows
    row = rows[number - 1] if 1 <= number <= len(rows) else None
    return row if row is not None and row.error is None else None


def row_of(key: str) -> Row | None:
    """The recording ``key`` (a prompt, one of its parts ``key#n``, or a clip)."""
    rows = coverage([key.split("#", 1)[0]]).rows
    return next((row for row in rows if row.key == key and row.error is None), None)


def save_prompt(key: str, language: str, clip: AudioClip, source: str, user_id: int | None) -> None:
    """Make ``clip`` the recording of ``key`` in ``language`` (not committed)."""
    existing = db.session.scalar(
        select(VoicePrompt).where(VoicePrompt.key == key, VoicePrompt.language == language)
    )
    prompt = existing or VoicePrompt(key=key, language=language)
    prompt.audio_id = clip.id
    prompt.source = source
    prompt.placeholder = False
    prompt.recorded_by_id = user_id
    prompt.recorded_at = utcnow()
    if existing is None:
        db.session.add(prompt)


def keep_take(user: User, key: str, language: str, url: str) -> str | None:
    """Fetch a take recorded by phone from Africa's Talking and store it as the recording of
    ``key`` in ``language``, through the upload's checks (:func:`gateway.voice.audio.measure`);
    audited with ``user`` (not committed). None when kept, else why not (an
    :class:`~gateway.voice.audio.AudioError` reason, or ``unreachable``)."""
    try:
        data = download(url, current_settings().voice_audio_max_bytes)
    except RecordingUnusable:
        return "too_big"
    except requests.RequestException:
        return "unreachable"
    try:
        clip = audio.store(data)
    except audio.AudioError as error:
        return error.reason
    save_prompt(key, language, clip, "phone", user.id)
    audit.record_by(
        user,
        "voice.prompt_phone",
        "voice_prompt",
        f"{key}/{language}",
        sha256=clip.sha256,
        seconds=clip.duration_ms / 1000,
    )
    return None
