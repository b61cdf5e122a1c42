"""Reading which option an SMS chooses: its number, its letter (A for 1, B for 2, ...), or its
words in any language the options are written in, whatever the case or accents.

The YES and NO keywords' words stand for an option labelled with one of them, so ``ndio``
chooses an option labelled ``Ndiyo`` or ``Yes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gateway.i18n import catalogs
from gateway.numbers import is_digits, whole_number
from gateway.sms.keywords import fold, keyword_table

LETTERS = "abcdefghi"


def folded_phrase(text: str) -> str:
    """``"Not  sure!"`` → ``"not sure"``: each word folded (case, accents, punctuation)."""
    return " ".join(word for word in (fold(w) for w in text.split()) if word)


def read_choice(
    options: Sequence[Mapping[str, str]], text: str, *, letters: bool = False
) -> tuple[int, str | None] | None:
    """The 1-based number of the option ``text`` chooses, with the language of the words used
    (None for a number or a letter); None if it chooses none.

    Args:
        options: Each option's label per language.
        text: What was sent (a number, a letter, or words; words after a number are ignored).
        letters: Whether a single letter chooses (``B`` for the second option).
    """
    words = text.split()
    if not words:
        return None
    first = fold(words[0])
    if is_digits(first):
        number = whole_number(first, low=1, high=len(options))
        return None if number is None else (number, None)
    if letters and len(first) == 1 and first in LETTERS[: len(options)]:
        return LETTERS.index(first) + 1, None
    phrase = folded_phrase(text)
    for candidate in (phrase, first):
        for number, labels in enumerate(options, start=1):
            for language, label in labels.items():
                if label and folded_phrase(label) == candidate:
                    return number, language
    return _by_synonym(options, first)


def _by_synonym(options: Sequence[Mapping[str, str]], word: str) -> tuple[int, str | None] | None:
    table = keyword_table(catalogs(), ("yes", "no"))
    if word not in table:
        return None
    meaning, language = table[word]
    for number, labels in enumerate(options, start=1):
        if any(table.get(folded_phrase(label), ("",))[0] == meaning for label in labels.values()):
            return number, language
    return None
