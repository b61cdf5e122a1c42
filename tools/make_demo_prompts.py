"""Speak every ``voice.*`` text with espeak-ng into small MP3s: the demo's placeholder prompts.

    python tools/make_demo_prompts.py [--messages DIR]    (needs: apt-get install espeak-ng)

writes ``messages/voice/<language>/<key>.mp3`` (mono, 22 kHz, about 24 kbps, encoded by the
``soundfile`` wheel's libsndfile: no ffmpeg) for each prompt (a text with placeholders: each
part, ``<key>#<n>.mp3``) and each clip (numbers, weekdays, months, hours), in the languages
espeak-ng speaks: English and Kiswahili. Kikamba has no espeak voice: it falls back to
Kiswahili, as its texts do, until native speakers record it. A language's file is made only
from its own text (a text that falls back would be another language read in the wrong voice).
Rerunnable: a file whose sound is unchanged is left alone, and files of prompts that no longer
exist are removed. ``flask demo load`` stores them as placeholders.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.i18n import Catalogs  # noqa: E402
from gateway.voice.prompts import (  # noqa: E402
    CLIP_KEYS,
    CLIP_PREFIX,
    clip_script,
    parts,
    stretches,
)

VOICES = {"en": "en-gb", "sw": "sw"}  # language -> espeak-ng voice
OUT = ROOT / "messages" / "voice"
MP3_LEVEL = 0.9  # libsndfile's MP3 compression level: about 24 kbps
SWAHILI_HOURS = "sita saba nane tisa kumi kumi_na_moja kumi_na_mbili moja mbili tatu nne tano"


def swahili_hour(hour: int) -> str:
    """Swahili time: the day's hours are counted from 06:00 (10:00 is "saa nne asubuhi")."""
    word = SWAHILI_HOURS.split()[hour % 12].replace("_", " ")
    if 6 <= hour < 12:
        period = "asubuhi"
    elif 12 <= hour < 16:
        period = "mchana"
    elif 16 <= hour < 19:
        period = "jioni"
    else:
        period = "usiku"
    return f"saa {word} {period}"


def scripts(catalogs: Catalogs, language: str) -> dict[str, str]:
    """Each recording to make in ``language`` and what it says."""
    found: dict[str, str] = {}
    own = {k: catalogs.variants(k).get(language) for k in catalogs.keys()}
    for key, text in sorted(own.items()):
        if not text or not key.startswith("voice.") or key.startswith(CLIP_PREFIX):
            continue
        layout = [p.key for p in parts(key, text) if p.key is not None]
        if len(layout) == 1 and "#" not in layout[0]:
            found[key] = text
        else:
            found.update(zip(layout, stretches(text), strict=True))
    for key in CLIP_KEYS:
        if language == "sw" and key.startswith(f"{CLIP_PREFIX}hour."):
            found[key] = swahili_hour(int(key.rsplit(".", 1)[1]))
        else:
            found[key] = clip_script(key, language, catalogs)
    return found


def speak(text: str, voice: str) -> bytes:
    """``text`` as MP3 in espeak-ng's ``voice``."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    out = io.BytesIO()
    soundfile.write(
        out,
        samples,
        rate,
        format="MP3",
        subtype="MPEG_LAYER_III",
        bitrate_mode="CONSTANT",
        compression_level=MP3_LEVEL,
    )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=Path, default=ROOT / "messages", help="the catalogs")
    catalogs = Catalogs.load(parser.parse_args().messages)
    for language, voice in VOICES.items():
        folder = OUT / language
        folder.mkdir(parents=True, exist_ok=True)
        wanted = scripts(catalogs, language)
        written = 0
        for key, text in wanted.items():
            path = folder / f"{key}.mp3"
            data = speak(text, voice)
            if not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)
                written += 1
        stale = [p for p in folder.glob("*.mp3") if p.stem not in wanted]
        for path in stale:
            path.unlink()
        print(f"{language}: {len(wanted)} prompts, {written} written, {len(stale)} removed")


if __name__ == "__main__":
    main()
