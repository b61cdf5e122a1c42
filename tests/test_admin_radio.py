"""The admin UI's Radio pages: shows (a host sees only theirs), creating and editing a show,
the host's live board fed by the show's stream under the admin login, and the marks."""

from __future__ import annotations

import html

import time_machine
from factories import joined_contact
from sqlalchemy import select
from test_radio import EPISODE, SHOW, THURSDAY, listen, parse_events

from gateway.extensions import db
from gateway.phones import mask_phone
from gateway.radio.models import RadioMessage, RadioShow
from gateway.users.models import AuditEvent

LISTENER = "+254711000001"


def make_show(app, **changes: object) -> int:
    with app.app_context():
        show = RadioShow(**{**SHOW, **changes})
        db.session.add(show)
        db.session.commit()
        return show.id


def test_admin_creates_and_edits_a_show(app, admin_as):
    """Does an admin's form make a show the API rules accept, refuse one with neither keyword
    nor short code (saying why), and change it?"""
    admin = admin_as("admin")
    form = {
        "station": "Kitui Community Radio",
        "name": "Madini Ni Yetu",
        "host": "Host@Example.org",
        "keywords": "madini, haki",
        "shortcode": "",
        "slot1_weekday": "3",
        "slot1_start": "19:00",
        "slot1_end": "20:00",
        "slot2_weekday": "5",
        "slot2_start": "08:00",
        "slot2_end": "09:00",
        "poll_id": "",
    }
    refused = admin.post("/admin/radio/new", {**form, "keywords": ""})
    assert refused.status_code == 422
    assert "Give keywords, a short code of the show's own, or both." in html.unescape(
        refused.get_data(as_text=True)
    )
    bad_time = admin.post("/admin/radio/new", {**form, "slot1_start": "25:00"})
    assert bad_time.status_code == 422 and "schedule" in bad_time.get_data(as_text=True)
    made = admin.post("/admin/radio/new", form)
    assert made.status_code == 302
    with app.app_context():
        show = db.session.scalar(select(RadioShow))
        assert (show.host, show.keywords) == ("host@example.org", ["MADINI", "HAKI"])
        assert show.schedule == [
            {"weekday": 3, "start": "19:00", "end": "20:00"},
            {"weekday": 5, "start": "08:00", "end": "09:00"},
        ]
        show_id = show.id
        assert db.session.scalar(
            select(AuditEvent.action).where(
                AuditEvent.target_type == "radio_show", AuditEvent.target_id == str(show_id)
            )
        ) == ("radio.show_created")
    listing = admin.get("/admin/radio").get_data(as_text=True)
    assert "Madini Ni Yetu" in listing and "Thu 19:00-20:00" in listing
    edited = admin.post(f"/admin/radio/{show_id}/edit", {**form, "name": "Madini Leo"})
    assert edited.status_code == 302
    with app.app_context():
        assert db.session.get(RadioShow, show_id).name == "Madini Leo"


def test_a_host_sees_only_their_own_shows(app, admin_as):
    """Does a radio host's list hold only their shows, and is another host's board refused,
    page and stream alike (and every board to a coordinator)? Can a host not create shows?"""
    mine = make_show(app, name="Mine Show", host="host@example.org")
    theirs = make_show(app, name="Their Show", host="other@example.org")
    host = admin_as("radio_host", email="host@example.org")
    listing = host.get("/admin/radio").get_data(as_text=True)
    assert "Mine Show" in listing and "Their Show" not in listing
    assert host.get(f"/admin/radio/{mine}").status_code == 200
    refused = host.get(f"/admin/radio/{theirs}")
    assert refused.status_code == 403 and "Their Show" not in refused.get_data(as_text=True)
    assert host.get("/admin/radio/999").status_code == 404
    assert host.get(f"/radio/shows/{theirs}/stream").status_code == 404
    assert host.get(f"/radio/shows/{theirs}/board").status_code == 404
    coordinator = admin_as("coordinator", counties=("Kitui",))
    for route in ("board", "stream"):  # the radio API's rule: a coordinator reads no show
        assert coordinator.get(f"/radio/shows/{mine}/{route}").status_code == 403
    assert host.get("/admin/radio/new").status_code == 403
    assert host.get(f"/admin/radio/{mine}/edit").status_code == 403


def test_the_board_streams_under_the_login_and_marks_messages(app, admin_as, at, workers):
    """Does the host's board open the show's stream with the admin login alone (no token, no
    key), with the listener's SMS masked, and do the board's buttons star, mark read on air and
    hide it (a hidden one leaves the stream) — refused to a viewer?"""
    # Logged in during the show: a login lasts GATEWAY_SESSION_HOURS.
    with time_machine.travel(THURSDAY, tick=True):
        _board_under_login(app, admin_as, at, workers)


def _board_under_login(app, admin_as, at, workers) -> None:
    joined_contact(app, LISTENER, "sw")
    show_id = make_show(app)
    host = admin_as("radio_host", email=SHOW["host"])
    page = host.get(f"/admin/radio/{show_id}").get_data(as_text=True)
    assert f'data-stream="/radio/shows/{show_id}/stream"' in page
    assert "radio_board.js" in page
    listen(at, workers, THURSDAY, (LISTENER, "MADINI <b>the mine</b> took our water"))

    events, _, _ = parse_events(host.get(f"/radio/shows/{show_id}/stream").get_data(as_text=True))
    feed = [data for name, data in events if name == "feed"]
    assert [item["text"] for item in feed] == ["MADINI <b>the mine</b> took our water"]
    assert feed[0]["phone"] == mask_phone(LISTENER) and feed[0]["episode"] == EPISODE
    tally = next(data for name, data in events if name == "tally")
    assert tally["counties"][0]["messages"] == 1
    item_id = feed[0]["id"]

    viewer = admin_as("viewer")
    assert viewer.get(f"/radio/shows/{show_id}/stream").status_code == 200
    denied = viewer.post(
        f"/admin/radio/messages/{item_id}/mark", {"mark": "star"}, page="/admin/radio"
    )
    assert denied.status_code == 403
    for mark in ("star", "on_air"):
        marked = host.post(
            f"/admin/radio/messages/{item_id}/mark", {"mark": mark}, page="/admin/radio"
        )
        assert marked.status_code == 200, marked.get_data(as_text=True)
    assert marked.json["starred"] is True and marked.json["read_on_air_at"]
    with app.app_context():
        radio = db.session.get(RadioMessage, item_id)
        assert radio.starred and radio.read_on_air_at is not None and not radio.hidden
    host.post(f"/admin/radio/messages/{item_id}/mark", {"mark": "hide"}, page="/admin/radio")
    events, _, _ = parse_events(host.get(f"/radio/shows/{show_id}/stream").get_data(as_text=True))
    assert [data for name, data in events if name == "feed"] == []
    with app.app_context():
        assert db.session.get(RadioMessage, item_id).hidden
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_type == "radio_message")
        ).all()
        assert actions.count("radio.message_marked") == 3
