"""GSM 03.38 encoding and segment counting, checked against the gsm0338 codec as an oracle."""

from __future__ import annotations

import math

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.encoding import TextInfo, analyse, is_gsm7, transliterate

ESC = 0x1B


def gsm_encode(text: str) -> bytes | None:
    """The septets of ``text`` per the gsm0338 codec, or None when GSM-7 cannot carry it.

    The codec maps ESC itself to 0x1B; a text may not contain the escape, so it is refused here.
    """
    if "\x1b" in text:
        return None
    try:
        return text.encode("gsm03.38")
    except UnicodeEncodeError:
        return None


def oracle_gsm_segments(septets: bytes) -> int:
    """Split encoded septets into 153-septet parts, never ending a part on an ESC."""
    if len(septets) <= 160:
        return 1 if septets else 0
    parts, start = 0, 0
    while start < len(septets):
        end = min(start + 153, len(septets))
        if end < len(septets) and septets[end - 1] == ESC:
            end -= 1
        parts, start = parts + 1, end
    return parts


def oracle_ucs2_segments(text: str) -> tuple[int, int]:
    """Code units and parts of ``text`` in UTF-16, never ending a part on a high surrogate."""
    data = text.encode("utf-16-be")
    units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    if len(units) <= 70:
        return len(units), 1
    parts, start = 0, 0
    while start < len(units):
        end = min(start + 67, len(units))
        if end < len(units) and 0xD800 <= units[end - 1] <= 0xDBFF:
            end -= 1
        parts, start = parts + 1, end
    return len(units), parts


GSM_CHARS = sorted(chr(cp) for cp in range(0x10000) if gsm_encode(chr(cp)) is not None)
EXTENSION_CHARS = [char for char in GSM_CHARS if len(gsm_encode(char) or b"") == 2]
BASIC_CHARS = [char for char in GSM_CHARS if char not in EXTENSION_CHARS]
NON_GSM_SAMPLES = ["ĩ", "ũ", "’", "“", "–", "…", "ç", "\u00a0", "😀", "🇰", "\x1b"]

gsm_texts = st.text(
    alphabet=st.one_of(st.sampled_from(GSM_CHARS), st.sampled_from(EXTENSION_CHARS)),
    max_size=400,
)
# Long texts crowded with two-septet and two-unit characters, so parts often end on one.
long_gsm_texts = st.text(
    alphabet=st.one_of(st.sampled_from(BASIC_CHARS), st.sampled_from(EXTENSION_CHARS)),
    min_size=150,
    max_size=500,
)
long_ucs2_texts = st.text(
    alphabet=st.sampled_from(["ĩ", "a", "€", "😀", "🇰", "𝄞"]),
    min_size=60,
    max_size=300,
).map(lambda text: "ũ" + text)
any_texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_CHARS),
        st.sampled_from(EXTENSION_CHARS),
        st.sampled_from(NON_GSM_SAMPLES),
        st.characters(codec="utf-8"),
    ),
    max_size=400,
)


def test_alphabet_is_exactly_gsm_03_38() -> None:
    """A character is GSM-7 exactly when the GSM 03.38 default alphabet has it (ESC excepted)."""
    assert len(GSM_CHARS) == 127 + 10
    assert len(EXTENSION_CHARS) == 10
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        char = chr(cp)
        assert is_gsm7(char) == (gsm_encode(char) is not None), f"U+{cp:04X}"


@settings(max_examples=400)
@given(st.one_of(gsm_texts, long_gsm_texts))
def test_gsm7_length_and_segments_match_the_codec(text: str) -> None:
    """A GSM-7 text is counted in septets and split the way a GSM 03.38 encoder would."""
    septets = gsm_encode(text)
    assert septets is not None
    info = analyse(text)
    assert info.encoding == "GSM-7"
    assert info.length == len(septets)
    assert info.segments == oracle_gsm_segments(septets)
    assert info.ucs2_chars == ()


@settings(max_examples=400)
@given(st.one_of(any_texts, long_gsm_texts, long_ucs2_texts))
def test_any_text_is_counted_like_the_oracle(text: str) -> None:
    """Any text gets the encoding, length, segments and culprits an independent count gives."""
    info = analyse(text)
    septets = gsm_encode(text)
    if septets is not None:
        assert info == TextInfo("GSM-7", len(septets), oracle_gsm_segments(septets), ())
    else:
        units, segments = oracle_ucs2_segments(text)
        culprits = tuple(dict.fromkeys(c for c in text if gsm_encode(c) is None))
        assert info == TextInfo("UCS-2", units, segments, culprits)


@given(st.text(alphabet=BASIC_CHARS, min_size=1, max_size=160))
def test_up_to_160_basic_gsm_characters_is_one_segment(text: str) -> None:
    """Up to 160 characters of the GSM-7 basic table always fit one SMS."""
    assert analyse(text).segments == 1


@given(gsm_texts.filter(bool))
def test_up_to_160_septets_is_one_segment(text: str) -> None:
    """Any non-empty GSM-7 text of at most 160 septets is one SMS; a longer one is more."""
    info = analyse(text)
    assert (info.segments == 1) == (info.length <= 160)


@given(st.one_of(any_texts, long_gsm_texts, long_ucs2_texts), any_texts)
def test_appending_never_reduces_segments(text: str, more: str) -> None:
    """Adding text to a message never makes it cheaper."""
    assert analyse(text + more).segments >= analyse(text).segments


@given(any_texts)
def test_segments_are_at_least_the_plain_ceiling(text: str) -> None:
    """Parts never carry more than 153 septets or 67 units."""
    info = analyse(text)
    part = 153 if info.encoding == "GSM-7" else 67
    if info.segments > 1:
        assert info.segments >= math.ceil(info.length / part)


@given(st.text())
def test_transliterate_always_gives_gsm7(text: str) -> None:
    """Whatever is typed, the transliterated copy can be sent as GSM-7."""
    assert is_gsm7(transliterate(text))
    assert gsm_encode(transliterate(text)) is not None


@given(gsm_texts)
def test_transliterate_keeps_gsm7_text_unchanged(text: str) -> None:
    """A text that is already GSM-7 is not altered, accents included."""
    assert transliterate(text) == text


def test_empty_text() -> None:
    """The empty text is GSM-7, zero long, and costs nothing."""
    assert analyse("") == TextInfo("GSM-7", 0, 0, ())
    assert is_gsm7("")
    assert transliterate("") == ""


def test_straight_apostrophe_stays_gsm7_curly_one_does_not() -> None:
    """Kiswahili "ng'ombe" is GSM-7; with a curly apostrophe it becomes UCS-2 and says why."""
    assert analyse("ng'ombe") == TextInfo("GSM-7", 7, 1, ())
    assert analyse("ng’ombe") == TextInfo("UCS-2", 7, 1, ("’",))
    assert transliterate("ng’ombe") == "ng'ombe"


def test_gikuyu_tilde_letters() -> None:
    """'Mũnyaka' needs UCS-2 and transliterates to 'Munyaka'."""
    assert analyse("Mũnyaka") == TextInfo("UCS-2", 7, 1, ("ũ",))
    assert transliterate("Mũnyaka") == "Munyaka"
    assert transliterate("ĩ ũ Ĩ Ũ") == "i u I U"


def test_culprits_are_distinct_in_order_of_appearance() -> None:
    """ucs2_chars lists each offending character once, first seen first."""
    assert analyse("“Mũ” ũ “").ucs2_chars == ("“", "ũ", "”")


@pytest.mark.parametrize(
    ("count", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_segment_boundaries(count: int, segments: int) -> None:
    """160 GSM-7 characters are one SMS; longer texts go 153 per part."""
    info = analyse("a" * count)
    assert (info.encoding, info.length, info.segments) == ("GSM-7", count, segments)


@pytest.mark.parametrize(("count", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_segment_boundaries(count: int, segments: int) -> None:
    """70 UCS-2 characters are one SMS; longer texts go 67 per part."""
    info = analyse("ĩ" * count)
    assert (info.encoding, info.length, info.segments) == ("UCS-2", count, segments)


def test_extension_characters_cost_two_septets() -> None:
    """'€' and the other extension characters count double: 80 fit one SMS, 81 do not."""
    assert analyse("€" * 80) == TextInfo("GSM-7", 160, 1, ())
    assert analyse("€" * 81) == TextInfo("GSM-7", 162, 2, ())
    assert analyse("^{}\\[~]|€\x0c").length == 20


def test_escape_pair_is_not_split_across_parts() -> None:
    """An extension character that would straddle two parts moves whole to the next one."""
    info = analyse("a" * 152 + "€" + "a" * 152)
    assert info.length == 306
    assert info.segments == 3  # 152 | € + 151 | 1, not ceil(306 / 153) == 2


def test_emoji_count_two_units_and_are_not_split() -> None:
    """An emoji takes two UCS-2 units and is never cut between parts."""
    assert analyse("😀") == TextInfo("UCS-2", 2, 1, ("😀",))
    assert analyse("😀" * 35).segments == 1
    assert analyse("😀" * 36).segments == 2
    info = analyse("ĩ" * 66 + "😀" + "ĩ" * 66)
    assert (info.length, info.segments) == (134, 3)  # 66 | 😀 + 65 | 1


def test_transliterate_examples() -> None:
    """Punctuation, spaces and foreign accents are mapped; GSM-7 accents are kept."""
    assert transliterate("‘a’ ‚b‘ “c” „d“") == "'a' 'b' \"c\" \"d\""
    assert transliterate("1–2 — 3…") == "1-2 - 3..."
    assert transliterate("Kes\u00a0100\u202f000\u2009x") == "Kes 100 000 x"
    assert transliterate("á ç ê Ñ õ") == "a c e Ñ o"
    kept = "é è ù ì ò Ç Ø ø Å å Ä ä Ö ö Ñ ñ Ü ü ß É Æ æ à"
    assert transliterate(kept) == kept
    assert transliterate("e\u0301 i\u0303") == "é i"  # decomposed input is composed first
    assert transliterate("漢 😀") == "? ?"
