"""What a caller hears for a prompt: recordings in their language, along the texts' fallback chain.

A prompt is a ``voice.*`` message key; its text in each language is the script a recording
speaks. :func:`prompt` gives the ``<Say>``/``<Play>`` actions for one prompt in one language:

- **Recordings** (:class:`VoicePrompt`, key × language) are looked up along the language's
  chain as texts are (:meth:`gateway.i18n.Catalogs.chain`: ``kam → sw → en``): the first
  language with a complete recording plays; with none, ``<Say>`` reads out the caller's text
  (Africa's Talking has an English voice only, but a Kiswahili text read by it is understood
  where an English one would not be: the language menu, above all).
- **A text with placeholders** ("The meeting is on {date} at {time}") is recorded in parts:
  the text around its placeholders, each non-blank stretch a part of its own, numbered from 1
  in that language's text: ``voice.meeting.when#1`` ("The meeting is on"), ``#2`` ("at"). A
  language counts as recorded only with every part, since its word order is its own; the
  values are spoken between the parts, in the language the parts are in.
- **Values** are spoken from clips, each a recording of its own with its own fallback (a
  clip missing in Kikamba plays in Kiswahili, else ``<Say>`` reads out its script):

  ========================  =====================================================
  ``voice.clip.number.N``   N = 0..99; larger numbers digit by digit
  ``voice.clip.weekday.D``  D = 1 (Monday) .. 7 (Sunday), ISO numbering
  ``voice.clip.month.M``    M = 1 .. 12
  ``voice.clip.hour.H``     H = 0 .. 23, the hour as listeners tell it (in Kiswahili
                            10:00 is "saa nne asubuhi": the clip carries it)
  ========================  =====================================================

  A date is weekday, day (a number) and month; a time is its hour, then its minutes (a
  number) unless on the hour; a ``datetime`` is both, in the gateway's time zone. A number is
  an ``int`` or digits written as text (a menu's key, ``"1"``). A value that is itself a
  ``voice.*`` key (a recorded option label) is that prompt; other text (an option typed by
  staff) is read out by ``<Say>``. Clips have no catalog entry: their scripts come from CLDR
  (weekday and month names in each language) or are the number or hour itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from string import Formatter

from babel.dates import format_date, format_time, get_day_names, get_month_names
from flask import Flask
from sqlalchemy import or_, select

from gateway.extensions import db
from gateway.i18n import DEFAULT_LANGUAGE, Catalogs, catalogs
from gateway.settings import current_settings
from gateway.voice.audio import absolute_url
from gateway.voice.models import AudioClip, VoicePrompt
from gateway.voice.xml import Play, Say

PREFIX = "voice."
CLIP_PREFIX = "voice.clip."
PART = "#"
LARGEST_NUMBER_CLIP = 99
KEY = re.compile(r"voice\.[A-Za-z0-9_.-]+")

Spoken = Say | Play


def number_key(n: int) -> str:
    return f"{CLIP_PREFIX}number.{n}"


def weekday_key(iso_weekday: int) -> str:
    return f"{CLIP_PREFIX}weekday.{iso_weekday}"


def month_key(month: int) -> str:
    return f"{CLIP_PREFIX}month.{month}"


def hour_key(hour: int) -> str:
    return f"{CLIP_PREFIX}hour.{hour}"


CLIP_KEYS: tuple[str, ...] = (
    *(number_key(n) for n in range(LARGEST_NUMBER_CLIP + 1)),
    *(weekday_key(d) for d in range(1, 8)),
    *(month_key(m) for m in range(1, 13)),
    *(hour_key(h) for h in range(24)),
)


def is_clip(key: str) -> bool:
    return key.startswith(CLIP_PREFIX)


def clip_script(key: str, language: str, loaded: Catalogs | None = None) -> str:
    """What the clip ``key`` says, written for a recorder of ``language`` (and, in English,
    what ``<Say>`` speaks when no language has it recorded)."""
    family, _, number = key.removeprefix(CLIP_PREFIX).partition(".")
    n = int(number)
    locale = (loaded or catalogs()).locale(language)
    if family == "weekday":
        return str(get_day_names("wide", locale=locale)[n - 1])
    if family == "month":
        return str(get_month_names("wide", locale=locale)[n])
    if family == "hour":
        if language == DEFAULT_LANGUAGE:
            return format_time(time(n), "h a", locale="en")
        return f"{n:02d}:00"
    return str(n)


@dataclass(frozen=True)
class Part:
    """One stretch of a text: a recorded part (``key`` with ``#n``) or a placeholder's name."""

    key: str | None
    field: str | None = None


def parts(key: str, text: str) -> list[Part]:
    """The recorded parts and placeholders of ``text`` (the text of ``key`` in one language),
    in order: the text itself as one part when it has no placeholder."""
    pieces = list(Formatter().parse(text))
    if all(field is None for _, field, _, _ in pieces):
        return [Part(key)]
    found: list[Part] = []
    number = 0
    for literal, field, _, _ in pieces:
        if _spoken(literal):
            number += 1
            found.append(Part(f"{key}{PART}{number}"))
        if field is not None:
            found.append(Part(None, re.split(r"[.\[]", field, maxsplit=1)[0]))
    return found


def stretches(text: str) -> list[str]:
    """What each part of a text with placeholders says (the recorders' scripts)."""
    return [lit.strip() for lit, _, _, _ in Formatter().parse(text) if _spoken(lit)]


def _spoken(literal: str) -> bool:
    """Whether a stretch between placeholders has words to record (not a space or a full stop)."""
    return any(c.isalnum() for c in literal)


def recording_keys(key: str, text: str) -> list[str]:
    return [part.key for part in parts(key, text) if part.key is not None]


Recordings = Mapping[tuple[str, str], tuple[VoicePrompt, AudioClip]]


def recordings(
    keys: Iterable[str], languages: Iterable[str]
) -> dict[tuple[str, str], tuple[VoicePrompt, AudioClip]]:
    """The stored recordings of ``keys`` (and their parts) in ``languages``."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    wanted = or_(
        VoicePrompt.key.in_(keys),
        *(
            VoicePrompt.key.startswith(f"{k}{PART}", autoescape=True)
            for k in keys
            if not is_clip(k)
        ),
    )
    rows = db.session.execute(
        select(VoicePrompt, AudioClip)
        .join(AudioClip, AudioClip.id == VoicePrompt.audio_id)
        .where(wanted, VoicePrompt.language.in_(list(languages)))
    )
    return {(row.key, row.language): (row, clip) for row, clip in rows}


def init_app(app: Flask) -> None:
    """Serve the stored audio, add ``flask voice lint``, and make the voice engine speak
    recordings (``app.extensions["voice_speaker"]``, and the engine's if it is built already).
    Once however often called."""
    from gateway.voice.lint import voice_cli
    from gateway.voice.serve import bp

    if bp.name in app.blueprints:
        return
    app.register_blueprint(bp)
    app.cli.add_command(voice_cli)
    app.extensions["voice_speaker"] = speak
    answered = app.extensions.get("voice_engines", {}).values()
    for engine in [app.extensions.get("voice_engine"), *answered]:
        if engine is not None:
            engine.speaker = speak


def speak(key: str, language: str, values: Mapping[str, object]) -> list[Spoken]:
    """:func:`prompt` in the voice engine's shape (a speaker)."""
    return prompt(key, language, **values)


def prompt(key: str, language: str, /, **values: object) -> list[Spoken]:
    """What a caller of ``language`` hears for the prompt ``key`` with ``values`` filled in.

    Raises:
        gateway.i18n.MissingText: no language has a text for ``key`` (a bug: English must).
    """
    return _Speaker(catalogs(), language, values).speak(key)


class _Speaker:
    """One prompt's resolution: recordings are read once for the prompt and every clip."""

    def __init__(self, loaded: Catalogs, language: str, values: Mapping[str, object]) -> None:
        self.catalogs = loaded
        self.language = language
        self.values = values
        self.chain = loaded.chain(language)
        self.found: dict[tuple[str, str], tuple[VoicePrompt, AudioClip]] = {}
        self.asked: set[str] = set()

    def _load(self, keys: Iterable[str]) -> None:
        new = [k for k in keys if k not in self.asked]
        if new:
            self.asked.update(new)
            self.found.update(recordings(new, self.chain))

    def speak(self, key: str, language: str | None = None) -> list[Spoken]:
        chain = self.catalogs.chain(language or self.language)
        self._load([key, *self._clip_keys()])
        for candidate in chain:
            text, _ = self.catalogs.raw(key, candidate)
            layout = parts(key, text)
            if all(p.key is None or (p.key, candidate) in self.found for p in layout):
                spoken: list[Spoken] = []
                for part in layout:
                    if part.key is not None:
                        spoken.append(Play(absolute_url(self.found[(part.key, candidate)][1])))
                    elif part.field is not None:
                        spoken.extend(self.value(self.values.get(part.field), candidate))
                return spoken
        # Values are written in the language the text comes from (Kikamba's may be Kiswahili's).
        _, source = self.catalogs.raw(key, language or self.language)
        return [Say(self.catalogs.text(key, source, **self._written(source)))]

    def value(self, value: object, language: str) -> list[Spoken]:
        """``value`` spoken in ``language`` (clip by clip, each along its own chain)."""
        if isinstance(value, datetime):
            local = value.astimezone(current_settings().timezone)
            return [*self.value(local.date(), language), *self.value(local.timetz(), language)]
        if isinstance(value, date):
            return [
                self.clip(weekday_key(value.isoweekday()), language),
                *self.number(value.day, language),
                self.clip(month_key(value.month), language),
            ]
        if isinstance(value, time):
            minutes = self.number(value.minute, language) if value.minute else []
            return [self.clip(hour_key(value.hour), language), *minutes]
        if isinstance(value, int) and not isinstance(value, bool):
            return self.number(value, language)
        if _digits(value):
            return self.number(int(str(value)), language)
        if isinstance(value, str) and KEY.fullmatch(value) and not is_clip(value):
            self._load([value])
            return self.speak(value, language)
        return [Say(str(value))] if value is not None and str(value) else []

    def number(self, n: int, language: str) -> list[Spoken]:
        if 0 <= n <= LARGEST_NUMBER_CLIP:
            return [self.clip(number_key(n), language)]
        digits = str(abs(n))
        return [self.clip(number_key(int(d)), language) for d in digits]

    def clip(self, key: str, language: str) -> Spoken:
        self._load([key])
        for candidate in self.catalogs.chain(language):
            found = self.found.get((key, candidate))
            if found is not None:
                return Play(absolute_url(found[1]))
        return Say(clip_script(key, language, self.catalogs))

    def _clip_keys(self) -> list[str]:
        """The clips this prompt's values may need (read with the prompt, in one query)."""
        keys: list[str] = []
        for value in self.values.values():
            if isinstance(value, datetime):
                value = value.astimezone(current_settings().timezone)
                keys += [hour_key(value.hour), number_key(value.minute)]
            if isinstance(value, date):
                keys += [weekday_key(value.isoweekday()), month_key(value.month)]
                keys.append(number_key(value.day))
            elif isinstance(value, time):
                keys += [hour_key(value.hour), number_key(value.minute)]
            elif isinstance(value, int) and not isinstance(value, bool):
                keys += [number_key(n) for n in _number_clips(value)]
            elif _digits(value):
                keys += [number_key(n) for n in _number_clips(int(str(value)))]
        return keys

    def _written(self, language: str) -> dict[str, object]:
        return {
            name: written(value, language, self.catalogs) for name, value in self.values.items()
        }


def _digits(value: object) -> bool:
    """A number written as text (a menu's key, "1"): spoken as a number."""
    return isinstance(value, str) and 0 < len(value) <= 9 and value.isascii() and value.isdigit()


def _number_clips(n: int) -> list[int]:
    return [n] if 0 <= n <= LARGEST_NUMBER_CLIP else [int(d) for d in str(abs(n))]


def written(value: object, language: str, loaded: Catalogs) -> object:
    """``value`` as words in ``language`` for ``<Say>``: dates and times, keys as their text."""
    locale = loaded.locale(language)
    if isinstance(value, datetime):
        local = value.astimezone(current_settings().timezone)
        day, hour = (
            written(local.date(), language, loaded),
            written(local.timetz(), language, loaded),
        )
        return f"{day}, {hour}"
    if isinstance(value, date):
        return format_date(value, "EEEE d MMMM", locale=locale)
    if isinstance(value, time):
        return format_time(
            value, "HH:mm" if language != DEFAULT_LANGUAGE else "h:mm a", locale=locale
        )
    if isinstance(value, str) and KEY.fullmatch(value) and not is_clip(value):
        return loaded.text(value, language)
    return value
