"""What an SMS text costs: GSM 03.38 encoding, length and segment count.

A text is sent as GSM-7 when every character is in the GSM 03.38 default alphabet (its basic
table or its extension table) and as UCS-2 otherwise: a single curly quote or ``ĩ`` halves what a
segment carries. :func:`analyse` says which encoding a text gets, how long it is in that
encoding and how many segments it is billed as; :func:`transliterate` makes a best-effort GSM-7
copy of a text for when the sender would rather lose a diacritic than pay double.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic table, 16 code points per line from 0x00 to 0x7F. Position 0x1B is ESC, the
# escape to the extension table, which is not a character a text may contain.
_ESC = "\x1b"
_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10
    " !\"#¤%&'()*+,-./"  # 0x20
    "0123456789:;<=>?"  # 0x30
    "¡ABCDEFGHIJKLMNO"  # 0x40
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50
    "¿abcdefghijklmno"  # 0x60
    "pqrstuvwxyzäöñüà"  # 0x70
)
# Extension table: each is sent as ESC followed by its code, so it costs two septets.
_EXTENSION_TABLE = "\x0c^{}\\[~]|€"

_BASIC = frozenset(_BASIC_TABLE) - {_ESC}
_EXTENSION = frozenset(_EXTENSION_TABLE)
_GSM7 = _BASIC | _EXTENSION

_GSM7_SINGLE, _GSM7_PART = 160, 153  # septets
_UCS2_SINGLE, _UCS2_PART = 70, 67  # UTF-16 code units

# Characters people type that have a GSM-7 look-alike which NFKD does not find.
_REPLACEMENTS = {
    "\N{LATIN SMALL LETTER I WITH TILDE}": "i",
    "\N{LATIN SMALL LETTER U WITH TILDE}": "u",
    "\N{LATIN CAPITAL LETTER I WITH TILDE}": "I",
    "\N{LATIN CAPITAL LETTER U WITH TILDE}": "U",
    "\N{LEFT SINGLE QUOTATION MARK}": "'",
    "\N{RIGHT SINGLE QUOTATION MARK}": "'",
    "\N{SINGLE LOW-9 QUOTATION MARK}": "'",
    "\N{SINGLE HIGH-REVERSED-9 QUOTATION MARK}": "'",
    "\N{PRIME}": "'",
    "\N{GRAVE ACCENT}": "'",
    "\N{LEFT DOUBLE QUOTATION MARK}": '"',
    "\N{RIGHT DOUBLE QUOTATION MARK}": '"',
    "\N{DOUBLE LOW-9 QUOTATION MARK}": '"',
    "\N{DOUBLE HIGH-REVERSED-9 QUOTATION MARK}": '"',
    "\N{DOUBLE PRIME}": '"',
    "\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}": '"',
    "\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}": '"',
    "\N{HYPHEN}": "-",
    "\N{NON-BREAKING HYPHEN}": "-",
    "\N{FIGURE DASH}": "-",
    "\N{EN DASH}": "-",
    "\N{EM DASH}": "-",
    "\N{HORIZONTAL BAR}": "-",
    "\N{MINUS SIGN}": "-",
    "\N{HORIZONTAL ELLIPSIS}": "...",
    "\N{FRACTION SLASH}": "/",
    "\t": " ",
    "\N{LINE SEPARATOR}": "\n",
    "\N{PARAGRAPH SEPARATOR}": "\n",
}


@dataclass(frozen=True)
class TextInfo:
    """How an SMS text is encoded and billed.

    Attributes:
        encoding: ``"GSM-7"`` when every character is in the GSM 03.38 alphabet, else ``"UCS-2"``.
        length: Septets for GSM-7 (an extension-table character counts 2), UTF-16 code units for
            UCS-2 (a character outside the BMP, such as an emoji, counts 2).
        segments: 0 for the empty text; 1 when it fits one SMS (160 septets or 70 units);
            otherwise the number of parts of at most 153 septets or 67 units, never splitting an
            escape pair or a surrogate pair across two parts (so it can exceed ``ceil(length/153)``
            or ``ceil(length/67)`` by the parts that had to end one short).
        ucs2_chars: The distinct characters that forced UCS-2, in order of first appearance;
            empty for GSM-7.
    """

    encoding: Encoding
    length: int
    segments: int
    ucs2_chars: tuple[str, ...]


def is_gsm7(text: str) -> bool:
    """Tell whether ``text`` can be sent as GSM-7 (the empty text can).

    Args:
        text: Any text.

    Returns:
        True when every character is in the GSM 03.38 basic or extension table.
    """
    return all(char in _GSM7 for char in text)


def analyse(text: str) -> TextInfo:
    """Say how ``text`` would be encoded, how long it is and how many segments it is billed as.

    Args:
        text: The message as it will be sent.

    Returns:
        A :class:`TextInfo`; see its attributes for the exact counting rules.
    """
    if not text:
        return TextInfo(encoding="GSM-7", length=0, segments=0, ucs2_chars=())
    ucs2_chars = tuple(dict.fromkeys(char for char in text if char not in _GSM7))
    if ucs2_chars:
        units = [2 if ord(char) > 0xFFFF else 1 for char in text]
        segments = _count_segments(units, _UCS2_SINGLE, _UCS2_PART)
        return TextInfo("UCS-2", sum(units), segments, ucs2_chars)
    septets = [2 if char in _EXTENSION else 1 for char in text]
    segments = _count_segments(septets, _GSM7_SINGLE, _GSM7_PART)
    return TextInfo("GSM-7", sum(septets), segments, ())


def _count_segments(costs: list[int], single: int, part: int) -> int:
    """Count the parts of a non-empty text whose characters cost ``costs`` each.

    A character is never split: one that would not fit whole in the current part starts the next.
    """
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return segments


# USSD screens are built from the same few texts on every hop (labels, headings, list pages):
# transliterating each once per process takes this off the hot path. The function is pure.
@lru_cache(maxsize=16384)
def transliterate(text: str) -> str:
    """Make a best-effort GSM-7 copy of ``text``.

    Characters already in GSM-7 (including accented ones such as é, Ñ, ü or Ø) are kept. Gikuyu
    and Kikamba ĩ/ũ lose their tilde, curly quotes become straight ones, dashes become ``-``, the
    ellipsis becomes ``...`` and any Unicode space a plain space. Other accented letters become
    their base letter (NFKD), leftover combining marks and invisible format characters (such as
    zero-width joiners) are dropped, and anything else becomes ``?``.

    Args:
        text: Any text.

    Returns:
        A text for which :func:`is_gsm7` is always true; ``text`` itself when it already was.
    """
    return "".join(_transliterate_char(char) for char in unicodedata.normalize("NFC", text))


def _transliterate_char(char: str) -> str:
    simple = _simple_replacement(char)
    if simple is not None:
        return simple
    if unicodedata.category(char) in ("Mn", "Cf"):
        return ""
    # An accented letter outside GSM-7 (á, ç, Ł is not one) decomposes to its base letter and
    # combining marks; a compatibility form (ﬁ, ½, full-width Ａ) to plain characters.
    decomposed = [
        part for part in unicodedata.normalize("NFKD", char) if unicodedata.category(part) != "Mn"
    ]
    replaced = [text for text in map(_simple_replacement, decomposed) if text is not None]
    if decomposed and len(replaced) == len(decomposed):
        return "".join(replaced)
    return "?"


def _simple_replacement(char: str) -> str | None:
    """Return the GSM-7 text for ``char`` without decomposing it, or None when there is none."""
    if char in _GSM7:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    if unicodedata.category(char) == "Zs":
        return " "
    return None
