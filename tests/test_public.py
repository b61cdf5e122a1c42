"""The public site: results the secretariat marks public, consultations, the scorecard, the
calendar and its iCalendar feed, the guides and open data; with no login and no session
cookie, cached with ETags, and never a person nor a group under the threshold."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import docx
import icalendar
import phonenumbers
import pytest
from flask import Flask
from flask.testing import FlaskClient
from public_seed import PRIVATE_WORDS, QUOTED_WORDS, SMALL_NAMES, Seeded, seed

from gateway.extensions import db
from gateway.polls.models import Poll
from gateway.public import cache
from gateway.public.groups import fold_small

MIN = 10
SVG = "{http://www.w3.org/2000/svg}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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
    # Platforms: Tiny (4) alone would be a small "other", so Nuu's (12) joins it; the 20 in no
    # platform are a group too (else the total minus the platforms would give them back).
    assert '<th scope="row">Mui Basin Platform</th><td>30</td>' in page
    assert '<th scope="row">In no platform</th><td>20</td>' in page
    assert '<th scope="row">Other (small groups together)</th><td>16</td>' in page
    for name in SMALL_NAMES:
        assert name not in page
    assert (
        f'<meta property="og:image" content="http://127.0.0.1:8000/results/poll/{site.ids["poll"]}.svg">'
        in page
    )
    assert f'href="http://127.0.0.1:8000/results/poll/{site.ids["poll"]}"' in page

    swahili = get(client, f"/sw/results/poll/{site.ids['poll']}")
    assert '<html lang="sw">' in swahili
    assert "MADINI: mgodi uchapishe EIA?" in swahili and "Watu 66 walijibu." in swahili
    assert "Ndiyo" in swahili and "Kwa kaunti" in swahili

    image = client.get(f"/results/poll/{site.ids['poll']}.svg")
    assert image.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(image.data)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[0] == "MADINI: should the mine publish its EIA?"
    assert "67% (44)" in texts and "33% (22)" in texts
    assert "Haki Madini Kenya - 66 people answered - CC BY 4.0" in texts


def test_a_poll_not_marked_public_is_not_there(
    client: FlaskClient, site: Seeded, app: Flask
) -> None:
    """Does a poll stay off the site until the secretariat marks it public?"""
    for path in ("/results/poll/{}", "/results/poll/{}.svg", "/sw/results/poll/{}"):
        assert client.get(path.format(site.ids["private_poll"])).status_code == 404
    missing = client.get(f"/sw/results/poll/{site.ids['private_poll']}")
    assert "Hakuna ukurasa kama huo, au si wa umma." in missing.get_data(as_text=True)
    assert "SIRI" not in get(client, "/results/")
    assert "SIRI" not in get(client, "/data/poll_results.csv")


def test_the_secretariat_marks_a_poll_and_a_survey_public_in_the_admin(
    client: FlaskClient, site: Seeded, app: Flask, admin_as: Any
) -> None:
    """Can an admin put a poll's results on the public site and take them off?"""
    admin = admin_as("admin")
    poll_id = site.ids["private_poll"]
    viewer = admin_as("viewer")
    refused = viewer.post(
        f"/admin/polls/{poll_id}/public", data={"public": "1"}, page=f"/admin/polls/{poll_id}"
    )
    assert refused.status_code == 403
    assert client.get(f"/results/poll/{poll_id}").status_code == 404
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


def test_public_pages_are_cached_with_etags_and_carry_no_session(
    client: FlaskClient, site: Seeded, admin_as: Any
) -> None:
    """Is a public page cacheable by anyone (strong ETag, 304, Cache-Control public), and does
    it neither read nor set the admin session cookie, even for a logged-in admin?"""
    path = f"/results/poll/{site.ids['poll']}"
    first = client.get(path)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    changed = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.data == first.data

    admin = admin_as("admin")
    for public in (path, "/", "/sw/", "/calendar/", "/data/poll_results.csv"):
        answer = admin.get(public)
        assert answer.status_code == 200
        assert "Set-Cookie" not in answer.headers, public
        assert "Cookie" not in answer.headers.get("Vary", ""), public
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
        assert "<script" not in answer.get_data(as_text=True)
    # The admin's own pages still have their session.
    assert admin.get("/admin/").status_code == 200


def test_results_are_rendered_once_then_served_from_memory(
    client: FlaskClient, site: Seeded, app: Flask
) -> None:
    """Does a new vote show once the page's cache time is over (a test clears it)?"""
    from gateway.polls.models import Vote

    path = f"/results/poll/{site.ids['poll']}"
    before = get(client, path)
    with app.app_context():
        db.session.execute(db.delete(Vote).where(Vote.poll_id == site.ids["poll"]))
        db.session.commit()
    assert get(client, path) == before  # kept for GATEWAY_PUBLIC_CACHE_SECONDS
    with app.app_context():
        cache.clear()
    after = get(client, path)
    assert "Too few answers to show yet (we show groups of 10 people or more)." in after, after


def test_surveys_chart_choices_and_never_show_what_people_wrote(
    client: FlaskClient, site: Seeded
) -> None:
    """Does a public survey chart its choice questions, each with a permalink and an image,
    and keep numbers from small groups and every text answer off the site?"""
    page = get(client, f"/results/survey/{site.ids['survey']}")
    assert "Water survey" in page and "Is the river clean?" in page
    assert "50% (33)" in page
    assert page.count("Too few answers to show yet") == 1  # the number question: 5 answers
    assert "66 people answered. Their own words are not published." in page
    for words in PRIVATE_WORDS:
        assert words not in page
    question = get(client, f"/results/survey/{site.ids['survey']}/1")
    assert f'/results/survey/{site.ids["survey"]}/1.svg">' in question
    svg = client.get(f"/results/survey/{site.ids['survey']}/1.svg")
    assert svg.mimetype == "image/svg+xml" and b"Is the river clean?" in svg.data
    assert client.get(f"/results/survey/{site.ids['survey']}/3.svg").status_code == 404
    assert client.get(f"/results/survey/{site.ids['survey']}/9").status_code == 404


def test_consultations_show_participation_and_you_said_we_did(
    client: FlaskClient, site: Seeded
) -> None:
    """Can anyone see what was asked, how many took part, the memorandum and the answer?"""
    page = get(client, "/consultations/")
    assert "Draft Mining (Community Development) Regulations" in page
    assert "The draft: Mining (CDA) Regulations 2026, by Ministry of Mining." in page
    assert "40 people took part." in page
    assert "The Ministry will revise Regulation 7." in page
    assert "Sample content" in page
    assert "Regulation 7(2)" in page and "Share of royalties to the community" in page
    assert PRIVATE_WORDS[0] not in page
    memorandum = client.get(f"/consultations/{site.ids['consultation']}/memorandum.docx")
    assert memorandum.status_code == 200
    words = "\n".join(p.text for p in docx.Document(io.BytesIO(memorandum.data)).paragraphs)
    assert "Mining (CDA) Regulations 2026" in words and "Sample content" in words
    assert PRIVATE_WORDS[0] not in words
    assert "Rasimu ya Kanuni za Madini" in get(client, "/sw/consultations/")


def _tables(data: bytes) -> dict[str, list[list[str]]]:
    """A memorandum's tables by caption (the paragraph before each), rows without headings."""
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    found, caption = {}, ""
    tables = iter(document.tables)
    for child in body.iterchildren():
        if child.tag.endswith("}p"):
            caption = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
        elif child.tag.endswith("}tbl"):
            table = next(tables)
            found[caption] = [[c.text for c in row.cells] for row in table.rows[1:]]
    return found


def test_the_public_memorandum_folds_small_groups_the_submitted_one_keeps_them(
    client: FlaskClient, site: Seeded, admin_as: Any
) -> None:
    """Does the memorandum the public site offers fold every group under the threshold (as the
    site's pages do), while the secretariat's, the one submitted, still gives every group?"""
    cid = site.ids["consultation"]
    admin = admin_as("admin")
    submitted = _tables(admin.get(f"/admin/consultations/{cid}/memorandum.docx").data)
    published = _tables(client.get(f"/consultations/{cid}/memorandum.docx").data)
    assert set(submitted) == set(published)
    # 41 took part: 40 in Kitui and the quoted author in Migori; Kitui alone would leave an
    # "other" of 1 (the total minus Kitui), so Kitui joins it.
    assert submitted["Participants by county"] == [
        ["Kitui", "40", "97.6%"],
        ["Migori", "1", "2.4%"],
    ]
    assert published["Participants by county"] == [
        ["Other (small groups together)", "41", "100.0%"]
    ]
    assert ["Kitui", "Nuu", "10", "24.4%"] in submitted["Participants by county and ward"]
    assert published["Participants by county and ward"] == [
        ["Other (small groups together)", "", "41", "100.0%"]
    ]
    # The positions on clause 1 were all taken in Kitui (40): a group large enough to show.
    assert published["Clause 1: positions by county"] == [["Kitui", "14", "13", "13", "40"]]
    assert published["Clause 1: positions"] == submitted["Clause 1: positions"]
    # Clause 2 has no position: too few to show, as on the site's page.
    assert published["Clause 2: positions"] == [
        ["Too few people to show (we show groups of 10 people or more).", "", ""]
    ]

    def words(session: Any, path: str) -> str:
        document = docx.Document(io.BytesIO(session.get(path).data))
        return "\n".join(p.text for p in document.paragraphs)

    # The quote names its author's county only where that county is a group shown.
    submitted_words = words(admin, f"/admin/consultations/{cid}/memorandum.docx")
    assert "(Migori, SMS)" in submitted_words
    published_words = words(client, f"/consultations/{cid}/memorandum.docx")
    assert "Migori" not in published_words and "(SMS)" in published_words
    assert "groups of fewer than 10 people are shown together" in published_words
    assert "groups of fewer than" not in submitted_words
    sw = _tables(client.get(f"/sw/consultations/{cid}/memorandum.docx").data)
    assert [["Vingine (vikundi vidogo pamoja)", "41", "100.0%"]] in sw.values()


def test_the_scorecard_shows_public_commitments_with_the_communitys_verdicts(
    client: FlaskClient, site: Seeded
) -> None:
    """Does the scorecard list each duty bearer's public commitments and what people said?"""
    page = get(client, "/scorecard/")
    assert "<h2>Mui Coal Company</h2>" in page
    assert "Drill two boreholes in Mui" in page and "due 2026-11-01" in page
    assert "A private promise" not in page
    assert "45 people answered." in page and "33% (15)" in page
    # 3 of the 45 are in no platform: a small group, so Nuu's 12 are folded in with them.
    assert '<th scope="row">Mui Basin Platform</th><td>30</td>' in page
    assert "Nuu Platform" not in page and "In no platform" not in page
    assert page.count('<th scope="row">Other (small groups together)</th><td>15</td>') == 2
    assert "Kuchimba visima viwili Mui" in get(client, "/sw/scorecard/")
    image = client.get(f"/scorecard/{site.ids['commitment']}.svg")
    assert image.mimetype == "image/svg+xml"
    texts = [t.text for t in ElementTree.fromstring(image.data).iter(f"{SVG}text")]
    assert texts[:1] == ["Drill two boreholes in Mui"] and texts.count("33% (15)") == 3
    assert client.get(f"/scorecard/{site.ids['private_commitment']}.svg").status_code == 404


def test_the_calendar_lists_meetings_ahead_with_an_icalendar_feed_per_county(
    client: FlaskClient, site: Seeded
) -> None:
    """Can a phone's calendar subscribe to a county's meetings and the national dialogues?"""
    page = get(client, "/calendar/")
    assert "Mui platform meeting" in page and "National dialogue on mining" in page
    assert "Past meeting" not in page and "Cancelled meeting" not in page
    feed = client.get("/calendar/kitui.ics")
    assert feed.mimetype == "text/calendar"
    parsed = icalendar.Calendar.from_ical(feed.data)
    events = {str(e["SUMMARY"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {"Mui platform meeting", "National dialogue on mining"}
    mui = events["Mui platform meeting"]
    assert str(mui["LOCATION"]) == "Mui Primary School, Mui, Kitui"
    assert mui.decoded("DTEND") - mui.decoded("DTSTART") == timedelta(hours=2)
    assert str(parsed["X-WR-CALNAME"]) == "HMK meetings: Kitui"
    swahili = icalendar.Calendar.from_ical(client.get("/sw/calendar/kitui.ics").data)
    assert {str(e["SUMMARY"]) for e in swahili.walk("VEVENT")} == {
        "Mkutano wa jukwaa la Mui",
        "National dialogue on mining",
    }
    taita = icalendar.Calendar.from_ical(client.get("/calendar/taita-taveta.ics").data)
    assert [str(e["SUMMARY"]) for e in taita.walk("VEVENT")] == ["National dialogue on mining"]
    assert client.get("/calendar/atlantis.ics").status_code == 404


def test_the_guides_are_readable_one_chapter_a_page_in_each_language(
    client: FlaskClient, app: Flask
) -> None:
    """Can anyone read and print each guide chapter, marked as sample content?"""
    index = get(client, "/guides/")
    assert "Sample content" in index
    assert 'href="/guides/coal/consent"' in index
    with app.app_context():
        from gateway.i18n import catalogs

        english = catalogs().text("guide.coal.consent.text", "en")
        swahili = catalogs().text("guide.coal.consent.text", "sw")
    chapter = get(client, "/guides/coal/consent")
    assert english.split("\n")[0][:40] in chapter
    assert 'rel="next"' in chapter and "@media print" in chapter
    assert swahili.split("\n")[0][:40] in get(client, "/sw/guides/coal/consent")
    assert client.get("/guides/coal/nothing").status_code == 404


def test_open_data_is_csv_with_a_dictionary_and_the_licence(
    client: FlaskClient, site: Seeded
) -> None:
    """Can anyone download every public table as CSV, with what each column means, under
    the licence the secretariat set?"""
    page = get(client, "/data/")
    assert "Licence: CC BY 4.0." in page
    dictionary = list(csv.DictReader(io.StringIO(get(client, "/data/dictionary.csv"))))
    columns: dict[str, list[str]] = defaultdict(list)
    for row in dictionary:
        columns[row["file"]].append(row["column"])
    for name, expected in columns.items():
        header = next(csv.reader(io.StringIO(get(client, f"/data/{name}"))))
        assert header == expected, name
    polls = list(csv.DictReader(io.StringIO(get(client, "/data/poll_results.csv"))))
    totals = {r["label"]: int(r["count"]) for r in polls if r["dimension"] == "all"}
    assert totals == {"Yes": 44, "No": 22}
    kitui = [r for r in polls if r["dimension"] == "county" and r["group"] == "Kitui"]
    assert sum(int(r["count"]) for r in kitui) == 45
    meetings = get(client, "/data/meetings.csv")
    assert "Mui platform meeting" in meetings and "Past meeting" not in meetings
    assert client.get("/data/contacts.csv").status_code == 404
    swahili = get(client, "/sw/data/")
    assert "Leseni: CC BY 4.0." in swahili and "idadi ya watu waliotoa jibu hilo" in swahili
    assert "the meeting's number" in get(client, "/data/dictionary.csv")


def test_a_poll_page_with_its_image_is_small_enough_for_2g(
    client: FlaskClient, site: Seeded
) -> None:
    """Is the results page, with its share image, well under 100 kB?"""
    page = client.get(f"/results/poll/{site.ids['poll']}").data
    image = client.get(f"/results/poll/{site.ids['poll']}.svg").data
    assert len(page) + len(image) < 100_000


def _public_urls(app: Flask) -> list[str]:
    """Every public URL: each rule of the public blueprint with every id there is in the
    database (private ones too: they must be 404s), every county, guide chapter and file."""
    from gateway.areas import areas
    from gateway.commitments.models import Commitment
    from gateway.consultations.models import Consultation
    from gateway.guides.content import guides
    from gateway.public.calendar import slug
    from gateway.public.opendata import FILES
    from gateway.surveys.models import SurveyQuestion

    with app.app_context():
        values: dict[str, list[Any]] = {
            "poll_id": list(db.session.scalars(db.select(Poll.id))),
            "consultation_id": list(db.session.scalars(db.select(Consultation.id))),
            "commitment_id": list(db.session.scalars(db.select(Commitment.id))),
            "county": [slug(c) for c in areas()],
            "name": [*FILES, "dictionary.csv"],
        }
        questions = list(
            db.session.execute(db.select(SurveyQuestion.survey_id, SurveyQuestion.position))
        )
        chapters = [(g.id, c.id) for g in guides().values() for c in g.chapters]
        assert db.session.scalars(db.select(Commitment.id)).all()  # the scorecard has rows
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("public."):
            continue
        args = rule.arguments - {"lang"}
        if args == {"survey_id", "number"} or args == {"survey_id"}:
            combos = [{"survey_id": s, "number": n} for s, n in questions]
        elif args == {"guide_id", "chapter_id"}:
            combos = [{"guide_id": g, "chapter_id": c} for g, c in chapters]
        elif args:
            (arg,) = args
            combos = [{arg: value} for value in values[arg]]
        else:
            combos = [{}]
        for combo in combos:
            url = rule.rule
            for key, value in combo.items():
                url = url.replace(f"<int:{key}>", str(value)).replace(f"<{key}>", str(value))
            urls.append(url)
    return sorted(set(urls))


def _memo_headings(app: Flask) -> tuple[set[str], set[str]]:
    """The memorandum's column headings, in each public language: those that name a group of
    people (a county, ward, language, channel), and those that count the people in a row."""
    from gateway.i18n import catalogs

    with app.app_context():

        def texts(*keys: str) -> set[str]:
            return {
                catalogs().text(f"admin.memo.col.{k}", code) for k in keys for code in ("en", "sw")
            }

        return texts("county", "ward", "language", "channel"), texts("people", "total")


def _docx(data: bytes, headings: tuple[set[str], set[str]]) -> tuple[str, list[str], list[int]]:
    """A memorandum's every word (paragraphs and every table cell), its quotes, and the size of
    each group of people in its tables (a row of a table whose first column names groups)."""
    document = docx.Document(io.BytesIO(data))
    words = [p.text for p in document.paragraphs]
    quotes = [
        p.text for p in document.paragraphs if p.style is not None and p.style.name == "Quote"
    ]
    sizes = []
    named, people = headings
    for table in document.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        words += [text for row in rows for text in row]
        header = rows[0]
        if header[0] not in named:
            continue  # positions and themes of a whole clause: not groups of people
        column = next(n for n, text in enumerate(header) if text in people)
        for row in rows[1:]:
            if row[column]:  # empty: the "too few to show" row
                sizes.append(int(row[column].replace(",", "")))
    return "\n".join(words), quotes, sizes


def test_nothing_personal_and_no_small_group_appears_anywhere_public(
    client: FlaskClient, site: Seeded, app: Flask
) -> None:
    """Does every public page, image and file keep to aggregates: no phone number, no words
    anyone wrote (but the masked quotes of the memorandum, whose authors agreed), no group of
    fewer than GATEWAY_PUBLIC_MIN_GROUP people?"""
    from gateway.consultations.quotes import mask_quote

    urls = _public_urls(app)
    assert len(urls) > 60
    headings = _memo_headings(app)
    masked = mask_quote(QUOTED_WORDS)
    assert "Kamau" not in masked and "[number]" in masked
    served, memoranda = 0, 0
    for url in urls:
        answer = client.get(url)
        if answer.status_code == 404:
            continue
        assert answer.status_code == 200, url
        served += 1
        counts: list[int] = []
        if answer.mimetype == DOCX:
            memoranda += 1
            body, quotes, counts = _docx(answer.data, headings)
            # The one quote its author agreed to, masked, named by its channel only (its
            # county, Migori, is a small group).
            assert quotes == [f"\u201c{masked}\u201d (SMS)"], (url, quotes)
            assert counts, url  # the tables of groups were read
            counts += [int(n) for n in re.findall(r"(\d+) people took part", body)]
            counts += [int(n) for n in re.findall(r"Watu (\d+) walishiriki", body)]
        else:
            body = answer.get_data(as_text=True)
        for match in phonenumbers.PhoneNumberMatcher(body, "KE"):
            raise AssertionError(f"{url} shows a phone number: {match.raw_string}")
        for phone in site.phones:
            assert phone[-9:] not in body, url
        for words in (*PRIVATE_WORDS, QUOTED_WORDS, "Kamau", "A private promise", "SIRI"):
            assert words not in body, url
        if answer.mimetype == "text/html":
            counts += [int(n) for n in re.findall(r"</th><td>(\d+)</td><td><svg", body)]
            counts += [int(n) for n in re.findall(r"(\d+) people (?:answered|took part)", body)]
            counts += [int(n) for n in re.findall(r"(?:Watu) (\d+) (?:walijibu|walishiriki)", body)]
        elif answer.mimetype == "image/svg+xml":
            counts += [int(n) for n in re.findall(r"(\d+) (?:people answered|walijibu)", body)]
        elif answer.mimetype == "text/csv" and "dimension" in body.split("\n", 1)[0]:
            groups: dict[tuple[str, ...], int] = defaultdict(int)
            for row in csv.DictReader(io.StringIO(body)):
                key = tuple(v for k, v in row.items() if k not in ("answer", "label", "count"))
                groups[key] += int(row["count"])
            counts += list(groups.values())
        assert all(n >= MIN for n in counts), (url, counts)
        if url.startswith(("/results/", "/sw/results/", "/scorecard/", "/consultations/")) or (
            url.endswith(".csv") and "meetings" not in url
        ):
            for name in SMALL_NAMES:
                assert name not in body, (url, name)
    assert served > 50
    assert memoranda == 2  # the public consultation's, in English and Kiswahili
