"""A comment as it may be quoted: without any number or name its author typed.

Names are guessed, erring towards masking: a capitalised word that does not begin a sentence is
taken for a name unless it is a place the gateway knows (a county or a ward) or a word in
``KEPT``. A quote that loses a place name it needed is better than one that names a neighbour.
A word taken for a name is masked everywhere in the quote, at the start of a sentence too, and
so is the word that begins a sentence right before one ("John Mutua came": both), unless it is
a common opener (``OPENERS``: "Then Mutua came" keeps "Then"). A name that only ever begins a
sentence cannot be told from any other first word, and stays. E-mail addresses are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NUMBER, NAME, EMAIL = "[number]", "[name]", "[email]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Digits (a phone number, an ID number, a plot number): any run of 3 or more, spaces and
# dashes inside allowed.
_NUMBER = re.compile(r"\+?\d[\d\s\-./]{1,}\d")
_WORD = re.compile(r"[A-Z][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?:]\s*$")
# Words people capitalise that are not names of people.
KEPT = frozenset(
    {
        "I",
        "NEMA",
        "Kenya",
        "Kenyan",
        "Kiswahili",
        "Kikamba",
        "Ministry",
        "Mining",
        "Act",
        "Regulation",
        "Regulations",
        "County",
        "Government",
        "God",
        "Mungu",
        "Serikali",
        "Bunge",
    }
)


# Titles people put before a name: kept, as they name nobody ("Mzee [name]").
TITLES = frozenset(
    "Baba Bi Bw Chief Dr Mama Mr Mrs Ms Mwalimu Mzee Pastor Sheikh".casefold().split()
)
_TITLE_DOT = re.compile(r"\b(" + "|".join(TITLES) + r")\.\s*$", re.IGNORECASE)
# Words that often begin a sentence before a name ("Then Mutua came"), in English and Kiswahili.
OPENERS = frozenset(
    word.casefold()
    for word in (
        "A And As At But For He Her His If In It My Now On Our She So The Their Then There They "
        "This Today We What When Where Who Yesterday You "
        "Baada Hapo Jana Kisha Kwa Lakini Leo Mimi Na Sasa Sisi Wao Yeye"
    ).split()
)


def mask_quote(text: str, places: Iterable[str] = ()) -> str:
    """``text`` with every e-mail address as ``[email]``, every run of three or more digits as
    ``[number]``, and every word taken for a name (see the module) as ``[name]``."""
    text = _EMAIL.sub(EMAIL, text)
    text = _NUMBER.sub(
        lambda m: NUMBER if sum(c.isdigit() for c in m.group()) >= 3 else m.group(), text
    )
    known = {word.casefold() for place in places for word in place.split()}
    known |= {word.casefold() for word in KEPT} | TITLES
    words = list(_WORD.finditer(text))

    def starts_sentence(match: re.Match[str]) -> bool:
        before = text[: match.start()]
        if _TITLE_DOT.search(before):
            return False  # "Mr. Mutua": the dot ends a title, not a sentence
        return not before.strip() or bool(_SENTENCE_END.search(before))

    names = {
        m.group().casefold()
        for m in words
        if not starts_sentence(m) and m.group().casefold() not in known
    }
    masked = set()
    for n, match in enumerate(words):
        word = match.group().casefold()
        if word in names:
            masked.add(n)
        elif word not in known and word not in OPENERS and n + 1 < len(words):
            after = words[n + 1]
            if after.group().casefold() in names and text[match.end() : after.start()] == " ":
                masked.add(n)  # the first of a full name that begins a sentence
    parts, end = [], 0
    for n in sorted(masked):
        parts += [text[end : words[n].start()], NAME]
        end = words[n].end()
    return "".join([*parts, text[end:]])
