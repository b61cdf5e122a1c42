"""A comment as it may be quoted: without any number or name its author typed.

Names are guessed, erring towards masking: a capitalised word that does not begin a sentence is
taken for a name unless it is a place the gateway knows (a county or a ward) or a word in
``KEPT``. A quote that loses a place name it needed is better than one that names a neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NUMBER, NAME = "[number]", "[name]"
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


def mask_quote(text: str, places: Iterable[str] = ()) -> str:
    """``text`` with every run of three or more digits as ``[number]`` and every capitalised
    word inside a sentence that is not in ``places`` or :data:`KEPT` as ``[name]``."""
    text = _NUMBER.sub(
        lambda m: NUMBER if sum(c.isdigit() for c in m.group()) >= 3 else m.group(), text
    )
    known = {word.casefold() for place in places for word in place.split()}
    known |= {word.casefold() for word in KEPT}

    def name(match: re.Match[str]) -> str:
        before = text[: match.start()]
        starts_sentence = not before.strip() or bool(_SENTENCE_END.search(before))
        if starts_sentence or match.group().casefold() in known:
            return match.group()
        return NAME

    return _WORD.sub(name, text)
