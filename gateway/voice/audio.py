"""Sound files checked and kept in the database as :class:`AudioClip`\\ s, one row per content.

An upload is taken only if it is really MP3 or WAV (by its bytes, not its name), not too big,
of a length a prompt can have, and audible without distortion: a near-silent file (a muted
microphone) or a clipped one (recorded too close or too loud) would reach every caller. The
decoding is libsndfile's (the ``soundfile`` wheel bundles it, MP3 included), so no ffmpeg.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass, field

import numpy as np
import soundfile
from sqlalchemy import select

from gateway.extensions import db
from gateway.settings import current_settings
from gateway.voice.models import AudioClip

MIME = {"mp3": "audio/mpeg", "wav": "audio/wav"}
EXTENSION = {mime: ext for ext, mime in MIME.items()}
MIN_SECONDS = 0.3
PROMPT_MAX_SECONDS = 120.0
# Speech read close to a phone sits around -20 to -30 dBFS (RMS); below this it is a muted or
# far-away microphone.
QUIET_DBFS = -45.0
# A sample this close to full scale was most likely cut off; more than this share of them and
# the recording sounds distorted.
CLIP_LEVEL = 0.999
CLIPPED_SHARE = 0.001


@dataclass
class AudioError(ValueError):
    """Why a sound file was refused: ``reason`` names it (``not_audio``, ``too_big``,
    ``too_short``, ``too_long``, ``too_quiet``, ``clipped``); ``values`` hold the measured
    figures (for the admin's translated message)."""

    reason: str
    values: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        figures = ", ".join(f"{name} {value}" for name, value in self.values.items())
        return f"{self.reason} ({figures})" if figures else self.reason


@dataclass(frozen=True)
class Measured:
    """What a check found in a sound file."""

    kind: str  # mp3 or wav
    duration_ms: int
    rms_dbfs: float
    peak_dbfs: float
    clipped_share: float


def sniff(data: bytes) -> str | None:
    """``"wav"`` or ``"mp3"`` from the file's first bytes, or None for anything else."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3":
        return "mp3"
    # An MPEG audio frame header without an ID3 tag: 11 sync bits, layer III.
    if len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0 and (data[1] & 0x06) == 2:
        return "mp3"
    return None


def measure(data: bytes, max_seconds: float = PROMPT_MAX_SECONDS) -> Measured:
    """Check ``data`` as a prompt or recording and say what it holds.

    Raises:
        AudioError: the file is not MP3/WAV, too big, too short or long, near-silent or clipped.
    """
    limit = current_settings().voice_audio_max_bytes
    if len(data) > limit:
        raise AudioError("too_big", {"size_kb": len(data) // 1024, "max_kb": limit // 1024})
    kind = sniff(data)
    if kind is None:
        raise AudioError("not_audio")
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError("not_audio", {"detail": str(exc)[:80]}) from exc
    if rate <= 0 or samples.shape[0] == 0:
        raise AudioError("too_short", {"seconds": 0.0, "min": MIN_SECONDS})
    seconds = samples.shape[0] / rate
    if seconds < MIN_SECONDS:
        raise AudioError("too_short", {"seconds": round(seconds, 2), "min": MIN_SECONDS})
    if seconds > max_seconds:
        raise AudioError("too_long", {"seconds": round(seconds, 1), "max": max_seconds})
    mono = samples.mean(axis=1, dtype=np.float64)
    rms = _dbfs(float(np.sqrt(np.mean(np.square(mono)))))
    magnitudes = np.abs(samples)
    peak = _dbfs(float(magnitudes.max()))
    clipped = float(np.count_nonzero(magnitudes >= CLIP_LEVEL)) / magnitudes.size
    if rms < QUIET_DBFS:
        raise AudioError("too_quiet", {"dbfs": round(rms, 1), "min": QUIET_DBFS})
    if clipped > CLIPPED_SHARE:
        percent = round(clipped * 100, 2)
        raise AudioError("clipped", {"percent": percent, "peak": round(peak, 1)})
    return Measured(kind, round(seconds * 1000), round(rms, 1), round(peak, 1), clipped)


def store(data: bytes, max_seconds: float = PROMPT_MAX_SECONDS) -> AudioClip:
    """The :class:`AudioClip` holding ``data``, checked by :func:`measure`: the existing row
    for the same bytes, else a new one added to the session (the caller commits).

    Raises:
        AudioError: as :func:`measure`.
    """
    measured = measure(data, max_seconds)
    return keep(data, MIME[measured.kind], measured.duration_ms)


def keep(data: bytes, mime: str, duration_ms: int = 0) -> AudioClip:
    """The :class:`AudioClip` holding ``data`` as it is (no checks): the existing row for the
    same bytes, else a new one added to the session (the caller commits)."""
    digest = hashlib.sha256(data).hexdigest()
    found: AudioClip | None = db.session.scalar(select(AudioClip).where(AudioClip.sha256 == digest))
    if found is not None:
        return found
    clip = AudioClip(sha256=digest, mime=mime, size=len(data), duration_ms=duration_ms, data=data)
    db.session.add(clip)
    db.session.flush()
    return clip


def url_path(clip: AudioClip) -> str:
    """The clip's path under the gateway (stable: its content's hash)."""
    return f"/voice/audio/{clip.sha256}.{EXTENSION.get(clip.mime, 'mp3')}"


def absolute_url(clip: AudioClip) -> str:
    """The clip's URL as Africa's Talking fetches it (``GATEWAY_PUBLIC_URL``)."""
    return current_settings().public_url.rstrip("/") + url_path(clip)


def _dbfs(level: float) -> float:
    return 20 * math.log10(level) if level > 0 else -120.0
