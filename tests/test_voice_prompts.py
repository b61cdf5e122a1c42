"""Voice prompts: checked audio, its serving, the fallback chain, clips for values, the prompt
lint and the admin's Voice prompts page."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime, time
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from flask import Flask
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.settings import current_settings
from gateway.users.models import AuditEvent
from gateway.voice import audio
from gateway.voice.demo_prompts import load_demo_prompts
from gateway.voice.lint import code_keys, lint_prompts
from gateway.voice.models import AudioClip, VoicePrompt
from gateway.voice.prompts import prompt
from gateway.voice.xml import Play, Say

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://gateway.example"

# The voice texts these tests speak (the real ones are the lead's, in messages/).
TEXTS = {
    "en": {
        "voice.menu.main": "Welcome to Haki Madini. Press 1 for meetings.",
        "voice.menu.meetings": "Meetings",
        "voice.meeting.when": "The meeting is on {date} at {time}.",
        "voice.poll.count": "{count} people have voted.",
        "voice.test.press": "Press {key}.",
    },
    "sw": {
        "voice.menu.main": "Karibu Haki Madini. Bonyeza 1 kwa mikutano.",
        "voice.meeting.when": "Mkutano ni {date}, {time}.",
        "voice.test.press": "Bonyeza {key}.",
    },
}
FLOW = """\
# A voice flow of this test's own, in flows/voice.yaml's style (the lint reads voice*.yaml).
start: main
nodes:
  main:
    kind: menu
    prompt: voice.menu.main
    options:
      - {key: "1", prompt: voice.menu.meetings, next: when}
  when: {kind: say, prompt: voice.meeting.when, next: count}
  count: {kind: end, prompt: voice.poll.count}
"""


def _po_entries(texts: dict[str, str]) -> str:
    return "".join(f'\nmsgid "{key}"\nmsgstr "{text}"\n' for key, text in texts.items())


@pytest.fixture
def content(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of messages/ with the test's voice texts, and of flows/ with a voice flow."""
    messages = tmp_path / "messages"
    shutil.copytree(ROOT / "messages", messages, ignore=shutil.ignore_patterns("voice"))
    for code, texts in TEXTS.items():
        with (messages / code / "LC_MESSAGES" / "messages.po").open("a", encoding="utf-8") as po:
            po.write(_po_entries(texts))
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    (flows / "voice_prompts_test.yaml").write_text(FLOW, encoding="utf-8")
    return messages, flows


@pytest.fixture
def app(make_app: Callable[..., Flask], redis: Any, content: tuple[Path, Path]) -> Flask:
    messages, flows = content
    return make_app({"MESSAGES_DIR": messages, "FLOWS_DIR": flows}, public_url=PUBLIC)


def tone(seconds: float = 1.0, level: float = 0.1, rate: int = 16000, fmt: str = "WAV") -> bytes:
    """A 440 Hz tone with peak ``level`` (0.1: RMS about -23 dBFS, like speech)."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (level * np.sin(2 * np.pi * 440 * t)).astype("float32")
    out = io.BytesIO()
    if fmt == "MP3":
        soundfile.write(out, samples, rate, format="MP3", subtype="MPEG_LAYER_III")
    else:
        soundfile.write(out, samples, rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


LENGTHS = count(1)  # each recording a tone of its own length, so a file of its own


def record(key: str, language: str, data: bytes | None = None, **kw: Any) -> AudioClip:
    """A stored recording of ``key`` in ``language`` (a tone of its own unless given)."""
    clip = audio.store(data or tone(0.5 + next(LENGTHS) / 100))
    db.session.add(VoicePrompt(key=key, language=language, audio_id=clip.id, source="upload", **kw))
    db.session.commit()
    return clip


def url(clip: AudioClip) -> str:
    return f"{PUBLIC}/voice/audio/{clip.sha256}.{'mp3' if clip.mime == 'audio/mpeg' else 'wav'}"


# Audio checks


def test_wav_and_mp3_are_kept_once_each_by_their_content(app: Flask) -> None:
    """Is a WAV and an MP3 taken (format told by the bytes, length measured), and the same
    file uploaded twice kept once."""
    with app.app_context():
        wav = audio.store(tone(1.0))
        mp3 = audio.store(tone(1.0, fmt="MP3"))
        again = audio.store(tone(1.0))
        db.session.commit()
        assert (wav.mime, mp3.mime) == ("audio/wav", "audio/mpeg")
        assert again.id == wav.id
        assert 990 <= wav.duration_ms <= 1010 and 950 <= mp3.duration_ms <= 1100
        assert db.session.scalar(select(func.count()).select_from(AudioClip)) == 2


@pytest.mark.parametrize(
    ("data", "reason", "figure"),
    [
        (b"ID3 this is a text file called prompt.mp3" * 10, "not_audio", None),
        (b"hello, I am not a sound", "not_audio", None),
        (tone(0.1), "too_short", "seconds 0.1"),
        (tone(1.0, level=0.001), "too_quiet", "dbfs -63.0"),
        (None, "clipped", "percent"),  # made in the test: a tone cut off at full scale
    ],
)
def test_a_file_that_is_no_usable_prompt_is_refused_with_the_measured_figure(
    app: Flask, data: bytes | None, reason: str, figure: str | None
) -> None:
    """Is a non-audio file refused whatever its name, and a too short, near-silent or
    clipped recording refused with what was measured."""
    if data is None:
        t = np.arange(16000) / 16000
        samples = np.clip(3 * np.sin(2 * np.pi * 440 * t), -1, 1).astype("float32")
        out = io.BytesIO()
        soundfile.write(out, samples, 16000, format="WAV", subtype="PCM_16")
        data = out.getvalue()
    with app.app_context(), pytest.raises(audio.AudioError) as refused:
        audio.store(data)
    assert refused.value.reason == reason
    if figure:
        assert figure in str(refused.value)


def test_too_long_and_too_big_files_are_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app(voice_audio_max_bytes=20_000)
    with app.app_context():
        with pytest.raises(audio.AudioError) as long:
            audio.store(tone(0.6), max_seconds=0.5)
        assert long.value.reason == "too_long" and long.value.values["seconds"] == 0.6
        with pytest.raises(audio.AudioError) as big:
            audio.store(tone(2.0))
        assert big.value.reason == "too_big" and big.value.values["max_kb"] == 19


# Serving


def test_audio_is_served_for_good_with_an_etag_and_no_login_or_cookie(app: Flask) -> None:
    with app.app_context():
        clip = audio.store(tone(fmt="MP3"))
        db.session.commit()
        path, sha = audio.url_path(clip), clip.sha256
    client = app.test_client()
    first = client.get(path)
    assert first.status_code == 200 and first.data == tone(fmt="MP3")
    assert first.headers["Content-Type"] == "audio/mpeg"
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert first.headers["ETag"] == f'"{sha}"'
    assert "Set-Cookie" not in first.headers
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(path.replace(".mp3", ".wav")).status_code == 404
    assert client.get(f"/voice/audio/{'0' * 64}.mp3").status_code == 404
    assert client.get("/voice/audio/../../etc/passwd").status_code == 404


# The fallback chain and clips


def test_a_prompt_plays_along_the_chain_and_its_text_is_said_last(app: Flask) -> None:
    """kam -> sw -> en: with nothing recorded the caller's text (Kikamba's falls back to
    Kiswahili) is read out; a recording plays along the chain, the nearest first."""
    with app.app_context():
        assert prompt("voice.menu.main", "kam") == [
            Say("Karibu Haki Madini. Bonyeza 1 kwa mikutano.")
        ]
        assert prompt("voice.menu.main", "en") == [
            Say("Welcome to Haki Madini. Press 1 for meetings.")
        ]
        english = record("voice.menu.main", "en")
        assert prompt("voice.menu.main", "kam") == [Play(url(english))]
        swahili = record("voice.menu.main", "sw")
        assert prompt("voice.menu.main", "kam") == [Play(url(swahili))]
        assert prompt("voice.menu.main", "en") == [Play(url(english))]
        kikamba = record("voice.menu.main", "kam")
        assert prompt("voice.menu.main", "kam") == [Play(url(kikamba))]
        assert prompt("voice.menu.main", "xx") == [Play(url(english))]  # unknown: English


def test_a_meeting_date_in_kiswahili_is_spoken_from_kiswahili_clips(app: Flask) -> None:
    """Is "Mkutano ni {date}, {time}" played as the Kiswahili parts around the weekday, day,
    month and hour clips; and a clip missing in Kiswahili played in English or read out."""
    with app.app_context():
        # nothing recorded in English or Kiswahili: the Kiswahili text, the date in words
        assert prompt("voice.meeting.when", "kam", date=date(2026, 12, 31), time=time(9)) == [
            Say("Mkutano ni Alhamisi 31 Desemba, 09:00.")
        ]
        part1 = record("voice.meeting.when#1", "sw")
        thursday = record("voice.clip.weekday.4", "sw")
        day31 = record("voice.clip.number.31", "sw")
        ten = record("voice.clip.hour.10", "sw")
        december_en = record("voice.clip.month.12", "en")
        when = {"date": date(2026, 12, 31), "time": time(10, 0)}
        # the Kiswahili text has one part ("Mkutano ni"): the rest is values
        assert prompt("voice.meeting.when", "kam", **when) == [
            Play(url(part1)),
            Play(url(thursday)),
            Play(url(day31)),
            Play(url(december_en)),  # no Kiswahili month yet: English's clip
            Play(url(ten)),
        ]
        december = record("voice.clip.month.12", "sw")
        spoken = prompt("voice.meeting.when", "sw", date=date(2026, 12, 31), time=time(10, 15))
        assert spoken[3] == Play(url(december))
        assert spoken[-1] == Say("15")  # minutes: no clip for 15 in any language
        # English has no parts recorded: the whole sentence is read out, values as words
        assert prompt("voice.meeting.when", "en", **when) == [
            Say("The meeting is on Thursday 31 December at 10:00 AM.")
        ]
        assert prompt("voice.meeting.when", "en", date=when["date"], time=time(9, 30)) == [
            Say("The meeting is on Thursday 31 December at 9:30 AM.")
        ]


def test_a_datetime_is_spoken_in_the_gateway_time_zone_and_large_numbers_digit_by_digit(
    app: Flask,
) -> None:
    with app.app_context():
        part = record("voice.meeting.when#1", "sw")
        assert current_settings().timezone.key == "Africa/Nairobi"
        spoken = prompt(
            "voice.meeting.when",
            "sw",
            date=datetime.fromisoformat("2026-12-31T07:00:00+00:00"),  # 10:00 in Nairobi
            time=time(9),
        )
        # no clip recorded in any language: each script read out in Kiswahili
        assert spoken == [
            Play(url(part)),
            *map(Say, ("Alhamisi", "31", "Desemba", "10:00", "09:00")),
        ]
        clips = {n: record(f"voice.clip.number.{n}", "sw") for n in (1, 2, 5)}
        # Kiswahili has no text of its own: a speaker recorded the part of the English one
        people = record("voice.poll.count#1", "sw")
        assert prompt("voice.poll.count", "sw", count=125) == [
            *(Play(url(clips[n])) for n in (1, 2, 5)),
            Play(url(people)),
        ]
        assert prompt("voice.poll.count", "en", count=125) == [Say("125 people have voted.")]


def test_the_engine_speaks_recordings_and_a_menu_key_as_a_number_clip(app: Flask) -> None:
    """Is the app's voice speaker this one, and "Press {key}" with key "3" played as the
    Kiswahili part and the Kiswahili clip for 3."""
    speak = app.extensions["voice_speaker"]
    with app.app_context():
        press = record("voice.test.press#1", "sw")
        three = record("voice.clip.number.3", "sw")
        assert speak("voice.test.press", "kam", {"key": "3"}) == [
            Play(url(press)),
            Play(url(three)),
        ]
        assert speak("voice.test.press", "en", {"key": "3"}) == [Say("Press 3.")]


# The prompt lint


def test_prompts_the_voice_code_speaks_by_itself_are_needed(tmp_path: Path) -> None:
    (tmp_path / "voice").mkdir()
    (tmp_path / "voice" / "engine.py").write_text(
        'HINT = "voice.hint.again"\nlog("voice.call_placed")\n', encoding="utf-8"
    )
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "voice.py").write_text('say("voice.report.thanks")\n')
    known = {"voice.hint.again", "voice.report.thanks", "voice.other"}
    assert code_keys(known, tmp_path) == ["voice.hint.again", "voice.report.thanks"]


def test_the_lint_lists_each_prompt_per_language_and_fails_on_a_missing_text(
    app: Flask, runner: Any, content: tuple[Path, Path]
) -> None:
    with app.app_context():
        record("voice.menu.main", "sw", placeholder=True)
        report = lint_prompts()
        assert report.errors == []
        rows = {row.key: row for row in report.rows}
        assert {"voice.meeting.when#1", "voice.meeting.when#2", "voice.clip.month.12"} <= set(rows)
        main = rows["voice.menu.main"].cells
        assert main["sw"].recorded and main["sw"].placeholder
        assert (main["kam"].recorded, main["kam"].plays, main["en"].plays) == (False, "sw", "say")
        # The Kiswahili text has one part: its #2 does not apply in Kiswahili
        assert not rows["voice.meeting.when#2"].cells["sw"].applies
        assert rows["voice.meeting.when#1"].scripts == {
            "en": "The meeting is on",
            "sw": "Mkutano ni",
            "kam": "Mkutano ni",
        }
    result = runner.invoke(args=["voice", "lint"])
    assert result.exit_code == 0, result.output
    line = r"voice\.menu\.main .*sw: recorded, placeholder \(upload, .*kam: missing, plays sw"
    assert re.search(line, result.output)
    assert "voice lint:" in result.output and "ERROR" not in result.output

    _, flows = content
    with (flows / "voice_prompts_test.yaml").open("a", encoding="utf-8") as flow:
        flow.write("  bye: {kind: end, prompt: voice.test.missing}\n")
    failed = runner.invoke(args=["voice", "lint"])
    assert failed.exit_code == 1
    assert "ERROR voice.test.missing: not in the catalogs (no English text)" in failed.output


# The admin page


def _upload(session: Any, files: list[tuple[bytes, str]], language: str, **form: str) -> Any:
    return session.post(
        "/admin/voice/prompts",
        {"language": language, "file": [(io.BytesIO(d), n) for d, n in files], **form},
        page="/admin/voice/prompts",
        content_type="multipart/form-data",
    )


def test_admin_uploads_recordings_checked_per_file_and_audited(
    app: Flask, admin_as: Callable[..., Any]
) -> None:
    session = admin_as("coordinator", counties=("Kitui",), name="Mwikali")
    page = session.get("/admin/voice/prompts")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "voice.meeting.when#1" in html and "Missing: read out by the computer voice" in html
    quiet = tone(1.0, level=0.001)
    response = _upload(
        session,
        [(tone(1.0, fmt="MP3"), "voice.menu.main.mp3"), (quiet, "voice.meeting.when#1.wav")],
        "kam",
    )
    assert response.status_code == 400  # one of the two was refused
    html = response.get_data(as_text=True)
    assert "stored as voice.menu.main" in html
    assert "is almost silent (-63.0 dBFS on average" in html
    with app.app_context():
        stored = db.session.scalars(select(VoicePrompt)).all()
        assert [(p.key, p.language, p.source) for p in stored] == [
            ("voice.menu.main", "kam", "upload")
        ]
        assert stored[0].recorded_by_id == session.user_id
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "voice.prompt_upload")
        ).all()
        assert event.target_id == "voice.menu.main/kam" and event.user_id == session.user_id
        sha = db.session.get(AudioClip, stored[0].audio_id).sha256
    detail = session.get("/admin/voice/prompts/voice.menu.main/kam").get_data(as_text=True)
    assert f'src="/voice/audio/{sha}.mp3"' in detail and "Mwikali" in detail
    # one file from the prompt's own page (its key in the form, any file name)
    one = _upload(session, [(tone(0.8), "take2.wav")], "sw", key="voice.menu.main")
    assert one.status_code == 200
    unknown = _upload(session, [(tone(0.8), "voice.nothing.wav")], "sw")
    assert unknown.status_code == 400 and "voice.nothing is no prompt" in unknown.get_data(
        as_text=True
    )


def test_viewers_may_listen_but_not_upload(app: Flask, admin_as: Callable[..., Any]) -> None:
    viewer = admin_as("viewer")
    assert viewer.get("/admin/voice/prompts").status_code == 200
    assert _upload(viewer, [(tone(), "voice.menu.main.wav")], "sw").status_code == 403
    assert admin_as("radio_host").get("/admin/voice/prompts").status_code == 403


# Demo prompts


def test_demo_prompts_load_as_placeholders_once_and_never_over_a_recording(
    app: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "voice"
    (folder / "sw").mkdir(parents=True)
    (folder / "en").mkdir()
    (folder / "sw" / "voice.menu.main.mp3").write_bytes(tone(fmt="MP3"))
    (folder / "en" / "voice.menu.main.mp3").write_bytes(tone(0.7, fmt="MP3"))
    with app.app_context():
        record("voice.menu.main", "en")  # a human recording stays
        assert load_demo_prompts(folder) == 1
        db.session.commit()
        assert load_demo_prompts(folder) == 0
        demo = db.session.scalars(select(VoicePrompt).where(VoicePrompt.source == "demo")).all()
        assert [(p.language, p.placeholder) for p in demo] == [("sw", True)]


def test_the_committed_demo_prompts_pass_the_checks(app: Flask) -> None:
    """Is every committed demo file small (at most 32 kbps) and fit to upload."""
    files = sorted((ROOT / "messages" / "voice").glob("*/*.mp3"))
    with app.app_context():
        for path in files:
            data = path.read_bytes()
            measured = audio.measure(data)
            assert measured.kind == "mp3"
            assert len(data) * 8 / (measured.duration_ms / 1000) <= 33_000, path
