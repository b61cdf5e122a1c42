"""The Community Guides content: messages/guides.yaml and the ``guides`` catalogs.

The guides are read on basic phones (USSD menus and paged excerpts, 160-character GSM-7
screens) and sent by SMS, so every text must be GSM-7, every title must fit a menu line and every
excerpt must fit a few SMS. They summarise Kenyan law, so every excerpt names its source.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from gateway.encoding import analyse, is_gsm7
from gateway.i18n import Catalogs

MESSAGES = Path(__file__).resolve().parent.parent / "messages"
GUIDES_YAML = MESSAGES / "guides.yaml"
CATALOG_FILES = [MESSAGES / "guides.pot", *sorted(MESSAGES.glob("*/LC_MESSAGES/guides.po"))]

GUIDE_TITLE_LIMIT = 30  # a menu line "1. <title>" on a 160-character USSD screen
CHAPTER_TITLE_LIMIT = 28
EXCERPT_MIN, EXCERPT_MAX = 350, 600  # characters: one short excerpt per chapter
EXCERPT_SEGMENTS = 4  # SMS segments when an excerpt is sent by SMS
CHAPTERS_PER_GUIDE = range(4, 7)
SAMPLE_COMMENT = (
    "SAMPLE CONTENT: summary of Kenyan law for the secretariat to verify and replace; "
    "not legal advice."
)
SOURCE = re.compile(
    r"Mining Act 2016|EMCA|Environmental Management and Coordination Act|Land Act|Constitution"
    r"|Sheria|Katiba"
)
SECTION = re.compile(
    r"\bs\. ?\d+|\bss\. ?\d+|\bArt\. ?\d+|\bkifungu \d+|\bIbara \d+|\bPart [IVXL]+\b"
    r"|\bSehemu ya [IVXL]+\b"
)


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load(MESSAGES)


@pytest.fixture(scope="module")
def guides() -> list[dict[str, Any]]:
    data = yaml.safe_load(GUIDES_YAML.read_text(encoding="utf-8"))
    loaded: list[dict[str, Any]] = data["guides"]
    return loaded


def title_keys(guides: list[dict[str, Any]]) -> dict[str, int]:
    """Every title key with its length limit."""
    limits = {guide["title"]: GUIDE_TITLE_LIMIT for guide in guides}
    for guide in guides:
        limits.update({chapter["title"]: CHAPTER_TITLE_LIMIT for chapter in guide["chapters"]})
    return limits


def text_keys(guides: list[dict[str, Any]]) -> list[str]:
    return [chapter["text"] for guide in guides for chapter in guide["chapters"]]


def all_keys(guides: list[dict[str, Any]]) -> set[str]:
    return {*title_keys(guides), *text_keys(guides)}


def test_guides_yaml_says_sample_content() -> None:
    """The file's header tells the secretariat these texts are samples to review and replace."""
    header = GUIDES_YAML.read_text(encoding="utf-8").split("guides:", 1)[0]
    assert "SAMPLE CONTENT" in header
    assert "not legal advice" in header


def test_guides_have_four_to_six_chapters_with_keys_named_after_them(
    guides: list[dict[str, Any]],
) -> None:
    """The coal and limestone guides each have 4 to 6 chapters; keys follow the ids."""
    assert [guide["id"] for guide in guides] == ["coal", "limestone"]
    for guide in guides:
        assert guide["title"] == f"guide.{guide['id']}.title"
        ids = [chapter["id"] for chapter in guide["chapters"]]
        assert len(ids) in CHAPTERS_PER_GUIDE, guide["id"]
        assert len(set(ids)) == len(ids), guide["id"]
        for chapter in guide["chapters"]:
            prefix = f"guide.{guide['id']}.{chapter['id']}"
            assert (chapter["title"], chapter["text"]) == (f"{prefix}.title", f"{prefix}.text")


def test_every_guide_key_has_english_and_kiswahili_text(
    catalogs: Catalogs, guides: list[dict[str, Any]]
) -> None:
    """Each title and excerpt has its own English and Kiswahili text (no fallback needed)."""
    for key in sorted(all_keys(guides)):
        variants = catalogs.variants(key)
        assert variants.get("en", "").strip(), key
        assert variants.get("sw", "").strip(), key


def test_catalogs_and_template_name_exactly_the_guide_keys(guides: list[dict[str, Any]]) -> None:
    """guides.pot and every language's guides.po list the keys guides.yaml uses, no others."""
    for path in CATALOG_FILES:
        with path.open("rb") as fileobj:
            catalog = read_po(fileobj)
        assert {message.id for message in catalog if message.id} == all_keys(guides), path


def test_every_entry_is_marked_sample_content() -> None:
    """Every entry of every guides catalog carries the SAMPLE CONTENT note for translators."""
    for path in CATALOG_FILES:
        with path.open("rb") as fileobj:
            catalog = read_po(fileobj)
        for message in catalog:
            if message.id:  # Babel may wrap the comment over lines: join them back
                assert SAMPLE_COMMENT in " ".join(message.auto_comments), (path, message.id)


def test_every_excerpt_cites_an_act_or_the_constitution(
    catalogs: Catalogs, guides: list[dict[str, Any]]
) -> None:
    """Every excerpt, in every language, names its source and a section, Article or Part."""
    for key in text_keys(guides):
        for code, text in catalogs.variants(key).items():
            assert SOURCE.search(text), (code, key)
            assert SECTION.search(text), (code, key)


def test_every_text_is_gsm7(catalogs: Catalogs, guides: list[dict[str, Any]]) -> None:
    """No curly quote, dash or ellipsis character: each would turn the text into UCS-2."""
    for key in sorted(all_keys(guides)):
        for code, text in catalogs.variants(key).items():
            bad = sorted({char for char in text if not is_gsm7(char)})
            assert not bad, (code, key, bad)


def test_titles_fit_a_menu_line(catalogs: Catalogs, guides: list[dict[str, Any]]) -> None:
    """A guide title fits 30 characters and a chapter title 28, in every language."""
    for key, limit in title_keys(guides).items():
        for code, text in catalogs.variants(key).items():
            assert "\n" not in text, (code, key)
            assert len(text) <= limit, (code, key, len(text))


def test_excerpts_are_short_and_fit_four_sms(
    catalogs: Catalogs, guides: list[dict[str, Any]]
) -> None:
    """Each excerpt is 350 to 600 characters and is billed as at most 4 SMS."""
    for key in text_keys(guides):
        for code, text in catalogs.variants(key).items():
            assert EXCERPT_MIN <= len(text) <= EXCERPT_MAX, (code, key, len(text))
            assert analyse(text).segments <= EXCERPT_SEGMENTS, (code, key)


def test_every_language_renders_every_guide_text(
    catalogs: Catalogs, guides: list[dict[str, Any]]
) -> None:
    """Texts have no placeholders, and a Kikamba speaker gets Kiswahili where Kikamba is empty."""
    for key in sorted(all_keys(guides)):
        for language in catalogs.languages():
            assert catalogs.text(key, language.code).strip(), (language.code, key)
        assert catalogs.raw(key, "kam")[1] in {"kam", "sw"}, key
