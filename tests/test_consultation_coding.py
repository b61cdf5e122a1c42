"""Cohen's kappa between two coders, worked by hand; the quote masker; the clause lint's
measures of a summary on a basic phone (two SMS, USSD screens paged)."""

from __future__ import annotations

import pytest

from gateway.consultations.coding import NO_COMMENTS, NO_VARIATION, cohen_kappa
from gateway.consultations.lint import USSD_MAX_PAGES, summary_problems, ussd_pages
from gateway.consultations.quotes import mask_quote

YES, NO = True, False


def _pairs(both: int, first_only: int, second_only: int, neither: int) -> list[tuple[bool, bool]]:
    return (
        [(YES, YES)] * both
        + [(YES, NO)] * first_only
        + [(NO, YES)] * second_only
        + [(NO, NO)] * neither
    )


@pytest.mark.parametrize(
    ("cells", "kappa"),
    [
        # 50 comments: po = 35/50 = 0.7; first says yes 25 times, second 30;
        # pe = (25*30 + 25*20) / 2500 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
        ((20, 5, 10, 15), 0.4),
        # 10 comments: po = 8/10; both say yes half the time: pe = 0.5; kappa = 0.3 / 0.5 = 0.6.
        ((4, 1, 1, 4), 0.6),
        # Always opposite: po = 0; pe = (1*1 + 1*1) / 4 = 0.5; kappa = -0.5 / 0.5 = -1.
        ((0, 1, 1, 0), -1.0),
        # One coder always yes, the other half the time: po = 0.5 = pe; kappa = 0.
        ((1, 0, 1, 0), 0.0),
        # 6 comments: po = 5/6; first yes 3, second yes 2: pe = (3*2 + 3*4) / 36 = 0.5;
        # kappa = (5/6 - 1/2) / (1/2) = 2/3.
        ((2, 1, 0, 3), 2 / 3),
        # Full agreement with variation: kappa = 1.
        ((3, 0, 0, 2), 1.0),
    ],
)
def test_cohens_kappa_matches_the_hand_worked_value(cells, kappa):
    """Does the kappa of two coders' yes/no answers equal the value worked out by hand?"""
    found = cohen_kappa(_pairs(*cells))
    assert found.value == pytest.approx(kappa)
    assert (found.both, found.first_only, found.second_only, found.neither) == cells
    assert found.comments == sum(cells)
    assert found.undefined is None


@pytest.mark.parametrize("cells", [(0, 0, 0, 7), (5, 0, 0, 0)])
def test_kappa_without_variation_is_undefined_not_a_crash(cells):
    """When both coders gave every comment the same answer, is kappa reported undefined (chance
    agreement is total), with full observed agreement?"""
    found = cohen_kappa(_pairs(*cells))
    assert found.value is None and found.undefined == NO_VARIATION
    assert found.observed == 1.0


def test_kappa_over_no_comment_is_undefined():
    found = cohen_kappa([])
    assert found.value is None and found.undefined == NO_COMMENTS and found.observed is None


def test_a_summary_fitting_two_sms_and_the_ussd_screens_passes(app):
    with app.app_context():
        loaded = app.extensions["catalogs"]
        text = "Before a licence is granted, the company must agree with the community " * 2
        assert summary_problems(text.strip(), "Regulation 7(2)", 3, loaded, "en") == []


def test_a_summary_past_two_sms_is_refused_with_its_length(app):
    with app.app_context():
        loaded = app.extensions["catalogs"]
        text = "The community development agreement is signed every five years. " * 6
        problems = summary_problems(text.strip(), "Regulation 7(2)", 3, loaded, "en")
        keys = [p.key for p in problems]
        assert "admin.consultations.lint.sms" in keys
        sms = problems[keys.index("admin.consultations.lint.sms")]
        assert sms.values["segments"] == 3 and sms.values["limit"] == 2
        assert "3 SMS (at most 2)" in sms.text(loaded, "en")


def test_a_word_longer_than_a_ussd_page_and_lost_characters_are_refused(app):
    with app.app_context():
        loaded = app.extensions["catalogs"]
        url = "https://example.org/" + "a" * 150
        keys = [p.key for p in summary_problems(f"See {url}", "Reg 1", 1, loaded, "en")]
        assert keys == ["admin.consultations.lint.ussd_word"]
        keys = [p.key for p in summary_problems("Maji ni uhai 水", "Reg 1", 1, loaded, "sw")]
        assert keys == ["admin.consultations.lint.characters"]


def test_ussd_pages_count_as_the_screens_split_text():
    assert ussd_pages("aaa bbb ccc", 7) == 2  # "aaa bbb" and "ccc"
    assert ussd_pages("aaa bbb ccc", 11) == 1
    assert ussd_pages("", 50) == 1
    assert USSD_MAX_PAGES == 5


def test_a_long_reference_leaves_too_little_room_on_the_ussd_screens(app):
    """Beside a 64-character reference, the three answers and the navigation, a two-SMS
    summary needs more USSD screens than people page through: refused, with the count."""
    with app.app_context():
        loaded = app.extensions["catalogs"]
        reference = "Mining (Community Development Agreement) Regulations, Reg. 12(4)"
        text = "The company shall consult the community before any blasting near homes " * 3
        problems = summary_problems(text.strip(), reference, 12, loaded, "en")
        assert [p.key for p in problems] == ["admin.consultations.lint.ussd_pages"]
        assert problems[0].values["pages"] > USSD_MAX_PAGES


PLACES = ("Kitui", "Mui", "Taita Taveta")


@pytest.mark.parametrize(
    ("said", "quoted"),
    [
        # A name seen inside a sentence is masked where it begins one too.
        ("Mutua beat my son. Then Mutua left.", "[name] beat my son. Then [name] left."),
        # A full name at a sentence's start: both words, not just the surname.
        ("John Mutua took our land.", "[name] [name] took our land."),
        # A title names nobody and stays; its dot does not end a sentence.
        ("Mr. Mutua came to Mui.", "Mr. [name] came to Mui."),
        ("Maji yamechafuka. Mzee Kilonzo alisema.", "Maji yamechafuka. Mzee [name] alisema."),
        (
            "The river in Taita Taveta is dirty, said Mama Wanjiru.",
            "The river in Taita Taveta is dirty, said Mama [name].",
        ),
        # E-mail addresses and numbers.
        ("Write to mutua.k@gmail.com or call 0712 345 678.", "Write to [email] or call [number]."),
        # What names nobody is kept.
        (
            "I agree with the Regulation. NEMA must act in Kitui.",
            "I agree with the Regulation. NEMA must act in Kitui.",
        ),
    ],
)
def test_a_quote_names_nobody(said, quoted):
    """Is every name, number and e-mail address of a comment masked in its quote, while
    places, titles and ordinary words stay?"""
    assert mask_quote(said, PLACES) == quoted
