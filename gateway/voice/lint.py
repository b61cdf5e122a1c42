"""Which prompts the voice flows need, and which are recorded in each language:
``flask --app wsgi voice lint``, and the table on the admin's Voice prompts page.

Needed are every ``voice.*`` key written in ``flows/voice*.yaml``, the catalog keys the voice
code speaks by itself (a hint, "press {key}", goodbye: ``voice.*`` strings in the voice
modules), and every clip the values are spoken from (:data:`gateway.voice.prompts.CLIP_KEYS`).
A prompt with no English text is an error (English is every chain's end; without it ``<Say>``
has nothing to say); a prompt not recorded in a language is reported with what plays instead
(another language's recording, or its text read out by ``<Say>``), which is no error.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from gateway.extensions import db
from gateway.i18n import DEFAULT_LANGUAGE, Catalogs, MissingText, catalogs
from gateway.users.models import User
from gateway.voice.audio import url_path
from gateway.voice.models import AudioClip, VoicePrompt
from gateway.voice.prompts import (
    CLIP_KEYS,
    KEY,
    PREFIX,
    clip_script,
    is_clip,
    recording_keys,
    recordings,
    stretches,
)

SAY = "say"  # what plays when no language along the chain has the prompt recorded
GATEWAY = Path(__file__).resolve().parent.parent
# The modules that speak: the voice package, each area's voice.py and the callback's.
VOICE_CODE = ("voice/*.py", "*/voice.py")


def flow_keys(flows_dir: Path) -> list[str]:
    """Every ``voice.*`` key named anywhere in ``flows_dir/voice*.yaml``, sorted."""
    found: set[str] = set()
    for path in sorted(flows_dir.glob("voice*.yaml")):
        found.update(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return sorted(k for k in found if KEY.fullmatch(k) and not is_clip(k))


def code_keys(known: set[str], root: Path = GATEWAY) -> list[str]:
    """The ``voice.*`` strings in the voice modules' code that are catalog keys (``known``):
    prompts the engine speaks by itself. A string there that is no key (a log or audit
    action) is no prompt."""
    found: set[str] = set()
    for pattern in VOICE_CODE:
        for path in sorted(root.glob(pattern)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found.update(
                node.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            )
    return sorted(k for k in found if k in known and KEY.fullmatch(k) and not is_clip(k))


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node.strip()
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


@dataclass(frozen=True)
class Cell:
    """One recording key in one language."""

    applies: bool  # the language's text has this part (a text's parts differ by language)
    plays: str  # the language whose recording a caller hears for the prompt, or SAY
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    source: str | None = None  # upload, phone, demo
    placeholder: bool = False
    url: str | None = None  # the recording's path, for a player

    @property
    def recorded(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class Row:
    """A recording to make: a prompt, a part of one (``key#n``), or a clip."""

    key: str
    prompt: str  # the prompt it belongs to
    scripts: dict[str, str]  # what it says, by language (the text it is read from)
    cells: dict[str, Cell]
    error: str | None = None


@dataclass
class Coverage:
    languages: list[str]
    rows: list[Row] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{row.key}: {row.error}" for row in self.rows if row.error]

    def lines(self) -> Iterator[str]:
        for row in self.rows:
            if row.error:
                yield f"ERROR {row.key}: {row.error}"
                continue
            yield f"{row.key}  " + "  ".join(
                f"{code}: {describe(row.cells[code], code)}" for code in self.languages
            )


def describe(cell: Cell, language: str) -> str:
    """A cell in words (English: the lint's output)."""
    if cell.recorded:
        who = f" by {cell.recorded_by}" if cell.recorded_by else ""
        when = f", {cell.recorded_at:%Y-%m-%d}" if cell.recorded_at else ""
        kind = ", placeholder" if cell.placeholder else ""
        missing = "" if cell.plays == language else f"; other parts missing, plays {cell.plays}"
        return f"recorded{kind} ({cell.source}{who}{when}){missing}"
    if not cell.applies:
        return "-"
    return "missing, read out by <Say>" if cell.plays == SAY else f"missing, plays {cell.plays}"


def needed_keys(flows_dir: Path | None = None) -> list[str]:
    """The prompts the voice flows and code need, then the clips."""
    directory = flows_dir or Path(current_app.config["FLOWS_DIR"])
    flows = flow_keys(directory)
    code = [k for k in code_keys(catalogs().keys()) if k not in flows]
    return [*sorted({*flows, *code}), *CLIP_KEYS]


def coverage(keys: Iterable[str]) -> Coverage:
    """Each prompt of ``keys`` (and each of its parts) × each language: recorded, or what
    plays instead."""
    loaded = catalogs()
    languages = [language.code for language in loaded.languages()]
    keys = list(dict.fromkeys(keys))
    found = recordings(keys, languages)
    names = _names({row.recorded_by_id for row, _ in found.values()})
    result = Coverage(languages)
    for key in keys:
        if not key.startswith(PREFIX):
            result.rows.append(Row(key, key, {}, {}, "not a voice prompt key"))
        elif is_clip(key):
            result.rows.append(_clip_row(key, languages, found, names))
        else:
            result.rows.extend(_prompt_rows(loaded, key, languages, found, names))
    return result


def lint_prompts(flows_dir: Path | None = None) -> Coverage:
    """The coverage of everything the voice flows need (see :func:`coverage`)."""
    return coverage(needed_keys(flows_dir))


Found = dict[tuple[str, str], tuple[VoicePrompt, AudioClip]]


def _prompt_rows(
    loaded: Catalogs, key: str, languages: list[str], found: Found, names: dict[int, str]
) -> list[Row]:
    try:
        loaded.raw(key, DEFAULT_LANGUAGE)
    except MissingText:
        return [Row(key, key, {}, {}, "not in the catalogs (no English text)")]
    texts = {code: loaded.raw(key, code)[0] for code in languages}
    layouts = {code: recording_keys(key, text) for code, text in texts.items()}
    plays = {code: _plays(loaded, code, layouts, found) for code in languages}
    rows = []
    for rkey in dict.fromkeys(k for code in languages for k in layouts[code]):
        cells = {
            code: _cell(found.get((rkey, code)), rkey in layouts[code], plays[code], names)
            for code in languages
        }
        rows.append(Row(rkey, key, _part_scripts(rkey, texts, layouts), cells))
    return rows


def _plays(loaded: Catalogs, language: str, layouts: dict[str, list[str]], found: Found) -> str:
    for candidate in loaded.chain(language):
        if all((rkey, candidate) in found for rkey in layouts[candidate]):
            return candidate
    return SAY


def _part_scripts(
    rkey: str, texts: dict[str, str], layouts: dict[str, list[str]]
) -> dict[str, str]:
    """What ``rkey`` says in each language: the whole text, or its stretch of the text."""
    scripts = {}
    for code, text in texts.items():
        if rkey not in layouts[code]:
            continue
        if len(layouts[code]) == 1 and "#" not in rkey:
            scripts[code] = text
            continue
        scripts[code] = stretches(text)[layouts[code].index(rkey)]
    return scripts


def _clip_row(key: str, languages: list[str], found: Found, names: dict[int, str]) -> Row:
    loaded = catalogs()
    cells = {}
    for code in languages:
        plays = next((c for c in loaded.chain(code) if (key, c) in found), SAY)
        cells[code] = _cell(found.get((key, code)), True, plays, names)
    return Row(key, key, {code: clip_script(key, code) for code in languages}, cells)


def _cell(
    recording: tuple[VoicePrompt, AudioClip] | None,
    applies: bool,
    plays: str,
    names: dict[int, str],
) -> Cell:
    if recording is None:
        return Cell(applies, plays)
    row, clip = recording
    return Cell(
        applies,
        plays,
        recorded_by=names.get(row.recorded_by_id) if row.recorded_by_id else None,
        recorded_at=row.recorded_at,
        source=row.source,
        placeholder=row.placeholder,
        url=url_path(clip),
    )


def _names(user_ids: set[int | None]) -> dict[int, str]:
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    return {i: n for i, n in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}


voice_cli = AppGroup("voice", help="The voice line's prompts.")


@voice_cli.command("lint")
@with_appcontext
def lint_command() -> None:
    """List every prompt the voice flows need, per language: recorded, or what plays instead;
    exit 1 if a prompt has no English text."""
    report = lint_prompts()
    for line in report.lines():
        click.echo(line)
    errors = report.errors
    if errors:
        click.echo(f"voice lint: {len(errors)} errors")
        click.get_current_context().exit(1)
    missing = sum(
        1
        for row in report.rows
        for cell in row.cells.values()
        if cell.applies and not cell.recorded
    )
    click.echo(f"voice lint: {len(report.rows)} recordings, {missing} missing (falling back)")
