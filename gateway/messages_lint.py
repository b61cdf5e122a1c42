"""Checks every catalog before it reaches a phone: ``flask --app wsgi messages lint``.

A text that breaks on a basic phone is a bug found by a community member; these checks find it
first. The renderer transliterates every text to GSM-7 before sending (``ĩ`` → ``i``, curly quotes
→ straight ones), so a text only fails for characters transliteration cannot save.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from string import Formatter

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from gateway.encoding import analyse, is_gsm7, transliterate
from gateway.i18n import DEFAULT_LANGUAGE, Catalogs, MissingText, catalogs

USSD_SCREEN_LIMIT = 160  # characters: Safaricom's screen, the tightest Kenyan network
SMS_SEGMENT_LIMIT = 2
# Realistic long values: the longest county name HMK works in, the real codes.
SAMPLE_VALUES = {
    "county": "Taita Taveta",
    "code": "*384*123#",
    "shortcode": "22384",
    "language": "Kiswahili",
    "guide": "Limestone mining & your rights",
    "title": "Kanziku limestone platform meeting",
    "when": "Alhamisi 31 Des, 10:00",
    "place": "Macalder/Kanyarwanda, Taita Taveta",
    "question": "Should the county publish the EIA report of the new limestone mine?",
    "choice": "Sina uhakika",
    "category": "Usalama au unyanyasaji",
    "description": "Walinzi wa mgodi walimpiga mchungaji...",
    "anonymous": "Hapana",
    "reference": "R-7K3M9P",
    # Polls and surveys (the API checks each real poll's and survey's SMS as written).
    "keyword": "KANZIKU2026",
    "options": "1 Ndiyo\n2 Hapana\n3 Sina uhakika\n4 Baada ya mkutano wa jamii",
    "results": "Ndiyo 62%, Hapana 30%, Sina uhakika 8%",
    "prompt": "How many times has the river near the mine changed colour since blasting began?",
    "position": 10,
    "count": 10,
    "last": 9,
    "max": "1,000,000",
    # Radio shows: the longest name and station the radio API accepts (60 and 40 characters).
    "show": "Madini Ni Yetu: sauti ya jamii za maeneo ya madini ya Kitui",
    "station": "Kitui Community Radio 88.5 FM, Mwingi",
    # A commitment followed up: what was promised, as long as the admin form accepts.
    "what": ("kukarabati kisima cha Mui na kuweka tangi la maji karibu na shule, " * 2)[:120],
}
SAMPLE_UNKNOWN = "x" * 20  # a placeholder with no sample above renders as 20 characters
CONSENT_KEY = re.compile(r"consent\.v(\d+)")
CONSENT_SCREEN = "ussd.join.consent"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one text (or one language.yaml, with key ``""``)."""

    language: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.language} {self.key or 'language.yaml'}: {self.message}"


ADMIN_PREFIX = "admin."
Check = Callable[[Catalogs], list[Problem]]


def lint_catalogs(catalogs: Catalogs) -> list[Problem]:
    """Every problem in ``catalogs``; an empty list means they are fit to send."""
    return [
        *_check_languages(catalogs),
        *_check_english_complete(catalogs),
        *(problem for key in sorted(catalogs.keys()) for problem in _check_key(catalogs, key)),
        *_check_keywords(catalogs),
        *_check_consent(catalogs),
    ]


def _check_languages(catalogs: Catalogs) -> Iterator[Problem]:
    known = {language.code for language in catalogs.languages()}
    for language in catalogs.languages():
        for code in language.fallback:
            if code not in known:
                yield Problem(language.code, "", f"fallback names an unknown language {code!r}")
        if not is_gsm7(language.name):
            yield Problem(language.code, "", f"name {language.name!r} is not GSM-7")


def _check_english_complete(catalogs: Catalogs) -> Iterator[Problem]:
    # Every chain ends in English (Catalogs.chain guarantees it), so a key with an English text
    # always has a text in every language; a key without one is missing for everybody.
    for key in sorted(catalogs.keys()):
        try:
            catalogs.raw(key, DEFAULT_LANGUAGE)
        except MissingText:
            yield Problem(DEFAULT_LANGUAGE, key, "no English text (every key needs one)")


def _check_key(catalogs: Catalogs, key: str) -> Iterator[Problem]:
    variants = catalogs.variants(key)
    english = _placeholders(variants.get(DEFAULT_LANGUAGE, ""))
    for code, text in variants.items():
        found = _placeholders(text)
        if isinstance(found, str):
            yield Problem(code, key, found)
            continue
        if code != DEFAULT_LANGUAGE and isinstance(english, frozenset) and found != english:
            yield Problem(
                code, key, f"placeholders {_names(found)} differ from English's {_names(english)}"
            )
        try:
            rendered = text.format_map(_Samples())
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            yield Problem(code, key, f"cannot be filled with sample values ({exc!r})")
            continue
        if key.startswith(ADMIN_PREFIX):
            continue  # shown in a browser, never sent to a phone: no GSM-7 or length limit
        sent = transliterate(rendered)
        if sent.count("?") > rendered.count("?") or not is_gsm7(sent):
            lost = (c for c in rendered if c != "?" and transliterate(c) == "?")
            bad = "".join(dict.fromkeys(lost))
            yield Problem(code, key, f"characters that cannot be sent as GSM-7: {bad!r}")
        yield from _check_size(code, key, sent)


def _check_size(code: str, key: str, sent: str) -> Iterator[Problem]:
    info = analyse(sent)
    if key.startswith("ussd.") and info.length > USSD_SCREEN_LIMIT:
        yield Problem(
            code,
            key,
            f"{info.length} characters with sample values; a USSD screen holds {USSD_SCREEN_LIMIT}",
        )
    if key.startswith("sms.") and info.segments > SMS_SEGMENT_LIMIT:
        yield Problem(
            code, key, f"{info.segments} SMS with sample values; at most {SMS_SEGMENT_LIMIT}"
        )


def _check_keywords(catalogs: Catalogs) -> Iterator[Problem]:
    """A word may mean only one keyword, in whatever language it is sent."""
    owner: dict[str, str] = {}
    for key in sorted(k for k in catalogs.keys() if k.startswith("keyword.")):
        for code, text in catalogs.variants(key).items():
            for word in text.split("|"):
                word = word.strip().casefold()
                if not word or " " in word:
                    yield Problem(code, key, f"keyword alternatives must be single words: {text!r}")
                elif owner.setdefault(word, key) != key:
                    yield Problem(code, key, f"{word.upper()!r} is also {owner[word]}")


def _check_consent(catalogs: Catalogs) -> Iterator[Problem]:
    """The consent question must read exactly like the latest recorded consent wording."""
    versions = [m for m in map(CONSENT_KEY.fullmatch, catalogs.keys()) if m]
    if not versions or CONSENT_SCREEN not in catalogs.keys():
        return
    latest = max(versions, key=lambda match: int(match.group(1))).group(0)
    for language in catalogs.languages():
        try:
            shown, recorded = (catalogs.raw(k, language.code)[0] for k in (CONSENT_SCREEN, latest))
        except MissingText:
            continue  # reported as a missing English text
        if shown != recorded:
            yield Problem(
                language.code,
                CONSENT_SCREEN,
                f"differs from {latest}, the wording recorded with each consent",
            )


def _placeholders(text: str) -> frozenset[str] | str:
    """The names of ``text``'s ``{placeholders}``, or why they are unusable."""
    try:
        fields = [field for _, field, _, _ in Formatter().parse(text) if field is not None]
    except ValueError as exc:
        return f"malformed placeholder ({exc}); write a literal brace as {{{{ or }}}}"
    names = frozenset(re.split(r"[.\[]", field, maxsplit=1)[0] for field in fields)
    if any(not name or name.isdigit() for name in names):
        return "positional placeholder; name it, e.g. {county}"
    return names


def _names(names: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(names)) + "}" if names else "none"


class _Samples(dict[str, object]):
    def __init__(self) -> None:
        super().__init__(SAMPLE_VALUES)

    def __missing__(self, key: str) -> object:
        return SAMPLE_UNKNOWN


messages_cli = AppGroup("messages", help="Check the message catalogs.")


@messages_cli.command("lint")
def lint_command() -> None:
    """Check every catalog, and every USSD screen in every language; print each problem and
    exit 1 if there is any."""
    loaded = catalogs()
    problems = lint_catalogs(loaded)
    for check in current_app.extensions.get("messages_lint_checks", ()):
        problems += check(loaded)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"messages lint: {len(problems)} problems")
        click.get_current_context().exit(1)
    click.echo(
        f"messages lint: {len(loaded.languages())} languages, {len(loaded.keys())} keys, "
        "no problems"
    )


def register_cli(app: Flask, checks: Iterable[Check] = ()) -> None:
    """Add ``flask messages lint`` to ``app`` (which must have run ``i18n.init_app``); it runs
    ``checks`` too (the USSD screens', given by :mod:`gateway.wiring`)."""
    app.extensions["messages_lint_checks"] = tuple(checks)
    app.cli.add_command(messages_cli)
