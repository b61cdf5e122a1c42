"""What callers record (a report, a question) is fetched from Africa's Talking into our own
storage soon after the call: their copy may expire. A file that cannot be fetched is tried again
and then kept as "audio missing", with the call's record."""

from __future__ import annotations

import logging

import requests

from gateway.extensions import db
from gateway.queues import DEFAULT, FETCH_RETRY, enqueue_after_commit, job
from gateway.settings import current_settings
from gateway.voice.audio import MIME, keep, sniff
from gateway.voice.models import VoiceRecording

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = (5, 30)


class RecordingUnusable(ValueError):
    """The file is not audio we keep, or is too big: trying again will not help."""


def keep_recording(
    *, purpose: str, url: str, call_id: int | None, contact_id: int | None, report_id: int | None
) -> VoiceRecording:
    """Note a recording and fetch it after the commit."""
    recording = VoiceRecording(
        purpose=purpose,
        provider_url=url,
        call_id=call_id,
        contact_id=contact_id,
        report_id=report_id,
        status="pending",
    )
    db.session.add(recording)
    db.session.flush()
    enqueue_fetch(recording)
    return recording


def enqueue_fetch(recording: VoiceRecording) -> None:
    enqueue_after_commit(
        db.session,
        DEFAULT,
        fetch_recording,
        recording.id,
        job_id=f"voice-recording-{recording.id}",
        retry=FETCH_RETRY,
    )


def download(url: str, limit: int) -> bytes:
    """The file at ``url``, at most ``limit`` bytes (more is refused, not cut)."""
    with requests.get(url, stream=True, timeout=FETCH_TIMEOUT_S) as answer:
        answer.raise_for_status()
        chunks, size = [], 0
        for chunk in answer.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise RecordingUnusable(f"larger than {limit} bytes")
            chunks.append(chunk)
    return b"".join(chunks)


@job
def fetch_recording(recording_id: int) -> str:
    """Fetch a recording into our storage (a job; safe twice: a stored one is left alone)."""
    recording = db.session.get(VoiceRecording, recording_id)
    if recording is None or recording.status != "pending" or not recording.provider_url:
        return "nothing to fetch"
    recording.attempts += 1
    try:
        data = download(recording.provider_url, current_settings().voice_audio_max_bytes)
        kind = sniff(data)  # what the bytes are, not what the server claims
        if kind is None:
            raise RecordingUnusable("not an MP3 or WAV file")
    except RecordingUnusable as unusable:
        recording.status = "missing"
        db.session.commit()
        return f"audio missing: {unusable}"
    except requests.RequestException as exc:
        if recording.attempts > (FETCH_RETRY.max or 0):
            recording.status = "missing"
            db.session.commit()
            return f"audio missing: {exc.__class__.__name__}"
        db.session.commit()
        raise  # RQ tries again later (FETCH_RETRY)
    recording.audio_id = keep(data, MIME[kind]).id
    recording.status = "stored"
    db.session.commit()
    return "stored"
