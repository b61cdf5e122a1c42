"""The message catalogs: fallback between languages, the lint, and key extraction."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from flask import Flask
from flask.testing import FlaskCliRunner

from gateway.encoding import is_gsm7, transliterate
from gateway.i18n import DEFAULT_MESSAGES_DIR, Catalogs, MissingText, init_app
from gateway.messages_lint import SAMPLE_VALUES, register_cli

REPO = Path(__file__).resolve().parent.parent
SCREEN_LIMIT = 160


@pytest.fixture(scope="module")
def real() -> Catalogs:
    return Catalogs.load(DEFAULT_MESSAGES_DIR)


@pytest.fixture
def messages_copy(tmp_path: Path) -> Path:
    """A copy of the real messages/ folder that a test may change."""
    return Path(shutil.copytree(DEFAULT_MESSAGES_DIR, tmp_path / "messages"))


def cli_for(directory: Path) -> FlaskCliRunner:
    app = Flask(__name__)
    app.config["MESSAGES_DIR"] = directory
    init_app(app)
    register_cli(app)
    return app.test_cli_runner()


def po_path(directory: Path, code: str) -> Path:
    return directory / code / "LC_MESSAGES" / "messages.po"


def write_catalog(path: Path, code: str, texts: dict[str, str]) -> None:
    catalog = Catalog(locale=code, fuzzy=False)
    for key, text in texts.items():
        catalog.add(key, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fileobj:
        write_po(fileobj, catalog)


def set_texts(directory: Path, code: str, texts: dict[str, str]) -> None:
    """Change (or add) some texts of one language in a messages/ folder."""
    with po_path(directory, code).open("rb") as fileobj:
        catalog = read_po(fileobj)
    for key, text in texts.items():
        if key in catalog:
            catalog[key].string = text
        else:
            catalog.add(key, text)
    with po_path(directory, code).open("wb") as fileobj:
        write_po(fileobj, catalog)


def test_kikamba_falls_back_to_kiswahili(real: Catalogs) -> None:
    """A Kikamba speaker sees Kiswahili where Kikamba has no reviewed text yet."""
    assert real.variants("ussd.join.done").keys() == {"en", "sw"}  # empty in Kikamba
    text, source = real.raw("ussd.join.done", "kam")
    assert source == "sw"
    assert text == real.variants("ussd.join.done")["sw"]
    assert real.raw("nav.home", "kam") == ("Musyi", "kam")  # a Kikamba draft is used


def test_kikamba_falls_back_to_english_after_kiswahili(messages_copy: Path) -> None:
    """When neither Kikamba nor Kiswahili has a text, a Kikamba speaker gets English."""
    set_texts(messages_copy, "sw", {"ussd.join.done": ""})
    catalogs = Catalogs.load(messages_copy)
    assert catalogs.chain("kam") == ("kam", "sw", "en")
    assert catalogs.text("ussd.join.done", "kam", county="Kitui") == (
        "Thank you! You have joined the Kitui community platform. A welcome SMS is on its way."
    )


def test_no_language_ever_shows_a_key(real: Catalogs) -> None:
    """Whatever the language, every key renders as a real text, never as the key itself."""
    for language in real.languages():
        for key in real.keys():
            names = {f for _, f, _, _ in Formatter().parse(real.raw(key, language.code)[0]) if f}
            values = {name: SAMPLE_VALUES.get(name, "x") for name in names}
            text = real.text(key, language.code, **values)
            assert text.strip() and text != key, (language.code, key)


def test_unknown_language_gets_english(real: Catalogs) -> None:
    """A contact whose language code the gateway does not know is answered in English."""
    assert real.language("xx").code == "en"
    assert real.chain("xx") == ("en",)
    assert real.raw("ussd.main.join", "xx") == ("Join my community platform", "en")


def test_every_chain_ends_in_english(real: Catalogs, messages_copy: Path) -> None:
    """English is the last resort of every language, even when a language.yaml forgets it."""
    for language in real.languages():
        assert real.chain(language.code)[-1] == "en"
    assert real.language("en").fallback == ()
    assert real.language("kam").fallback == ("sw", "en")

    (messages_copy / "kam" / "language.yaml").write_text("name: Kikamba\nfallback: [en, sw]\n")
    assert Catalogs.load(messages_copy).chain("kam") == ("kam", "sw", "en")


def test_adding_a_language_takes_only_files(messages_copy: Path) -> None:
    """A new language (Dholuo) is two new files under messages/; it falls back like the others."""
    (messages_copy / "luo").mkdir()
    (messages_copy / "luo" / "language.yaml").write_text(
        "name: Dholuo\nenglish_name: Luo\nfallback: [sw]\nreview: Draft\n"
    )
    write_catalog(po_path(messages_copy, "luo"), "luo", {"nav.back": "Dok chien"})

    catalogs = Catalogs.load(messages_copy)
    luo = catalogs.language("luo")
    assert luo in catalogs.languages()
    assert (luo.name, luo.english_name, luo.fallback) == ("Dholuo", "Luo", ("sw", "en"))
    assert catalogs.raw("nav.back", "luo") == ("Dok chien", "luo")
    assert catalogs.raw("nav.more", "luo")[1] == "sw"
    assert cli_for(messages_copy).invoke(args=["messages", "lint"]).exit_code == 0


def test_languages_list_english_first(real: Catalogs) -> None:
    """The language menu shows English first, then Kiswahili, then the local languages, each
    in its own name."""
    assert [language.code for language in real.languages()] == ["en", "sw", "kam"]
    assert [language.name for language in real.languages()] == ["English", "Kiswahili", "Kikamba"]
    assert "native Kikamba speaker" in (real.language("kam").review or "")


def test_language_names_in_the_readers_language(messages_copy: Path) -> None:
    """Is a language named in the reader's language: its own name in itself, its English name
    in English, CLDR's name otherwise (Kikamba in Kiswahili), and, for a language CLDR does
    not know, the English name a Kiswahili reader can still recognise?"""
    (messages_copy / "xyz").mkdir()
    (messages_copy / "xyz" / "language.yaml").write_text("name: Xyzish\nenglish_name: Xyz\n")
    catalogs = Catalogs.load(messages_copy)
    names = {
        (code, reader): catalogs.language_name(code, reader)
        for code in ("en", "sw", "kam", "xyz")
        for reader in ("en", "sw", "kam", "xyz")
    }
    assert [names[code, "sw"] for code in ("en", "sw", "kam", "xyz")] == [
        "Kiingereza",
        "Kiswahili",
        "Kikamba",
        "Xyz",
    ]
    assert [names[code, "en"] for code in ("en", "sw", "kam", "xyz")] == [
        "English",
        "Swahili",
        "Kamba",
        "Xyz",
    ]
    assert [names[code, code] for code in ("en", "sw", "kam", "xyz")] == [
        "English",
        "Kiswahili",
        "Kikamba",
        "Xyzish",
    ]
    assert names["kam", "xyz"] == "Kikamba"  # Xyzish falls back to Kiswahili, then English
    assert catalogs.language_name("luo", "sw") == "Kijaluo"  # not a gateway language yet
    assert catalogs.locale("xyz").language == "sw" and catalogs.locale("kam").language == "kam"


def test_missing_value_is_a_loud_error(real: Catalogs) -> None:
    """Code that forgets a placeholder's value fails in tests instead of texting '{county}'."""
    with pytest.raises(KeyError, match="county"):
        real.text("sms.welcome", "sw", code="*384*123#")
    with pytest.raises(MissingText):
        real.text("no.such.key", "sw")


def test_keyword_variants_cover_every_language(real: Catalogs) -> None:
    """STOP and ACHA both stop messages; Kikamba speakers use those words too."""
    words = {w for text in real.variants("keyword.stop").values() for w in text.split("|")}
    assert {"STOP", "ACHA"} <= words
    assert "kam" not in real.variants("keyword.stop")


def test_real_catalogs_pass_the_lint() -> None:
    """The catalogs as shipped have no problem the lint knows of."""
    result = cli_for(DEFAULT_MESSAGES_DIR).invoke(args=["messages", "lint"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"messages lint: 3 languages, \d+ keys, no problems", result.output.strip())


def test_broken_catalog_fails_the_lint(messages_copy: Path) -> None:
    """Each kind of broken text is named, and the lint exits 1."""
    set_texts(
        messages_copy,
        "sw",
        {
            "sms.welcome": "Karibu Haki Madini Kenya! Piga {code} kupata menyu.",  # lost {county}
            "ussd.join.declined": "Tuma MSAADA kwa 22384 au piga {code} kujiunga. "
            * 5,  # 250 chars
            "ussd.main.title": "Haki Madini Kenya 矿",  # no GSM-7 look-alike
        },
    )
    set_texts(messages_copy, "en", {"keyword.help": "HELP|STOP"})
    (messages_copy / "kam" / "language.yaml").write_text("name: Kikamba\nfallback: [kik, sw]\n")

    result = cli_for(messages_copy).invoke(args=["messages", "lint"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("sw sms.welcome: placeholders {code}") for line in lines)
    assert any(line.startswith("sw ussd.join.declined: 250 characters") for line in lines)
    assert any(line.startswith("sw ussd.main.title: characters") and "矿" in line for line in lines)
    assert "en keyword.stop: 'STOP' is also keyword.help" in lines
    assert "kam language.yaml: fallback names an unknown language 'kik'" in lines
    assert lines[-1] == "messages lint: 5 problems"


def test_consent_question_matches_recorded_wording(messages_copy: Path) -> None:
    """Nobody can be shown consent words other than the ones recorded with their consent."""
    set_texts(messages_copy, "sw", {"ussd.join.consent": "Unakubali?"})
    result = cli_for(messages_copy).invoke(args=["messages", "lint"])
    assert result.exit_code == 1
    assert "sw ussd.join.consent: differs from consent.v1" in result.output


def screens(catalogs: Catalogs, code: str) -> dict[str, list[str]]:
    """The lines of the tightest fixed screens, as the USSD engine lays them out."""

    def text(key: str) -> str:
        return catalogs.text(key, code, **SAMPLE_VALUES)

    menu = (
        "ussd.main.join",
        "ussd.main.learn",
        "ussd.main.meetings",
        "ussd.main.polls",
        "ussd.main.report",
        "ussd.main.settings",
        "ussd.main.help",
    )
    return {
        "main": [text("ussd.main.title")] + [f"{n}. {text(k)}" for n, k in enumerate(menu, 1)],
        "consent": [
            text("consent.v1"),
            f"1. {text('common.yes')}",
            f"2. {text('common.no')}",
            f"0. {text('nav.back')}",
        ],
        "languages": [text("ussd.choose_language")]
        + [f"{n}. {language.name}" for n, language in enumerate(catalogs.languages(), 1)],
    }


def test_screens_fit_one_ussd_page(real: Catalogs) -> None:
    """The main menu, the consent question and the language menu each fit one 160-character
    screen in every language, so no network pages them and nobody misses an option."""
    for language in real.languages():
        for name, lines in screens(real, language.code).items():
            shown = transliterate("\n".join(lines))
            assert is_gsm7(shown) and len(shown) <= SCREEN_LIMIT, (language.code, name, shown)


def test_extraction_finds_keys_in_code_flows_and_english(tmp_path: Path) -> None:
    """pybabel extract, with the project's babel.cfg, lists every key code, flows and English use.

    Keys only data uses (keywords) come from the English catalog, with its text as a comment.
    """
    (tmp_path / "gateway").mkdir()
    (tmp_path / "gateway" / "sample.py").write_text(
        "def screen(catalogs, ctx, lang):\n"
        "    title = catalogs().text('sample.title', lang)\n"
        '    body, _ = ctx.raw("sample.body", lang)\n'
        "    dynamic = ctx.text(f'sample.{lang}', lang)\n"
        "    other = response.text('Not a key at all')\n"
        "    return title, body, dynamic, other\n"
    )
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "sample.yaml").write_text(
        "nodes:\n"
        "  ask:\n"
        "    text: sample.flow.question  # a comment\n"
        "    hint: sample.flow.hint\n"
        "    options:\n"
        "      - label: sample.flow.option\n"
        "        next: done\n"
        "    source: counties\n"
    )
    write_catalog(po_path(tmp_path / "messages", "en"), "en", {"keyword.sample": "SAMPLE|TRY"})
    output = tmp_path / "messages.pot"

    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            str(REPO / "babel.cfg"),
            "-o",
            str(output),
            ".",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )

    with output.open("rb") as fileobj:
        template = {message.id: message for message in read_po(fileobj) if message.id}
    assert set(template) == {
        "sample.title",
        "sample.body",
        "sample.flow.question",
        "sample.flow.hint",
        "sample.flow.option",
        "keyword.sample",
    }
    assert ("gateway/sample.py", 3) in template["sample.body"].locations
    assert ("flows/sample.yaml", 6) in template["sample.flow.option"].locations
    assert "English: SAMPLE|TRY" in template["keyword.sample"].auto_comments


def test_real_template_keeps_keys_only_data_uses() -> None:
    """Keywords and consent versions, which no code names, stay in messages.pot for translators."""
    with (DEFAULT_MESSAGES_DIR / "messages.pot").open("rb") as fileobj:
        template = {message.id for message in read_po(fileobj) if message.id}
    assert {"keyword.join", "keyword.stop", "keyword.help", "consent.v1"} <= template


@pytest.mark.parametrize(
    "path",
    sorted(DEFAULT_MESSAGES_DIR.glob("*/LC_MESSAGES/*.po")),
    ids=lambda p: "/".join(p.parts[-3:]),
)
def test_every_catalog_file_is_well_formed(path: Path) -> None:
    """Is every entry of every catalog whole (a msgid with its msgstr)? A broken one is read
    with a warning printed to stdout, into what a command such as ``flask tokens create``
    prints, and its text is lost."""
    with path.open("rb") as po:
        read_po(po, abort_invalid=True)
