"""Every text the gateway says, in every language, with a fallback chain ending in English.

Texts live in gettext catalogs under ``messages/`` and are looked up by symbolic key
(``ussd.main.title``); English holds the English text as its translation. Each language is a
folder ``messages/<code>/`` with a ``language.yaml`` (its own name, English name, fallback list,
review note) and ``LC_MESSAGES/messages.po``. Adding a language is adding such a folder: nothing
here names a language except English, the last fallback of every chain.

The ``.po`` files are read directly with Babel (no compile step at run time). An entry with an
empty translation, or one marked ``fuzzy`` (a guess ``pybabel update`` made, not yet checked by a
translator), counts as missing, so the next language in the chain speaks instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from flask import Flask, current_app

DEFAULT_LANGUAGE = "en"
# When a language.yaml names no fallback: Kiswahili, the national language, then English.
DEFAULT_FALLBACK = ("sw", DEFAULT_LANGUAGE)
DOMAIN = "messages"  # the system's own texts
DOMAINS = (DOMAIN, "guides", "admin")  # every catalog a language may have; a key lives in one
DEFAULT_MESSAGES_DIR = Path(__file__).resolve().parent.parent / "messages"


@dataclass(frozen=True)
class Language:
    """A language the gateway speaks.

    Attributes:
        code: ISO 639 code, the name of its folder under ``messages/`` (``en``, ``sw``, ``kam``).
        name: Its own name as a speaker writes it (shown in the language menu), GSM-7 safe.
        english_name: Its name in English (for the admin UI).
        fallback: The languages to try, in order, when it has no text for a key; English is
            always last (added when the file leaves it out), and absent for English itself.
        review: A note on the state of its texts (e.g. drafts awaiting a native speaker), or None.
        menu_order: Where it stands in the language menu (lower first; then by code).
    """

    code: str
    name: str
    english_name: str
    fallback: tuple[str, ...]
    review: str | None
    menu_order: int = 100


class MissingText(KeyError):
    """No language in the chain has a text for the key (a bug: English must have every key)."""


class Catalogs:
    """The texts of every language, read once; immutable afterwards and safe to share."""

    def __init__(
        self,
        languages: Iterable[Language],
        texts: Mapping[str, Mapping[str, str]],
        template_keys: Iterable[str] = (),
    ) -> None:
        """Build from parsed data; most callers want :meth:`load`.

        Args:
            languages: Every language; one must be English.
            texts: For each language code, its own texts by key (no empty ones).
            template_keys: Keys named in ``messages.pot`` (so a key with no text anywhere is
                still known, and the lint can say so).
        """
        self._languages = {language.code: language for language in languages}
        if DEFAULT_LANGUAGE not in self._languages:
            raise ValueError(f"no {DEFAULT_LANGUAGE!r} language: English is every chain's end")
        self._texts = {code: dict(texts.get(code, {})) for code in self._languages}
        self._keys = set(template_keys).union(*self._texts.values())
        # Every hop looks texts up many times: each known language's chain, worked out once.
        self._chains = {code: self._chain(code) for code in self._languages}
        # A hook: texts edited in the admin UI, by language then key, served before the
        # catalogs' own (gateway.guides.overrides; it must cost no round trip per call).
        self.overlay: Callable[[], Mapping[str, Mapping[str, str]]] | None = None

    @classmethod
    def load(cls, directory: Path) -> Catalogs:
        """Read every ``<directory>/<code>/language.yaml`` and its catalogs (``messages.po``
        for the system's texts, ``guides.po`` for the Community Guides, ``admin.po`` for the
        admin web UI).

        A folder without ``language.yaml`` is not a language (yet) and is skipped; a language
        without a ``.po`` file has no texts of its own. Keys in ``messages.pot`` (and those a
        catalog lists with an empty text) are known to :meth:`keys` even with no text.

        Raises:
            ValueError: a ``language.yaml`` is malformed, or there is no English.
        """
        languages: list[Language] = []
        texts: dict[str, dict[str, str]] = {}
        keys: set[str] = set()
        for meta in sorted(directory.glob("*/language.yaml")):
            code = meta.parent.name
            languages.append(_read_language(code, meta))
            texts[code] = {}
            for domain in DOMAINS:
                po = meta.parent / "LC_MESSAGES" / f"{domain}.po"
                if po.is_file():
                    found, named = _read_po(po)
                    texts[code].update(found)
                    keys |= named
        for domain in DOMAINS:
            pot = directory / f"{domain}.pot"
            if pot.is_file():
                keys |= _read_po(pot)[1]
        return cls(languages, texts, keys)

    def languages(self) -> list[Language]:
        """Every language: English first, then the others by ``menu_order`` and code."""
        others = sorted(
            (lang for code, lang in self._languages.items() if code != DEFAULT_LANGUAGE),
            key=lambda lang: (lang.menu_order, lang.code),
        )
        return [self._languages[DEFAULT_LANGUAGE], *others]

    def language(self, code: str) -> Language:
        """The language with ``code``; English for a code the gateway does not know."""
        return self._languages.get(code) or self._languages[DEFAULT_LANGUAGE]

    def chain(self, code: str) -> tuple[str, ...]:
        """The languages to look in for ``code``: itself, its fallbacks, and English last.

        Codes the gateway does not know are skipped, so an unknown ``code`` gives ``("en",)``.
        """
        return self._chains.get(code) or (DEFAULT_LANGUAGE,)

    def _chain(self, code: str) -> tuple[str, ...]:
        wanted = (code, *self.language(code).fallback) if code in self._languages else ()
        known = [c for c in dict.fromkeys(wanted) if c in self._languages]
        return (*[c for c in known if c != DEFAULT_LANGUAGE], DEFAULT_LANGUAGE)

    def language_name(self, code: str, in_language: str) -> str:
        """The name of the language ``code`` written in ``in_language`` (``sw`` in ``sw``:
        Kiswahili; ``kam`` in ``sw``: Kikamba; ``sw`` in ``en``: Swahili).

        The one place language names come from. Along ``in_language``'s chain: a language's
        own name (its ``language.yaml``) in itself, its ``english_name`` in English, and
        otherwise the name CLDR gives it in that language (Babel); the code if none has one.
        """
        known = self._languages.get(code)
        for candidate in self.chain(in_language):
            if known is not None and candidate == code:
                return known.name
            if known is not None and candidate == DEFAULT_LANGUAGE:
                return known.english_name
            names = _cldr(candidate)
            name = names.languages.get(code) if names is not None else None
            if isinstance(name, str) and name:
                return name
        return code

    def locale(self, code: str) -> Locale:
        """The first Babel locale along ``code``'s chain (English at the end): what dates and
        numbers are written in for a person reading ``code``."""
        for candidate in self.chain(code):
            found = _cldr(candidate)
            if found is not None:
                return found
        return Locale(DEFAULT_LANGUAGE)

    def raw(self, key: str, code: str) -> tuple[str, str]:
        """The unformatted text for ``key`` and the code of the language it came from.

        Raises:
            MissingText: no language in ``code``'s chain has the key.
        """
        chain = self._chains.get(code) or (DEFAULT_LANGUAGE,)
        texts = self._texts
        overlay = self.overlay() if self.overlay is not None else None
        for candidate in chain:
            text = (overlay and overlay.get(candidate, {}).get(key)) or texts[candidate].get(key)
            if text:
                return text, candidate
        raise MissingText(f"no text for {key!r} in {' -> '.join(chain)}")

    def text(self, key: str, code: str, /, **values: object) -> str:
        """The text for ``key`` in ``code`` (or its fallback), with ``{placeholders}`` filled.

        Raises:
            MissingText: no language in the chain has the key.
            KeyError: the text has a placeholder ``values`` does not give (a bug in the caller).
        """
        text, source = self.raw(key, code)
        if "{" not in text and "}" not in text:  # most texts: nothing to fill
            return text
        try:
            return text.format(**values)
        except KeyError as exc:
            raise KeyError(f"{key!r} ({source}) needs a value for {{{exc.args[0]}}}") from exc

    def variants(self, key: str) -> dict[str, str]:
        """Each language's own text for ``key`` (no fallback), English first, then by code."""
        return {
            language.code: self._texts[language.code][key]
            for language in self.languages()
            if key in self._texts[language.code]
        }

    def keys(self) -> set[str]:
        """Every key any catalog or the template names, with or without a text."""
        return set(self._keys)


@cache
def _cldr(code: str) -> Locale | None:
    """Babel's (CLDR's) data for ``code``, or None for a language it does not know."""
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return None


def _read_language(code: str, path: Path) -> Language:
    """Parse one ``language.yaml``.

    English's fallback is always empty (it is the end of every chain, whatever its file says);
    every other language's ends in English, appended when the file leaves it out.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    name = data.get("name")
    english_name = data.get("english_name", name)
    review = data.get("review")
    default = () if code == DEFAULT_LANGUAGE else DEFAULT_FALLBACK
    fallback = data.get("fallback", list(default))
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path}: 'name' must be the language's own name")
    if not isinstance(english_name, str) or not english_name.strip():
        raise ValueError(f"{path}: 'english_name' must be a text")
    if review is not None and not isinstance(review, str):
        raise ValueError(f"{path}: 'review' must be a text")
    if not isinstance(fallback, list) or not all(isinstance(c, str) for c in fallback):
        raise ValueError(f"{path}: 'fallback' must be a list of language codes")
    menu_order = data.get("menu_order", 100)
    if not isinstance(menu_order, int):
        raise ValueError(f"{path}: 'menu_order' must be a whole number")
    # Unknown codes stay (the lint names them; chain() skips them); English moves to the end.
    chain = [c for c in dict.fromkeys(fallback) if c not in (code, DEFAULT_LANGUAGE)]
    chain = [] if code == DEFAULT_LANGUAGE else [*chain, DEFAULT_LANGUAGE]
    return Language(code, name.strip(), english_name.strip(), tuple(chain), review, menu_order)


def _read_po(path: Path) -> tuple[dict[str, str], set[str]]:
    """The usable texts of a ``.po``/``.pot`` file and every key it names."""
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj, ignore_obsolete=True)
    texts: dict[str, str] = {}
    keys: set[str] = set()
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue  # the header, or a plural entry (keys here are never plural)
        keys.add(message.id)
        if isinstance(message.string, str) and message.string and not message.fuzzy:
            texts[message.id] = message.string
    return texts, keys


def init_app(app: Flask) -> None:
    """Load the catalogs from ``MESSAGES_DIR`` (default: the repository's ``messages/``)."""
    directory = Path(app.config.get("MESSAGES_DIR", DEFAULT_MESSAGES_DIR))
    app.extensions["catalogs"] = Catalogs.load(directory)


def catalogs() -> Catalogs:
    """The current app's catalogs (needs an app context and :func:`init_app`)."""
    loaded: Catalogs = current_app.extensions["catalogs"]
    return loaded


def language_name(code: str, in_language: str) -> str:
    """The name of the language ``code`` in ``in_language`` (see :meth:`Catalogs.language_name`);
    needs an app context."""
    return catalogs().language_name(code, in_language)
