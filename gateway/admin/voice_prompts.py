"""The admin UI's Voice prompts page: which prompt is recorded in which language (the same
table as ``flask voice lint``), a player for each recording, and uploads of MP3 or WAV files,
checked (format, length, loudness) and audited.

Admins and coordinators record: the coordinators in the counties are the native Kikamba and
Kiswahili speakers HMK has. Viewers see the table and listen.
"""

from __future__ import annotations

import re

from flask import abort, render_template, request
from werkzeug.datastructures import FileStorage

from gateway.admin import bp
from gateway.admin.auth import takes_upload
from gateway.admin.templating import t
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.settings import current_settings
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER
from gateway.voice import audio
from gateway.voice.lint import SAY, Coverage, Row, coverage, needed_keys
from gateway.voice.recorded import numbers, save_prompt

MAX_FILES = 50
# A file's name names its recording in a bulk upload: voice.meeting.when#1.mp3
FILE_KEY = re.compile(r"(voice\.[A-Za-z0-9_.-]+?(?:#\d+)?)\.(?:mp3|wav)", re.IGNORECASE)


@bp.route("/voice/prompts")
@require_role(ADMIN, COORDINATOR, VIEWER)
def voice_prompts() -> str:
    return _page()


@bp.post("/voice/prompts")
@takes_upload(MAX_FILES * 1024 * 1024 + 64 * 1024)
@require_role(ADMIN, COORDINATOR, write=True)
def voice_prompts_upload() -> tuple[str, int] | str:
    """Store each uploaded file as the recording its field (or, in the bulk form, its file
    name) names, in the chosen language; report each file's outcome."""
    report = coverage(needed_keys())
    rows = {row.key: row for row in report.rows if not row.error}
    language = request.form.get("language", "")
    results: list[tuple[str, str, bool]] = []  # file, what happened, stored
    if language not in report.languages:
        results.append(("", t("admin.voice.error.language"), False))
    else:
        for name, upload in _uploads():
            key = request.form.get("key") or _key_of(upload.filename or "")
            results.append(_save(name, key, language, upload, rows))
    db.session.commit()
    stored = all(ok for _, _, ok in results) and bool(results)
    return _page(results), 200 if stored else 400


def _uploads() -> list[tuple[str, FileStorage]]:
    files = [f for f in request.files.getlist("file") if f.filename]
    return [(f.filename or "", f) for f in files[:MAX_FILES]]


def _key_of(filename: str) -> str | None:
    found = FILE_KEY.fullmatch(filename.rsplit("/", 1)[-1])
    return found.group(1) if found else None


def _save(
    name: str, key: str | None, language: str, upload: FileStorage, rows: dict[str, Row]
) -> tuple[str, str, bool]:
    row = rows.get(key or "")
    if key is None or row is None or not row.cells[language].applies:
        return name, t("admin.voice.error.key", key=key or name), False
    limit = current_settings().voice_audio_max_bytes
    data = upload.read(limit + 1)
    try:
        clip = audio.store(data)
    except audio.AudioError as error:
        return name, t(f"admin.voice.error.{error.reason}", **error.values), False
    save_prompt(row.key, language, clip, "upload", principal().user_id)
    audit.record(
        "voice.prompt_upload",
        "voice_prompt",
        f"{row.key}/{language}",
        sha256=clip.sha256,
        seconds=clip.duration_ms / 1000,
        filename=name[:120],
    )
    seconds = f"{clip.duration_ms / 1000:.1f}"
    return name, t("admin.voice.stored", key=row.key, seconds=seconds), True


def _page(results: list[tuple[str, str, bool]] | None = None) -> str:
    report: Coverage = coverage(needed_keys())
    loaded = catalogs()
    names = {code: loaded.language(code).english_name for code in report.languages}
    prompts = [row for row in report.rows if not row.key.startswith("voice.clip.")]
    clips = [row for row in report.rows if row.key.startswith("voice.clip.")]
    return render_template(
        "admin/voice/prompts.html",
        report=report,
        prompts=prompts,
        clips=clips,
        names=names,
        numbers=numbers(report),
        results=results or [],
        say=SAY,
        can_upload=principal().can_write and principal().role in (ADMIN, COORDINATOR),
        max_mb=current_settings().voice_audio_max_bytes // (1024 * 1024),
    )


@bp.route("/voice/prompts/<path:key>/<language>")
@require_role(ADMIN, COORDINATOR, VIEWER)
def voice_prompt(key: str, language: str) -> str:
    """One recording in one language: its script, its player, and an upload to replace it."""
    report = coverage(needed_keys())
    row = next((r for r in report.rows if r.key == key and not r.error), None)
    if row is None or language not in report.languages:
        abort(404)
    return render_template(
        "admin/voice/prompt.html",
        row=row,
        language=language,
        cell=row.cells[language],
        name=catalogs().language(language).english_name,
        names={code: catalogs().language(code).english_name for code in report.languages},
        say=SAY,
        can_upload=principal().can_write and principal().role in (ADMIN, COORDINATOR),
    )
