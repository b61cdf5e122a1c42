"""The public site: results the secretariat marks public, consultations, the scorecard, the
calendar and its iCalendar feed, the guides and open data; with no login and no session
cookie, cached with ETags, and never a person nor a group under the threshold."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
from collections import defaultdict
from typing import Any
from xml.etree import ElementTree

import icalendar
import phonenumbers
import pytest
from flask import Flask
from flask.testing import FlaskClient
from public_seed import PRIVATE_WORDS, SMALL_NAMES, Seeded, seed

from gateway.extensions import db
from gateway.polls.models import Poll
from gateway.public import cache
from gateway.public.groups import fold_small

MIN = 10


@pytest.fixture
def site(app: Flask) -> Seeded:
    return seed(app)


def get(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def test_fold_small_folds_small_groups_and_never_leaves_a_small_other() -> None:
    """Can a reader never get a group under the threshold back, even by subtracting?"""
    folded = fold_small([("a", {1: 30}), ("b", {1: 12}), ("c", {1: 3})], MIN)
    # c alone would be "other" of 3: the smallest shown group (b) joins it.
    assert [key for key, _ in folded.shown] == ["a"]
    assert folded.other == {1: 15}
    assert fold_small([("a", {1: 3}), ("b", {1: 4})], MIN).empty
    whole = fold_small([("a", {1: 6}), ("b", {1: 6})], MIN)
    assert whole.shown == [] and whole.other == {1: 12}
    assert fold_small([("a", {1: 10}), ("b", {1: 11})], MIN).other is None


def test_a_public_poll_shows_totals_and_groups_in_english_and_kiswahili(
    client: FlaskClient, site: Seeded
) -> None:
    """Can anyone read a public poll's results, by county, ward and platform, in either
    language, with a permalink and a shared image?"""
    page = get(client, f"/results/poll/{site.ids['poll']}")
    assert "MADINI: should the mine publish its EIA?" in page
    assert "66 people answered." in page
    # 66 voters, one in three "No" (n % 3 == 0): 22 No, 44 Yes.
    assert "67% (44)" in page and "33% (22)" in page
    # Migori (4) and the unknown county (2) would make an "other" of 6, which could be told
    # from the total: Kwale (15) joins them. Wards are shown for the counties shown.
    assert '<th scope="row">Kitui</th><td>45</td>' in page
    assert '<th scope="row">Other (small groups together)</th><td>21</td>' in page
    assert '<th scope="row">Mui (Kitui)</th><td>30</td>' in page
    assert '<th scope="row">Other (small groups together)</th><td>36</td>' in page
    assert "Kwale" not in page and "Ramisi" not in page and "Nuu" not in page
    # Platforms: Tiny (4) alone would be a small "other", so Nuu's (12) joins it.
    assert '<th scope="row">Mui Basin Platform</th><td>30</td>' in page
    assert '<th scope="row">Other (small groups together)</th><td>16</td>' in page
    for name in SMALL_NAMES:
        assert name not in page
    assert f'<meta property="og:image" content="http://127.0.0.1:8000/results/poll/{site.ids["poll"]}.svg">' in page
    assert f'href="http://127.0.0.1:8000/results/poll/{site.ids["poll"]}"' in page

    swahili = get(client, f"/sw/results/poll/{site.ids['poll']}")
    assert '<html lang="sw">' in swahili
    assert "MADINI: mgodi uchapishe EIA?" in swahili and "Watu 66 walijibu." in swahili
    assert "Ndiyo" in swahili and "Kwa kaunti" in swahili

    image = client.get(f"/results/poll/{site.ids['poll']}.svg")
    assert image.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(image.data)
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == "MADINI: should the mine publish its EIA?"
    assert "67% (44)" in texts and "33% (22)" in texts
    assert "Haki Madini Kenya - 66 people answered - CC BY 4.0" in texts


def test_a_poll_not_marked_public_is_not_there(
    client: FlaskClient, site: Seeded, app: Flask
) -> None:
    """Does a poll stay off the site until the secretariat marks it public?"""
    for path in ("/results/poll/{}", "/results/poll/{}.svg", "/sw/results/poll/{}"):
        assert client.get(path.format(site.ids["private_poll"])).status_code == 404
    assert "SIRI" not in get(client, "/results/")
    assert "SIRI" not in get(client, "/data/poll_results.csv")


def test_the_secretariat_marks_a_poll_and_a_survey_public_in_the_admin(
    client: FlaskClient, site: Seeded, app: Flask, admin_as: Any
) -> None:
    """Can an admin put a poll's results on the public site and take them off?"""
    admin = admin_as("admin")
    poll_id = site.ids["private_poll"]
    page = admin.get(f"/admin/polls/{poll_id}").get_data(as_text=True)
    assert "Not on the public site." in page
    answer = admin.post(
        f"/admin/polls/{poll_id}/public", data={"public": "1"}, page=f"/admin/polls/{poll_id}"
    )
    assert answer.status_code == 302
    assert "See the public page" in admin.get(f"/admin/polls/{poll_id}").get_data(as_text=True)
    assert "SIRI: should the mine" in get(client, f"/results/poll/{poll_id}")
    admin.post(
        f"/admin/polls/{poll_id}/public", data={"public": "0"}, page=f"/admin/polls/{poll_id}"
    )
    with app.app_context():
        assert db.session.get(Poll, poll_id).public is False
        cache.clear()
    assert client.get(f"/results/poll/{poll_id}").status_code == 404

    survey_id = site.ids["survey"]
    admin.post(
        f"/admin/surveys/{survey_id}/public",
        data={"public": "0"},
        page=f"/admin/surveys/{survey_id}",
    )
    with app.app_context():
        cache.clear()
    assert client.get(f"/results/survey/{survey_id}").status_code == 404
    admin.post(
        f"/admin/surveys/{survey_id}/public",
        data={"public": "1"},
        page=f"/admin/surveys/{survey_id}",
    )
    assert "Water survey" in get(client, f"/results/survey/{survey_id}")
