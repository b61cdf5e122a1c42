"""Radio call-in: listeners' SMS during a show join its live feed (through ``/at/sms`` in Africa's
Talking's wire format and real RQ workers), with masked numbers, the producer's marks, one
thank-you per listener and episode, poll bars and counts, a live stream and CSV exports."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine
from conftest import Api, new_token
from factories import joined_contact, polls
from honcho.environ import parse_procfile
from rq import Worker
from sqlalchemy import func, select
from test_e2e import Processes, free_port, wait_for

from gateway.api.models import ApiToken
from gateway.contacts.models import Contact
from gateway.contacts.service import opt_out
from gateway.encoding import transliterate
from gateway.extensions import db
from gateway.phones import mask_phone
from gateway.polls.models import Poll, Vote
from gateway.polls.votes import cast_vote
from gateway.radio.models import RadioMessage, RadioShow
from gateway.sms.models import Message

ROOT = Path(__file__).resolve().parent.parent
EAT = ZoneInfo("Africa/Nairobi")
THURSDAY = datetime(2026, 12, 3, 19, 10, tzinfo=EAT)  # on air: Thursdays 19:00-20:00 EAT
EPISODE = "2026-12-03"
SHOW = {
    "station": "Kitui Community Radio",
    "name": "Madini Ni Yetu",
    "host": "host@example.org",
    "keywords": ["MADINI"],
    "schedule": [{"weekday": 3, "start": "19:00", "end": "20:00"}],
}
# Listeners: a Kiswahili and an English speaker who joined in Kitui, one from Kwale, and
# numbers the gateway has never seen.
SW, EN, KWALE = "+254711000001", "+254711000002", "+254722000001"
NEW, OTHER = "+254733000001", "+254733000002"


@pytest.fixture
def api(client, runner) -> Api:
    return Api(client, new_token(runner, "studio"))


@pytest.fixture
def listeners(app) -> None:
    joined_contact(app, SW, "sw")
    joined_contact(app, EN, "en")
    joined_contact(app, KWALE, "en", county="Kwale", ward=None)


def create_show(api, when: datetime | None = THURSDAY, **changes: object) -> dict:
    """A show made through the API (at ``when``: its board links are good for a day from
    then; None for now)."""
    with time_machine.travel(when or datetime.now(EAT), tick=when is None):
        response = api.post("/radio/shows", json={**SHOW, **changes})
    assert response.status_code == 201, response.json
    return response.json


def show_with_open_poll(app, api, when: datetime = THURSDAY) -> tuple[dict, int]:
    """A show whose poll is the open poll MADINI (made at ``when``, open from an hour before
    to two days after)."""
    with time_machine.travel(when, tick=False):
        poll_id = polls(app)["open"]
    return create_show(api, poll_id=poll_id), poll_id


def listen(at, workers, when: datetime, *texts: tuple[str, str], to: str = "22384") -> None:
    """Listeners' SMS arriving at ``when`` (EAT), handled by the workers."""
    with time_machine.travel(when, tick=False):
        for phone, text in texts:
            assert at.sms(phone, text, to=to).status_code == 200
        workers.drain()


def feed(api, show_id: int, **query: object) -> dict:
    response = api.get(f"/radio/shows/{show_id}/feed", **query)
    assert response.status_code == 200, response.json
    return response.json


def kinds(app) -> dict[str, str]:
    """The kind each listener's (latest) incoming SMS was given."""
    with app.app_context():
        rows = db.session.execute(
            select(Message.phone, Message.kind).where(Message.direction == "in")
        )
        return {phone: kind for phone, kind in rows}


def sent_to(emulator, phone: str) -> list[str]:
    return [m["text"] for m in emulator.messages() if m["to"] == phone]


def thanks(app, language: str, show: dict = SHOW) -> str:
    return transliterate(
        app.extensions["catalogs"].text(
            "sms.radio.thanks",
            language,
            show=show["name"],
            station=show["station"],
            code="*384*123#",
            shortcode="22384",
        )
    )


def parse_events(body: str) -> tuple[list[tuple[str, dict]], str | None, int | None]:
    """Server-sent events as a browser reads them: (event, data) pairs, the last id, retry."""
    events, last_id, retry = [], None, None
    for block in body.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                last_id = value
            elif field == "retry":
                retry = int(value)
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events, last_id, retry


# -- routing ---------------------------------------------------------------------------------
def test_a_keyword_sms_during_the_show_joins_its_feed(app, api, at, workers, listeners):
    """Does an SMS starting with the show's keyword, in any case or with punctuation, join the
    show's feed while it is on air, while other texts go to the inbox."""
    show = create_show(api)
    listen(
        at,
        workers,
        THURSDAY,
        (SW, "Madini: maji ya Mui yamechafuka"),
        (EN, "MADINI, who pays for the dust?"),
        (KWALE, "madini"),
        (NEW, "Hello, is this the radio?"),
    )
    items = feed(api, show["id"])["items"]
    assert [i["text"] for i in items] == [
        "Madini: maji ya Mui yamechafuka",
        "MADINI, who pays for the dust?",
        "madini",
    ]
    assert [i["episode"] for i in items] == [EPISODE] * 3
    assert [i["county"] for i in items] == ["Kitui", "Kitui", "Kwale"]
    assert items[0]["received_at"] == "2026-12-03T19:10:00+03:00"
    assert kinds(app) == {SW: "radio", EN: "radio", KWALE: "radio", NEW: "inbox"}
    with time_machine.travel(THURSDAY, tick=False):
        assert api.get(f"/radio/shows/{show['id']}").json["on_air"] is True


def test_outside_show_time_a_keyword_sms_is_not_a_radio_message(app, api, at, workers):
    """Is the keyword taken only from the margin before the show to the margin after it (five
    minutes by default), and on the show's weekday only."""
    show = create_show(api)
    listen(at, workers, THURSDAY.replace(hour=18, minute=54), (SW, "MADINI too early"))
    listen(at, workers, THURSDAY.replace(hour=18, minute=56), (EN, "MADINI just in time"))
    listen(at, workers, THURSDAY.replace(hour=20, minute=4), (KWALE, "MADINI just after"))
    listen(at, workers, THURSDAY.replace(hour=20, minute=6), (NEW, "MADINI too late"))
    listen(at, workers, THURSDAY + timedelta(days=1), (OTHER, "MADINI on Friday"))
    texts = [i["text"] for i in feed(api, show["id"], episode="all")["items"]]
    assert texts == ["MADINI just in time", "MADINI just after"]
    assert kinds(app)[SW] == kinds(app)[NEW] == kinds(app)[OTHER] == "inbox"
    assert api.get(f"/radio/shows/{show['id']}").json["on_air"] is False


def test_a_late_night_show_runs_past_midnight(api, at, workers):
    """Does a slot ending after midnight take messages until its end, for the episode of the
    day it started."""
    show = create_show(api, schedule=[{"weekday": 4, "start": "23:00", "end": "01:00"}])
    saturday = datetime(2026, 12, 5, 0, 30, tzinfo=EAT)
    listen(at, workers, saturday, (SW, "MADINI usiku"))
    assert [i["episode"] for i in feed(api, show["id"])["items"]] == ["2026-12-04"]


def test_the_shows_own_short_code_takes_every_sms_during_the_show(app, api, at, workers):
    """Does an SMS to the show's own short code join its feed without a keyword, while STOP
    still opts out and SMS to the gateway's short code go to the inbox."""
    show = create_show(api, keywords=[], shortcode="22999")
    listen(at, workers, THURSDAY, (SW, "Tunataka fidia"), (EN, "STOP"), to="22999")
    listen(at, workers, THURSDAY, (NEW, "Tunataka fidia pia"))
    assert [i["text"] for i in feed(api, show["id"])["items"]] == ["Tunataka fidia"]
    assert kinds(app) == {SW: "radio", EN: "keyword:stop", NEW: "inbox"}
    listen(at, workers, THURSDAY + timedelta(hours=3), (OTHER, "Bado kuna vumbi"), to="22999")
    assert kinds(app)[OTHER] == "inbox"


def test_a_vote_is_left_to_the_polls(app, api, at, workers):
    """While a poll with the show's keyword is open, is a vote ("MADINI 2", "MADINI B",
    "MADINI ndiyo") or the keyword alone left to the polls, and a view still the show's."""
    show, _ = show_with_open_poll(app, api)
    votes = ("MADINI 2", "madini B", "Madini ndiyo", "MADINI2", "MADINI", "MADINI 3 dust!")
    listen(at, workers, THURSDAY, *((f"+25471100010{n}", v) for n, v in enumerate(votes)))
    listen(at, workers, THURSDAY, (SW, "MADINI the dust is everywhere"))
    texts = [i["text"] for i in feed(api, show["id"])["items"]]
    assert texts == ["MADINI the dust is everywhere"]
    with app.app_context():
        voted = db.session.scalars(select(Message.kind).where(Message.text.in_(votes))).all()
    assert "radio" not in voted and len(voted) == len(votes)


def test_a_typo_in_the_shows_keyword_still_joins_its_feed(app, api, at, workers):
    """Does an SMS whose keyword misses the show's by one typo ("MADNI", "MADIINI") join the
    feed during the show, while a vote with the typo is still the poll's and a word two typos
    away goes to the inbox."""
    show, poll_id = show_with_open_poll(app, api)
    listen(
        at,
        workers,
        THURSDAY,
        (SW, "MADNI vumbi la malori ni jingi"),
        (EN, "Madiini: who checks the water?"),
        (KWALE, "MADNI 2"),
        (NEW, "MDNI far from the keyword"),
    )
    texts = [i["text"] for i in feed(api, show["id"])["items"]]
    assert texts == ["MADNI vumbi la malori ni jingi", "Madiini: who checks the water?"]
    assert kinds(app) == {SW: "radio", EN: "radio", KWALE: "poll_vote", NEW: "inbox"}
    with app.app_context():
        voted = db.session.scalar(
            select(Vote.id).join(Contact).where(Contact.phone == KWALE, Vote.poll_id == poll_id)
        )
    assert voted is not None


def test_a_retried_callback_is_one_feed_item(api, at, workers):
    """Does Africa's Talking's retry of a callback (same id) stay one item in the feed."""
    show = create_show(api)
    with time_machine.travel(THURSDAY, tick=False):
        for _ in range(2):
            assert at.sms(SW, "MADINI mara mbili", message_id="ATXid_retry").status_code == 200
        workers.drain()
    assert len(feed(api, show["id"])["items"]) == 1


def test_a_burst_wakes_one_job_not_one_per_sms(app, api, at, workers):
    """Do SMS (and Africa's Talking's retries) arriving while a handling job waits leave
    their id for that job instead of each enqueueing one, and does the one job handle them
    all, in the order they came."""
    show = create_show(api)
    with time_machine.travel(THURSDAY, tick=False):
        for n in range(30):
            phone, id_ = f"+2547110003{n:02d}", f"ATXid_burst_{n}"
            assert at.sms(phone, f"MADINI maoni {n}", message_id=id_).status_code == 200
            if n % 10 == 0:
                assert at.sms(phone, f"MADINI maoni {n}", message_id=id_).status_code == 200
        assert workers.queue("inbound").count == 1
        workers.drain()
    texts = [i["text"] for i in feed(api, show["id"])["items"]]
    assert texts == [f"MADINI maoni {n}" for n in range(30)]
    assert set(kinds(app).values()) == {"radio"}
    with time_machine.travel(THURSDAY.replace(minute=11), tick=False):
        assert at.sms(NEW, "MADINI baadaye").status_code == 200  # after the job: a new one
        assert workers.queue("inbound").count == 1
        workers.drain()
    assert feed(api, show["id"])["items"][-1]["text"] == "MADINI baadaye"


# -- thank-you -------------------------------------------------------------------------------
def test_one_thank_you_per_listener_and_episode_in_their_language(
    app, api, at, workers, emulator, listeners
):
    """Does each listener get one thank-you per episode, in their language, however many SMS
    they send; someone who opted out gets none, and next week's episode thanks again."""
    show = create_show(api)
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == EN))
        assert contact is not None
        opt_out(contact, channel="sms")
        db.session.commit()
    for minute in (5, 20, 45):
        listen(
            at,
            workers,
            THURSDAY.replace(minute=minute),
            (SW, f"MADINI ujumbe wa dakika {minute}"),
            (NEW, f"MADINI message {minute}"),
            (EN, f"MADINI still listening {minute}"),
        )
    assert len(feed(api, show["id"])["items"]) == 9
    assert sent_to(emulator, SW) == [thanks(app, "sw")]
    assert sent_to(emulator, NEW) == [thanks(app, "en")]  # not known yet: the default language
    assert sent_to(emulator, EN) == []
    assert "Asante" in thanks(app, "sw") and thanks(app, "sw") != thanks(app, "en")

    listen(at, workers, THURSDAY + timedelta(days=7), (SW, "MADINI wiki ijayo"))
    assert sent_to(emulator, SW) == [thanks(app, "sw")] * 2
    assert workers.failed() == []


def poll_text(app, key: str, language: str, **values: object) -> str:
    return transliterate(
        app.extensions["catalogs"].text(
            key, language, keyword="MADINI", code="*384*123#", shortcode="22384", **values
        )
    )


def test_a_listeners_votes_and_messages_share_one_thank_you(
    app, api, at, workers, emulator, listeners
):
    """During the show, is a listener who votes in the show's poll, changes their vote and
    sends a message thanked once (the first thank-you, naming their choice), while their vote
    in the same poll after the show is thanked as any vote is."""
    show, _ = show_with_open_poll(app, api)
    listen(at, workers, THURSDAY, (SW, "MADINI 1"))
    listen(at, workers, THURSDAY.replace(minute=20), (SW, "MADINI 2"), (SW, "MADINI maji ni shida"))
    assert sent_to(emulator, SW) == [poll_text(app, "sms.poll.thanks", "sw", choice="Ndiyo")]
    assert [i["text"] for i in feed(api, show["id"])["items"]] == ["MADINI maji ni shida"]
    with time_machine.travel(THURSDAY, tick=False):
        bars = api.get(f"/radio/shows/{show['id']}/tally").json["poll"]
    assert [o["votes"] for o in bars["options"]] == [0, 1, 0]
    listen(at, workers, THURSDAY + timedelta(days=1), (SW, "MADINI 3"))
    assert sent_to(emulator, SW)[1:] == [
        poll_text(app, "sms.poll.thanks", "sw", choice="Sina uhakika")
    ]
    assert workers.failed() == []


def test_a_vote_in_the_shows_closed_poll_is_answered_not_fed(app, api, at, workers, emulator):
    """During the show, is a vote in the show's poll after it closed answered politely (not
    counted) rather than taken into the feed as a message."""
    # made three days before the show: closed two days later, before the show
    show, _ = show_with_open_poll(app, api, THURSDAY - timedelta(days=3))
    listen(at, workers, THURSDAY, (SW, "MADINI 2"), (EN, "MADINI the poll is over?"))
    assert kinds(app) == {SW: "poll_vote", EN: "radio"}
    assert [i["text"] for i in feed(api, show["id"])["items"]] == ["MADINI the poll is over?"]
    assert sent_to(emulator, SW) == [poll_text(app, "sms.poll.closed", "en")]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Vote)) == 0


# -- the feed and its marks ------------------------------------------------------------------
def test_the_feed_since_an_item_with_masked_numbers(api, at, workers):
    """Does the feed give the items after a given id, masked numbers only, and never a whole
    number, not even one a listener typed in their text."""
    show = create_show(api)
    listen(at, workers, THURSDAY, (SW, "MADINI kwanza"), (EN, "MADINI second"))
    first = feed(api, show["id"])
    assert [i["phone"] for i in first["items"]] == [mask_phone(SW), mask_phone(EN)]
    assert mask_phone(SW) == "+2547\N{BULLET}\N{BULLET}\N{BULLET}\N{BULLET}\N{BULLET}\N{BULLET}01"
    listen(at, workers, THURSDAY.replace(minute=30), (NEW, "MADINI call me on 0733000001"))
    later = feed(api, show["id"], after=first["last_id"])
    assert [i["text"] for i in later["items"]] == ["MADINI call me on " + mask_phone("0733000001")]
    assert later["last_id"] > first["last_id"]
    assert feed(api, show["id"], after=later["last_id"])["items"] == []
    whole = json.dumps([first, later])
    for number in (SW, EN, NEW, SW[1:], NEW[1:], "0733000001"):
        assert number not in whole


def test_star_hide_and_read_on_air(api, at, workers):
    """Can a producer star an item, mark it read on air, and hide one (it leaves the feed, and
    comes back with ``all=1``)."""
    show = create_show(api)
    listen(at, workers, THURSDAY, (SW, "MADINI moja"), (EN, "MADINI rude words"))
    first, second = feed(api, show["id"])["items"]
    with time_machine.travel(THURSDAY.replace(minute=15), tick=False):
        marked = api.patch(f"/radio/messages/{first['id']}", {"starred": True, "read_on_air": True})
    assert marked.status_code == 200, marked.json
    assert marked.json["starred"] is True
    assert marked.json["read_on_air_at"] == "2026-12-03T19:15:00+03:00"
    assert api.patch(f"/radio/messages/{second['id']}", {"hidden": True}).json["hidden"] is True
    assert [i["id"] for i in feed(api, show["id"])["items"]] == [first["id"]]
    everything = feed(api, show["id"], all=1)["items"]
    assert [(i["id"], i["hidden"]) for i in everything] == [
        (first["id"], False),
        (second["id"], True),
    ]
    unread = api.patch(f"/radio/messages/{first['id']}", {"read_on_air": False})
    assert unread.json["read_on_air_at"] is None and unread.json["starred"] is True
    assert api.patch(f"/radio/messages/{first['id']}", {}).status_code == 400
    assert api.patch("/radio/messages/9999", {"starred": True}).status_code == 404


def test_tags_are_counted_with_the_poll_and_the_counties(app, api, at, workers, listeners):
    """Are a producer's theme tags counted, beside the show's poll as bars and the messages and
    listeners by county."""
    show, poll_id = show_with_open_poll(app, api)
    listen(
        at,
        workers,
        THURSDAY,
        (SW, "MADINI maji"),
        (SW, "MADINI vumbi"),
        (EN, "MADINI water and land"),
        (KWALE, "MADINI titanium"),
        (NEW, "MADINI unknown county"),
    )
    items = feed(api, show["id"])["items"]
    for item, tags in zip(
        items, (["Water"], ["dust"], ["water", " Land "], [], ["land"]), strict=True
    ):
        if tags:
            assert api.patch(f"/radio/messages/{item['id']}", {"tags": tags}).status_code == 200
    with time_machine.travel(THURSDAY, tick=False), app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll is not None
        options = {o.position: o for o in poll.options}
        for phone, position in ((SW, 1), (EN, 1), (KWALE, 2)):
            contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
            assert contact is not None and cast_vote(poll, options[position], contact, "sms")
        db.session.commit()
    with time_machine.travel(THURSDAY, tick=False):
        counted = api.get(f"/radio/shows/{show['id']}/tally").json
    assert counted["tags"] == [
        {"tag": "land", "messages": 2},
        {"tag": "water", "messages": 2},
        {"tag": "dust", "messages": 1},
    ]
    assert counted["counties"] == [
        {"county": "Kitui", "messages": 3, "listeners": 2},
        {"county": "Kwale", "messages": 1, "listeners": 1},
        {"county": None, "messages": 1, "listeners": 1},
    ]
    assert (counted["messages"], counted["listeners"]) == (5, 4)
    bars = counted["poll"]
    assert bars["open"] is True and bars["votes"] == 3
    assert [(o["label"], o["votes"], o["percent"]) for o in bars["options"]] == [
        ("Yes", 2, 66.7),
        ("No", 1, 33.3),
        ("Not sure", 0, 0.0),
    ]


# -- exports ---------------------------------------------------------------------------------
def test_csv_exports_with_a_bom_and_masked_numbers(api, at, workers, listeners):
    """Is the feed exported as UTF-8 CSV with a BOM: masked number, text, time in EAT, county,
    marks and tags, hidden items too, formulas defused; and the tally beside it."""
    show = create_show(api, shortcode="22999")
    listen(at, workers, THURSDAY, (SW, "MADINI Tunataka fidia ya haki, si ahadi"))
    listen(at, workers, THURSDAY, (EN, '=HYPERLINK("http://evil")'), to="22999")
    first, second = feed(api, show["id"])["items"]
    api.patch(f"/radio/messages/{first['id']}", {"starred": True, "tags": ["compensation"]})
    api.patch(f"/radio/messages/{second['id']}", {"hidden": True})
    response = api.get(f"/radio/shows/{show['id']}/feed.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["phone"] for r in rows] == ["'" + mask_phone(SW), "'" + mask_phone(EN)]
    assert rows[0]["text"] == "MADINI Tunataka fidia ya haki, si ahadi"
    assert rows[0]["time_eat"] == "2026-12-03 19:10:00" and rows[0]["county"] == "Kitui"
    assert (rows[0]["starred"], rows[0]["hidden"], rows[0]["tags"]) == ("yes", "no", "compensation")
    assert rows[1]["hidden"] == "yes" and rows[1]["text"] == """'=HYPERLINK("http://evil")"""
    for number in (SW, EN, SW[1:], EN[1:]):
        assert number not in text
    tally = api.get(f"/radio/shows/{show['id']}/tally.csv").get_data()
    assert tally.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(tally.decode("utf-8-sig"))))
    assert ["county", "Kitui", "2", "2", ""] in rows and [
        "tag",
        "compensation",
        "1",
        "",
        "",
    ] in rows


# -- untrusted text --------------------------------------------------------------------------
def test_a_script_in_a_listeners_sms_stays_inert(client, api, at, workers):
    """Is ``<script>`` in a listener's SMS escaped on the board page and a plain JSON string in
    the feed and the stream."""
    show = create_show(api)
    attack = "MADINI <script>alert(1)</script>"
    listen(at, workers, THURSDAY, (SW, attack))
    response = feed(api, show["id"])
    assert response["items"][0]["text"] == attack
    with time_machine.travel(THURSDAY, tick=False):
        page = client.get(show["board_url"])
        stream = client.get(show["stream_url"])
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    # No inline script at all: the page loads the admin board's script, and its policy allows
    # scripts from the gateway only.
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts == ['<script src="/admin/static/radio_board.js" defer>'], scripts
    script = client.get("/admin/static/radio_board.js")
    assert b"textContent" in script.get_data() and b"innerHTML" not in script.get_data()
    script.close()
    assert mask_phone(SW) in html and SW not in html
    events, _, _ = parse_events(stream.get_data(as_text=True))
    assert events[0] == ("feed", response["items"][0])


# -- the live stream -------------------------------------------------------------------------
def test_the_stream_sends_whats_new_then_ends(client, api, at, workers):
    """Does each stream answer carry the items, mark changes and tally that are new since the
    Last-Event-ID the browser sends back, and end with a retry so the browser reconnects."""
    show = create_show(api)
    url = f"/radio/shows/{show['id']}/stream"
    listen(at, workers, THURSDAY, (SW, "MADINI moja"))
    with time_machine.travel(THURSDAY, tick=False):
        first = client.get(url, headers=api.headers)
    assert first.mimetype == "text/event-stream"
    events, cursor, retry = parse_events(first.get_data(as_text=True))
    assert retry == 1000 and cursor
    assert [name for name, _ in events] == ["feed", "tally"]
    assert events[1][1]["messages"] == 1

    def again() -> list[tuple[str, dict]]:
        nonlocal cursor
        with time_machine.travel(THURSDAY.replace(minute=20), tick=False):
            answer = client.get(url, headers={**api.headers, "Last-Event-ID": cursor})
        events, moved, _ = parse_events(answer.get_data(as_text=True))
        cursor = moved or cursor
        return events

    assert again() == []  # nothing new: nothing sent
    listen(at, workers, THURSDAY.replace(minute=15), (EN, "MADINI two"), (NEW, "MADINI three"))
    events = again()
    assert [(n, d.get("text")) for n, d in events] == [
        ("feed", "MADINI two"),
        ("feed", "MADINI three"),
        ("tally", None),
    ]
    hidden_id = events[1][1]["id"]
    api.patch(f"/radio/messages/{hidden_id}", {"hidden": True})
    events = again()
    assert [(n, d["id"], d["hidden"]) for n, d in events] == [("mark", hidden_id, True)]
    assert again() == []


def test_the_board_needs_a_token_or_its_link(client, api):
    """Is the board (page and stream) shown only with an API token or the show's board link."""
    show = create_show(api, when=None)
    other = create_show(api, when=None, name="Another show")
    base = f"/radio/shows/{show['id']}"
    assert client.get(f"{base}/stream").status_code == 401
    assert client.get(f"{base}/board?key=forged").status_code == 403
    assert client.get(f"{base}/stream", headers=api.headers).status_code == 200
    assert client.get(show["stream_url"]).status_code == 200
    key = show["board_url"].split("key=")[1]
    assert client.get(f"/radio/shows/{other['id']}/board?key={key}").status_code == 403
    with time_machine.travel(datetime.now(EAT) + timedelta(days=7, minutes=1)):
        assert client.get(show["board_url"]).status_code == 403  # a week old: expired


def board_stream_url(page) -> str:
    """The stream URL a board page hands its script."""
    return html.unescape(re.search(r'data-stream="([^"]+)"', page.get_data(as_text=True))[1])


def test_a_studio_link_works_until_a_fixed_time_however_often_it_is_opened(client, api):
    """Does a show's studio link, opened every day (the page, then the stream it links to),
    stop working GATEWAY_RADIO_LINK_DAYS (7) after it was made, and does reading the show
    never hand out a new one?"""
    show = create_show(api, when=None)
    read = api.get(f"/radio/shows/{show['id']}").json
    assert "key=" not in read["board_url"] and "key=" not in read["stream_url"]
    assert client.get(read["board_url"]).status_code == 401  # needs a login or a token
    made = datetime.fromisoformat(read["board_link_expires_at"]) - timedelta(days=7)
    assert abs(made - datetime.now(EAT)) < timedelta(minutes=1)
    url = show["board_url"]
    for day in range(7):
        with time_machine.travel(made + timedelta(days=day, hours=23, minutes=58)):
            page = client.get(url)
            assert page.status_code == 200, day
            stream = board_stream_url(page)
            assert client.get(stream).status_code == 200
            url = stream.replace("/stream?", "/board?")  # what the screen opens tomorrow
    with time_machine.travel(made + timedelta(days=7, minutes=1)):
        for link in (url, show["board_url"], show["stream_url"]):
            refused = client.get(link)
            assert refused.status_code == 403 and "expired" in refused.get_data(as_text=True)


def test_the_host_renews_and_revokes_the_studio_link(app, client, api, make_user, admin_as):
    """Can the show's host make a new studio link (the old one stops), revoke it, and is every
    link of a host who is deactivated refused? Is the key itself stored nowhere?"""
    host_id = make_user("radio_host", email=SHOW["host"])
    with app.app_context():
        row, token = ApiToken.issue("host", user_id=host_id)
        db.session.add(row)
        db.session.commit()
    host = {"Authorization": f"Bearer {token}"}
    show = create_show(api, when=None)
    path = f"/api/v1/radio/shows/{show['id']}/board-link"
    made = client.post(path, headers=host)
    assert made.status_code == 201 and "key=" in made.json["board_url"]
    assert client.get(show["board_url"]).status_code == 403  # the first link has ended
    assert client.get(made.json["board_url"]).status_code == 200
    assert client.get(made.json["stream_url"]).status_code == 200
    key = made.json["board_url"].split("key=")[1]
    with app.app_context():
        stored = db.session.get(RadioShow, show["id"])
        assert stored.board_key_hash and key not in stored.board_key_hash
        expires = made.json["expires_at"]
        assert stored.board_key_expires_at == datetime.fromisoformat(expires)
    assert client.delete(path, headers=host).status_code == 204
    assert client.get(made.json["board_url"]).status_code == 403
    assert api.get(f"/radio/shows/{show['id']}").json["board_link_expires_at"] is None

    again = client.post(path, headers=api.headers).json  # an admin's token
    assert client.get(again["board_url"]).status_code == 200
    admin = admin_as("admin")
    deactivated = admin.post(f"/admin/users/{host_id}/active", {"active": "0"}, page="/admin/users")
    assert deactivated.status_code == 302
    assert client.get(again["board_url"]).status_code == 403
    assert client.get(again["stream_url"]).status_code == 403
    page = admin.get(f"/admin/radio/{show['id']}").get_data(as_text=True)
    assert "The show&#39;s host is deactivated" in page


def test_the_admin_board_makes_and_revokes_the_studio_link(app, client, admin_as):
    """On the admin board, can the host make a studio link (shown once) and revoke it, while
    a viewer and another host cannot?"""
    with app.app_context():
        show = RadioShow(**SHOW)
        db.session.add(show)
        db.session.commit()
        show_id = show.id
    host = admin_as("radio_host", email=SHOW["host"])
    board = f"/admin/radio/{show_id}"
    assert "No studio link" in host.get(board).get_data(as_text=True)
    made = host.post(f"{board}/studio-link", {"action": "renew"}, page=board)
    assert made.status_code == 200
    link = html.unescape(
        re.search(r'id="studio-link" value="([^"]+)"', made.get_data(as_text=True))[1]
    )
    assert "key=" in link and client.get(link).status_code == 200
    assert "works until" in host.get(board).get_data(as_text=True)
    assert link not in host.get(board).get_data(as_text=True)  # shown once
    viewer = admin_as("viewer")
    assert viewer.post(f"{board}/studio-link", {"action": "revoke"}, page=board).status_code == 403
    other = admin_as("radio_host", email="other@example.org")
    refused = other.post(f"{board}/studio-link", {"action": "revoke"}, page="/admin/radio")
    assert refused.status_code == 403 and client.get(link).status_code == 200
    revoked = host.post(f"{board}/studio-link", {"action": "revoke"}, page=board)
    assert revoked.status_code == 302 and client.get(link).status_code == 403
    assert "no longer works" in host.get(board).get_data(as_text=True)


def test_ids_and_cursors_past_64_bits_are_not_found_or_start_afresh(client, api, at, workers):
    """Is the board or stream of a show id past 64 bits Not found (with the token or without),
    is a show or feed item id past 64 bits a 404 in the API, and is a stream whose
    Last-Event-ID is past 64 bits (or not ASCII digits) answered as a new board's."""
    show = create_show(api)
    listen(at, workers, THURSDAY, (SW, "MADINI moja"))
    for huge in ("99999999999999999999", "9223372036854775808"):
        for path in (f"/radio/shows/{huge}/board", f"/radio/shows/{huge}/stream"):
            assert client.get(path, headers=api.headers).status_code == 404
            assert client.get(f"{path}?key=forged").status_code == 404
        missing = api.get(f"/radio/shows/{huge}")
        assert missing.status_code == 404 and missing.json["status"] == "Not Found"
        assert api.patch(f"/radio/messages/{huge}", {"hidden": True}).status_code == 404
        refused = api.get(f"/radio/shows/{show['id']}/feed", after=huge)
        assert refused.status_code == 400 and "after" in refused.json["errors"]["query"]
    url = f"/radio/shows/{show['id']}/stream"
    for cursor in ("99999999999999999999.99999999999999999999.x", "².1.x", "٣.1.x"):
        with time_machine.travel(THURSDAY, tick=False):
            answer = client.get(url, headers={**api.headers, "Last-Event-ID": cursor})
        assert answer.status_code == 200, cursor
        events, _, _ = parse_events(answer.get_data(as_text=True))
        assert [(name, data.get("text")) for name, data in events] == [
            ("feed", "MADINI moja"),
            ("tally", None),
        ]


# -- the API ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"keywords": ["STOP"]}, "keywords"),
        ({"keywords": ["JIUNGE"]}, "keywords"),
        ({"keywords": ["two words"]}, "keywords"),
        ({"keywords": [], "shortcode": None}, "_schema"),
        ({"shortcode": "22384"}, "shortcode"),
        ({"schedule": [{"weekday": 7, "start": "19:00", "end": "20:00"}]}, "schedule"),
        ({"schedule": [{"weekday": 3, "start": "7pm", "end": "20:00"}]}, "schedule"),
        ({"name": "x" * 61}, "name"),
    ],
)
def test_a_show_that_could_not_work_is_refused(api, changes, field):
    """Is a show refused (400, naming the field) when a keyword is a system keyword or not one
    word, it has no way in, its short code is the gateway's own, or its schedule is wrong."""
    response = api.post("/radio/shows", json={**SHOW, **changes})
    assert response.status_code == 400
    assert field in response.json["errors"]["json"], response.json


def test_the_radio_api_is_in_the_openapi_document(client, api):
    """Are the radio endpoints described in /api/v1/openapi.json."""
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/radio/shows",
        "/api/v1/radio/shows/{show_id}",
        "/api/v1/radio/shows/{show_id}/feed",
        "/api/v1/radio/shows/{show_id}/feed.csv",
        "/api/v1/radio/shows/{show_id}/tally",
        "/api/v1/radio/messages/{item_id}",
    ):
        assert path in paths, path
    show = create_show(api)
    assert api.patch(f"/radio/shows/{show['id']}", {"poll_id": 999}).status_code == 422
    assert api.get("/radio/shows/999").status_code == 404
    changed = api.patch(f"/radio/shows/{show['id']}", {"keywords": ["Sauti"]})
    assert changed.json["keywords"] == ["SAUTI"] and changed.json["schedule"] == SHOW["schedule"]


# -- end to end ------------------------------------------------------------------------------
@pytest.fixture
def gateway(database: str, redis_url: str, redis, tmp_path: Path):
    """gunicorn (sync workers) and the worker from the Procfile, and the emulator, on free
    ports."""
    web_port, emulator_port = free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "AT_API_URL": f"http://127.0.0.1:{emulator_port}",
        "SECRET_KEY": "test",  # the app fixture's, so its board links work here
        "PORT": str(web_port),
        "WEB_CONCURRENCY": "2",
    }
    env.pop("AT_WEBHOOK_SECRET", None)
    procfile = parse_procfile((ROOT / "Procfile").read_text()).processes
    processes = Processes(env, tmp_path)
    processes.start(
        "emulator", f"{sys.executable} -m gateway.channels.emulator --port {emulator_port}"
    )
    processes.start("web", procfile["web"])
    processes.start("worker", procfile["worker"])
    try:
        wait_for(lambda: requests.get(f"{web}/healthz", timeout=2).ok, what="gunicorn")
        wait_for(lambda: Worker.all(connection=redis), what="the worker")
        yield web
    finally:
        processes.stop()


@pytest.mark.e2e
def test_the_stream_delivers_a_new_sms_within_two_seconds(app, api, gateway):
    """With gunicorn and the worker running as the Procfile starts them, does a listener's SMS
    posted to /at/sms reach a board that reconnects as a browser's EventSource does within two
    seconds."""
    now = datetime.now(EAT)
    start, end = now - timedelta(minutes=30), now + timedelta(minutes=30)
    slot = {"weekday": start.weekday(), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
    show = create_show(api, when=None, schedule=[slot])
    stream_url = gateway + show["stream_url"].split("localhost", 1)[1]

    def post(phone: str, text: str) -> None:
        form = {"from": phone, "to": "22384", "text": text, "date": f"{now:%Y-%m-%d %H:%M:%S}"}
        form["id"] = f"ATXid_{phone}_{time.monotonic_ns()}"
        assert requests.post(f"{gateway}/at/sms", data=form, timeout=5).status_code == 200

    def arrival(text: str, cursor: str) -> tuple[float, str]:
        """Post an SMS, then read the stream as EventSource does until it shows; seconds."""
        started = time.monotonic()
        post(NEW, text)
        while time.monotonic() - started < 10:
            answer = requests.get(stream_url, headers={"Last-Event-ID": cursor}, timeout=5)
            assert answer.headers["Content-Type"].startswith("text/event-stream")
            events, moved, retry = parse_events(answer.text)
            cursor = moved or cursor
            if any(name == "feed" and data["text"] == text for name, data in events):
                return time.monotonic() - started, cursor
            time.sleep((retry or 1000) / 1000)
        raise AssertionError(f"{text!r} did not reach the stream in 10 s")

    _, cursor, _ = parse_events(requests.get(stream_url, timeout=5).text)
    seconds = []
    for n in range(4):
        took, cursor = arrival(f"MADINI live {n}", cursor or "")
        seconds.append(took)
    print("SMS to stream, seconds:", ", ".join(f"{s:.2f}" for s in seconds))
    assert max(seconds) < 2.0, seconds


def test_stored_counts_match_the_feed(app, api, at, workers):
    """Does every radio SMS make exactly one feed item that points at its stored message."""
    show = create_show(api)
    listen(
        at, workers, THURSDAY, *((f"+2547110002{n:02d}", f"MADINI {n} views") for n in range(12))
    )
    with app.app_context():
        feed_count = db.session.scalar(select(func.count()).select_from(RadioMessage))
        radio = db.session.scalar(select(func.count()).where(Message.kind == "radio"))
    assert feed_count == radio == 12 == len(feed(api, show["id"])["items"])
    assert re.fullmatch(r"\+2547\u2022{6}\d\d", feed(api, show["id"])["items"][0]["phone"])
