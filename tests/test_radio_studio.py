"""The radio studio around the host's board: "On air" and the episode's clock, how listeners
take part while the board is empty, hidden messages shown again, the feed and tally CSV under
the admin login, and a schedule editor with weekday names and times."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import time_machine
from factories import joined_contact
from test_admin_radio import make_show
from test_radio import EPISODE, SHOW, THURSDAY, listen, parse_events

from gateway.extensions import db
from gateway.phones import mask_phone
from gateway.radio.models import RadioShow

LISTENER, OTHER = "+254711000001", "+254711000002"


def test_the_board_says_on_air_with_the_episodes_clock(app, admin_as) -> None:
    show_id = make_show(app)
    with time_machine.travel(THURSDAY, tick=False):  # Thursday 19:10, the show is 19:00-20:00
        page = admin_as("radio_host", email=SHOW["host"]).get(f"/admin/radio/{show_id}")
        text = page.get_data(as_text=True)
    assert re.search(r'<span class="badge ok" id="on-air">On air</span>', text)
    assert '<span id="clock-in">10 min in</span>' in text
    assert '<span id="clock-left">50 min left</span>' in text
    assert 'data-ends="2026-12-03T20:00:00+03:00"' in text
    with time_machine.travel(THURSDAY + timedelta(days=1), tick=False):
        text = admin_as("admin").get(f"/admin/radio/{show_id}").get_data(as_text=True)
    assert '<span class="badge" id="on-air">Off air</span>' in text
    assert re.search(r"Next on air: [^<]*10 Dec[^<]*19:00", text), text


def test_an_empty_board_says_how_listeners_take_part(app, admin_as, at, workers) -> None:
    joined_contact(app, LISTENER, "sw")
    show_id = make_show(app, shortcode="22555")
    with time_machine.travel(THURSDAY, tick=True):
        host = admin_as("radio_host", email=SHOW["host"])
        page = host.get(f"/admin/radio/{show_id}").get_data(as_text=True)
        empty = re.search(r'<div id="feed-empty" class="card"( hidden)?>(.*?)</div>', page, re.S)
        assert empty is not None and empty.group(1) is None  # shown
        assert "Text MADINI and their message to 22555." in empty.group(2)
        assert "the show&#39;s own number 22555" in empty.group(2)
        listen(at, workers, THURSDAY, (LISTENER, "MADINI the dust is everywhere"))
        page = host.get(f"/admin/radio/{show_id}").get_data(as_text=True)
    assert '<div id="feed-empty" class="card" hidden>' in page


def test_a_hidden_message_can_be_shown_again(app, admin_as, at, workers) -> None:
    joined_contact(app, LISTENER, "sw")
    show_id = make_show(app)
    with time_machine.travel(THURSDAY, tick=True):
        host = admin_as("radio_host", email=SHOW["host"])
        listen(at, workers, THURSDAY, (LISTENER, "MADINI a rude word"))
        events, _, _ = parse_events(
            host.get(f"/radio/shows/{show_id}/stream").get_data(as_text=True)
        )
        item_id = next(data["id"] for name, data in events if name == "feed")
        board = f"/admin/radio/{show_id}"
        host.post(f"/admin/radio/messages/{item_id}/mark", {"mark": "hide"}, page=board)
        page = host.get(board).get_data(as_text=True)
        hidden = re.search(r'<ol id="hidden-items">(.*?)</ol>', page, re.S)
        assert hidden is not None and "a rude word" in hidden.group(1)
        assert f'data-mark="show" data-id="{item_id}">Show again<' in hidden.group(1)
        assert '<details id="hidden-box">' in page
        shown = host.post(f"/admin/radio/messages/{item_id}/mark", {"mark": "show"}, page=board)
        assert shown.status_code == 200 and shown.json["hidden"] is False
        page = host.get(board).get_data(as_text=True)
        assert '<details id="hidden-box" hidden>' in page
        events, _, _ = parse_events(
            host.get(f"/radio/shows/{show_id}/stream").get_data(as_text=True)
        )
    assert [d["text"] for name, d in events if name == "feed"] == ["MADINI a rude word"]


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_feed_and_tally_csv_from_the_board(app, admin_as, at, workers) -> None:
    joined_contact(app, LISTENER, "sw")
    joined_contact(app, OTHER, "en", county="Kwale", ward=None)
    show_id = make_show(app)
    with time_machine.travel(THURSDAY, tick=True):
        listen(
            at,
            workers,
            THURSDAY,
            (LISTENER, "MADINI the river is brown"),
            (OTHER, "MADINI =cmd|calc"),
        )
        host = admin_as("radio_host", email=SHOW["host"])
        page = host.get(f"/admin/radio/{show_id}").get_data(as_text=True)
        assert f'href="/admin/radio/{show_id}/feed.csv"' in page
        assert f'href="/admin/radio/{show_id}/tally.csv"' in page
        feed = host.get(f"/admin/radio/{show_id}/feed.csv")
        assert f"radio-{show_id}-{EPISODE}-feed.csv" in feed.headers["Content-Disposition"]
        rows = _csv(feed)
        tally = _csv(host.get(f"/admin/radio/{show_id}/tally.csv"))
        other_host = admin_as("radio_host", email="other@example.org")
        refused = other_host.get(f"/admin/radio/{show_id}/feed.csv")
    assert rows[0][:6] == ["id", "episode", "time_eat", "phone", "county", "text"]
    assert [(r[3], r[5]) for r in rows[1:]] == [
        ("'" + mask_phone(LISTENER), "MADINI the river is brown"),
        ("'" + mask_phone(OTHER), "MADINI =cmd|calc"),
    ]
    assert LISTENER not in str(rows)
    assert ["county", "Kitui", "1", "1", ""] in tally and ["county", "Kwale", "1", "1", ""] in tally
    assert refused.status_code == 403


def test_the_schedule_editor_uses_weekday_names_and_times(app, admin_as) -> None:
    admin = admin_as("admin")
    form_page = admin.get("/admin/radio/new").get_data(as_text=True)
    assert '<option value="3">Thursday</option>' in form_page
    assert 'type="time" name="slot1_start"' in form_page
    form = {
        "station": "Kitui Community Radio",
        "name": "Madini Asubuhi",
        "keywords": "asubuhi",
        "slot1_weekday": "0",
        "slot1_start": "06:00",
        "slot1_end": "08:30",
        "slot2_weekday": "6",
        "slot2_start": "23:00:00",  # a browser may send seconds
        "slot2_end": "01:00",
    }
    incomplete = admin.post("/admin/radio/new", {**form, "slot3_weekday": "2"})
    assert incomplete.status_code == 422
    assert "Slot 3: choose a day and give both times." in incomplete.get_data(as_text=True)
    assert admin.post("/admin/radio/new", form).status_code == 302
    with app.app_context():
        show = db.session.query(RadioShow).filter_by(name="Madini Asubuhi").one()
        assert show.schedule == [
            {"weekday": 0, "start": "06:00", "end": "08:30"},
            {"weekday": 6, "start": "23:00", "end": "01:00"},
        ]
        show_id = show.id
    edit = admin.get(f"/admin/radio/{show_id}/edit").get_data(as_text=True)
    assert re.search(
        r'name="slot1_weekday".*?<option value="0" selected>Monday</option>', edit, re.S
    )
    assert 'name="slot1_end" value="08:30"' in edit
    assert re.search(
        r'name="slot2_weekday".*?<option value="6" selected>Sunday</option>', edit, re.S
    )
    listing = admin.get("/admin/radio").get_data(as_text=True)
    assert "Mon 06:00-08:30" in listing and "Sun 23:00-01:00" in listing
