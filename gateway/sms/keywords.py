"""SMS keywords in every supported language (JOIN/JIUNGE, STOP/ACHA, HELP/MSAADA, ...).

The words come from the catalogs (``keyword.<name>``, alternatives separated by ``|``), so a
translator adds a language's keywords without touching code. Matching takes the first word,
ignores case, accents and trailing punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.i18n import Catalogs

KEYWORDS = (
    "join",
    "stop",
    "help",
    "next",
    "yes",
    "no",
    "delete",
    # A platform leader's commands: reserved like the others, so no poll, survey or radio show
    # takes one of their words as its keyword (and is never reached).
    "leader_announce",
    "leader_attend",
    "leader_verify",
    "leader_reject",
)


@dataclass(frozen=True)
class KeywordMatch:
    name: str  # one of KEYWORDS
    language: str  # the language whose word was used
    rest: str  # what followed the keyword


_WORD = re.compile(r"[^\W_]+")  # letters and digits: "MADINI:" and "Madini," both give "madini"


def _plain(text: str) -> str:
    """``text`` without case or accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(word: str) -> str:
    """A word without case, accents or surrounding punctuation: ``"Jiungé!"`` → ``"jiunge"``."""
    return _plain(word).strip(".,;:!?'\"()[]-_*#")


def words(text: str) -> list[str]:
    """The words of ``text`` without case, accents or any punctuation: ``"Madini: maji!"`` →
    ``["madini", "maji"]``."""
    return _WORD.findall(_plain(text))


def keyword_table(
    catalogs: Catalogs, names: tuple[str, ...] = KEYWORDS
) -> dict[str, tuple[str, str]]:
    """Map each folded keyword to ``(name, language)``; English wins a word two languages share."""
    table: dict[str, tuple[str, str]] = {}
    for name in names:
        variants = catalogs.variants(f"keyword.{name}")
        for language in sorted(variants, key=lambda code: code != "en"):
            for word in variants[language].split("|"):
                table.setdefault(fold(word), (name, language))
    return table


def match_keyword(text: str, table: dict[str, tuple[str, str]]) -> KeywordMatch | None:
    """The keyword ``text`` starts with, if any."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return None
    found = table.get(fold(parts[0]))
    if found is None:
        return None
    return KeywordMatch(found[0], found[1], parts[1] if len(parts) > 1 else "")


def within_one_edit(word: str, keyword: str) -> bool:
    """Whether ``word`` is ``keyword`` with at most one typo: a letter left out, added, changed,
    or two neighbours swapped (Damerau-Levenshtein distance at most 1)."""
    if word == keyword:
        return True
    if abs(len(word) - len(keyword)) > 1:
        return False
    if len(word) == len(keyword):
        diff = [i for i, (a, b) in enumerate(zip(word, keyword, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == keyword[diff[1]]
            and word[diff[1]] == keyword[diff[0]]
        )
    shorter, longer = sorted((word, keyword), key=len)
    for i in range(len(longer)):
        if longer[:i] + longer[i + 1 :] == shorter:
            return True
    return False


NEAR_MISS_MIN_LENGTH = 4


def near_miss(word: str, keywords: Iterable[str]) -> str | None:
    """The one keyword (of 4 letters or more) that the folded ``word`` misses by one typo
    (``MADNI``, ``MADIINI`` → ``MADINI``); None if none does, or more than one."""
    folded = fold(word)
    found = {
        keyword
        for keyword in keywords
        if len(fold(keyword)) >= NEAR_MISS_MIN_LENGTH and within_one_edit(folded, fold(keyword))
    }
    return found.pop() if len(found) == 1 else None
