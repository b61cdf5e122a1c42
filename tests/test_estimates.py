"""No message sent blind: creating or moving a meeting in the admin UI first shows what it will
send (per language the text as sent, its encoding and segments, the characters to cut when it
takes more than one SMS, how many get it, the cost and the budget left) and sends nothing until
the officer confirms that very estimate; the API's estimate gives the same figures and sends
nothing either (real workers drained, the emulator asked)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from factories import joined_contact
from flask import Flask
from helpers import confirmation
from sqlalchemy import func, select

from gateway.encoding import analyse
from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.polls.notices import send_due_results
from gateway.sms.models import Message

EAT = ZoneInfo("Africa/Nairobi")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)
EN, SW, KWALE, STOPPED = "+254711000001", "+254711000002", "+254722000001", "+254711000009"
# 80 characters: with the title and the date, the alert takes two SMS.
LONG_PLACE = "Mui Primary School main hall, behind the chief's office on the Kitui-Mwingi road"

FORM = {
    "county": "Kitui",
    "ward": "Mui",
    "place": "Mui Primary School",
    "starts_at": "2026-12-10T10:00",
    "title_en": "Mui coal platform meeting",
    "title_sw": "Mkutano wa jukwaa la makaa Mui",
}
API_MEETING = {
    "county": "Kitui",
    "ward": "Mui",
    "place": "Mui Primary School",
    "starts_at": "2026-12-10T10:00:00+03:00",
    "title": {"en": "Mui coal platform meeting", "sw": "Mkutano wa jukwaa la makaa Mui"},
}


def _people(app: Flask) -> None:
    joined_contact(app, EN, "en")
    joined_contact(app, SW, "sw")
    joined_contact(app, KWALE, "en", county="Kwale", ward=None)  # another county
    joined_contact(app, STOPPED, "en", opted_out=True)


def _sent_nothing(app: Flask, workers: Any, emulator: Any) -> None:
    workers.drain()
    assert emulator.messages() == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def _line(page: str, kind: str, language: str) -> str:
    """One text's block of the estimate on the page, unescaped."""
    start = page.index(f'id="estimate-{kind}-{language}"')
    ends = [page.find(mark, start + 1) for mark in ('<div class="lang"', 'class="totals"')]
    return html.unescape(page[start : min(end for end in ends if end > 0)])


def test_a_meeting_form_shows_its_estimate_and_sends_only_once_confirmed(
    app, admin_as, workers, emulator
):
    _people(app)
    form = {**FORM, "place": LONG_PLACE}
    with time_machine.travel(MONDAY):
        session = admin_as("coordinator", counties=("Kitui",))
        first = session.post("/admin/meetings", form, page="/admin/meetings/new")
        page = first.get_data(as_text=True)
        assert first.status_code == 200, page
        assert "Before it is sent" in page
        # Kitui's two with consent; the Kwale contact is not in the audience, the opted out is
        # left out and said so.
        assert "Total: 2 people · messages: 6" in page  # an alert and two reminders each
        assert "Left out: 0 without consent, 1 opted out." in page
        alert_en = _line(page, "meeting_alert", "en")
        text_en = f"Mui coal platform meeting: Thu 10 Dec, 10:00 at {LONG_PLACE}."
        assert text_en in alert_en
        assert "GSM-7" in alert_en and "2 SMS" in alert_en
        cut = analyse(f"{text_en} Reply YES if you will come, NO if not.").length - 160
        assert f"cut {cut} characters to fit one" in alert_en
        assert 'class="phone"' in alert_en and "1/2" in alert_en and "2/2" in alert_en
        assert "Budget left this month: KES 20,000.00" in page
        _sent_nothing(app, workers, emulator)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0

        # A changed form with the old estimate's token is estimated and asked again.
        hidden = confirmation(page)
        changed = session.post(
            "/admin/meetings", {**hidden, "place": "Mui market"}, page="/admin/meetings/new"
        )
        again = changed.get_data(as_text=True)
        assert changed.status_code == 200 and 'id="estimate-changed"' in again
        assert "Mui market" in again
        _sent_nothing(app, workers, emulator)

        confirmed = session.post("/admin/meetings", hidden, page="/admin/meetings/new")
        assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
        workers.drain()
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert set(texts) == {EN, SW}
    assert texts[EN] == f"{text_en} Reply YES if you will come, NO if not."
    assert analyse(texts[EN]).segments == 2  # as the estimate said
    # The Kiswahili alert as its phone preview showed it, page after page.
    screens = re.findall(r"</span>([^<]*)</div>", _line(page, "meeting_alert", "sw"))
    assert "".join(screens) == texts[SW] and len(screens) == analyse(texts[SW]).segments
    with app.app_context():
        assert db.session.scalar(select(Meeting.place)) == LONG_PLACE


def test_the_api_estimate_gives_the_admin_figures_and_sends_nothing(
    app, admin_as, api, workers, emulator
):
    _people(app)
    with time_machine.travel(MONDAY):
        response = api.post("/meetings/estimate", API_MEETING)
        assert response.status_code == 200, response.get_json()
        found = response.get_json()
        page = (
            admin_as("admin")
            .post("/admin/meetings", FORM, page="/admin/meetings/new")
            .get_data(as_text=True)
        )
    _sent_nothing(app, workers, emulator)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0
    assert found["recipients"] == 2 and found["skipped_opted_out"] == 1
    lines = {(line["kind"], line["language"]): line for line in found["lines"]}
    assert set(lines) == {
        (kind, language)
        for kind in ("meeting_alert", "meeting_reminder")
        for language in ("en", "sw")
    }
    assert lines["meeting_alert", "en"]["text"].startswith("Mui coal platform meeting: Thu 10 Dec")
    assert lines["meeting_alert", "sw"]["text"].startswith("Mkutano wa jukwaa la makaa Mui")
    assert lines["meeting_reminder", "en"]["copies"] == 2  # 24 h and 2 h before
    segments = sum(
        line["segments"] * line["recipients"] * line["copies"] for line in found["lines"]
    )
    assert Decimal(found["cost_kes"]) == Decimal("0.80") * segments
    assert found["messages"] == 6 and found["over_budget"] is False
    assert Decimal(found["budget_left_kes"]) == Decimal("20000")
    # The same estimate as the admin page's: the same token, total and cost.
    assert confirmation(page)["estimate_token"] == found["token"]
    assert (
        f"Total: 2 people · messages: 6 · KES {Decimal(found['cost_kes']):,.2f}"
        in html.unescape(page)
    )


def test_moving_a_meeting_shows_the_notice_and_waits_for_confirmation(
    app, admin_as, api, workers, emulator
):
    _people(app)
    with time_machine.travel(MONDAY):
        meeting = api.post("/meetings", API_MEETING).get_json()
        workers.drain()
    alerted = len(emulator.messages())
    assert alerted == 2
    path = f"/admin/meetings/{meeting['id']}"
    with time_machine.travel(MONDAY + timedelta(hours=1)):
        session = admin_as("admin")
        asked = session.post(f"{path}/reschedule", {"starts_at": "2026-12-11T14:30"}, page=path)
        page = asked.get_data(as_text=True)
        assert asked.status_code == 200 and "Move the meeting: what it sends" in page
        notice = _line(page, "meeting_rescheduled", "en")
        assert "Fri 11 Dec, 14:30" in notice
        dry = api.post(
            f"/meetings/{meeting['id']}/estimate", {"starts_at": "2026-12-11T14:30:00+03:00"}
        )
        assert dry.status_code == 200
        assert dry.get_json()["token"] == confirmation(page)["estimate_token"]
        workers.drain()
        assert len(emulator.messages()) == alerted  # nothing more went
        with app.app_context():
            moved = db.session.get(Meeting, meeting["id"])
            assert moved is not None and moved.version == 1
        done = session.post(f"{path}/reschedule", confirmation(page), page=path)
        assert done.status_code == 302
        workers.drain()
    notices = [m["text"] for m in emulator.messages()[alerted:]]
    assert len(notices) == 2 and any("Fri 11 Dec, 14:30" in text for text in notices)
    with app.app_context():
        assert db.session.get(Meeting, meeting["id"]).version == 2


# A poll question that, with its options, takes two SMS (one was 197 characters).
LONG_QUESTION = (
    "Kitui is preparing next year's budget. What should come first in your ward this coming year?"
)


def test_sending_a_poll_question_shows_its_estimate_and_waits(
    app, admin_as, api, workers, emulator
):
    _people(app)
    with time_machine.travel(MONDAY):
        poll = api.post(
            "/polls",
            {
                "keyword": "Bajeti",
                "question": {"en": LONG_QUESTION, "sw": "Nini kianze katika wadi yako?"},
                "options": [
                    {"en": "Repair the boreholes", "sw": "Maji"},
                    {"en": "Finish the dispensary", "sw": "Zahanati"},
                    {"en": "Grade the market roads", "sw": "Barabara"},
                ],
                "county": "Kitui",
                "closes_at": (MONDAY + timedelta(days=2)).isoformat(),
            },
        ).get_json()
        assert "id" in poll, poll
        path = f"/admin/polls/{poll['id']}"
        session = admin_as("admin")
        asked = session.post(f"{path}/send", {}, page=path)
        page = asked.get_data(as_text=True)
        assert asked.status_code == 200 and "Send the question of poll BAJETI" in page
        question_en = _line(page, "poll_question", "en")
        assert LONG_QUESTION[:60] in question_en and "2 SMS" in question_en
        assert "characters to fit one" in question_en
        assert "1 SMS" in _line(page, "poll_question", "sw")
        assert "Total: 2 people · messages: 2" in page
        dry = api.post(f"/polls/{poll['id']}/send/estimate").get_json()
        assert dry["token"] == confirmation(page)["estimate_token"] and dry["recipients"] == 2
        english = next(line for line in dry["lines"] if line["language"] == "en")
        assert english["segments"] == 2
        assert english["cut_to_fit"] == english["characters"] - 160
        assert f"cut {english['cut_to_fit']} characters to fit one" in question_en
        _sent_nothing(app, workers, emulator)
        assert session.post(f"{path}/send", confirmation(page), page=path).status_code == 302
        workers.drain()
    sent = {m["to"]: m["text"] for m in emulator.messages()}
    assert set(sent) == {EN, SW} and sent[EN] == english["text"]


# The Kiswahili national-dialogue alert of the issue: 162 characters, two SMS each.
ALERT_SW = (
    "Mazungumzo ya kitaifa kuhusu madini yatafanyika Jumamosi saa nne asubuhi katika ukumbi wa "
    "kaunti. Wote mnakaribishwa kutoa maoni. Jibu NDIO ukija, HAPANA ukikosa."
)


def test_a_broadcast_over_one_sms_is_flagged_with_the_characters_to_cut(app, admin_as, api):
    assert len(ALERT_SW) == 162
    _people(app)
    admin = admin_as("admin")
    draft = {"name": "Mazungumzo", "text_sw": ALERT_SW, "when": "now"}
    fragment = admin.post("/admin/broadcasts/estimate", draft, page="/admin/broadcasts/new")
    found = api.post("/broadcasts/estimate", {"texts": {"sw": ALERT_SW}}).get_json()
    swahili = next(entry for entry in found["languages"] if entry["language"] == "sw")
    assert swahili["segments"] == 2
    # What is sent may end with how to stop: what to cut counts it too.
    assert swahili["cut_to_fit"] == analyse(swahili["text"]).length - 160 >= 2
    section = html.unescape(fragment.get_data(as_text=True))
    section = section[section.index('id="estimate-sw"') :]
    assert f"cut {swahili['cut_to_fit']} characters to fit one" in section


def test_a_closed_polls_question_is_not_estimated_as_if_it_could_go(app, admin_as, api):
    _people(app)
    with time_machine.travel(MONDAY):
        poll = api.post(
            "/polls",
            {
                "keyword": "Mgodi",
                "question": {"en": "Was the EIA meeting held?"},
                "options": [{"en": "Yes"}, {"en": "No"}],
                "county": "Kitui",
                "closes_at": (MONDAY + timedelta(hours=1)).isoformat(),
            },
        ).get_json()
    with time_machine.travel(MONDAY + timedelta(hours=2)):
        refused = api.post(f"/polls/{poll['id']}/send/estimate")
        assert refused.status_code == 409 and "has closed" in refused.get_json()["message"]
        path = f"/admin/polls/{poll['id']}"
        session = admin_as("admin")
        asked = session.post(f"{path}/send", {}, page=path)
        assert asked.status_code == 302
        shown = session.get(asked.headers["Location"]).get_data(as_text=True)
        assert "This poll has closed; its question cannot be sent." in shown


def test_a_polls_results_sms_are_estimated_before_they_go_at_close(
    app, admin_as, api, at, workers, emulator
):
    _people(app)
    with time_machine.travel(MONDAY):
        poll = api.post(
            "/polls",
            {
                "keyword": "Mgodi",
                "question": {"en": "Was the EIA meeting held?", "sw": "Mkutano ulifanyika?"},
                "options": [{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}],
                "county": None,
                "closes_at": (MONDAY + timedelta(hours=1)).isoformat(),
                "send_results": True,
            },
        ).get_json()
        assert "id" in poll, poll
        at.sms(EN, "MGODI 1")
        at.sms(SW, "MGODI 1")
        at.sms(KWALE, "MGODI 2")
        workers.drain()
        emulator.clear()
        found = api.get(f"/polls/{poll['id']}/results/estimate").get_json()
        page = admin_as("viewer").get(f"/admin/polls/{poll['id']}").get_data(as_text=True)
    assert found["recipients"] == 3 and found["messages"] == 3
    estimated = {line["language"]: line["text"] for line in found["lines"]}
    assert estimated["en"].startswith("Results of Was the EIA meeting held?: Yes 67%, No 33%")
    assert 'id="results-estimate"' in page and "Total: 3 people · messages: 3" in page
    assert estimated["sw"] in _line(page, "poll_results", "sw")
    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=1)):
        workers.queue("default").enqueue(send_due_results)
        workers.drain()
    sent = {m["to"]: m["text"] for m in emulator.messages()}
    assert sent == {EN: estimated["en"], SW: estimated["sw"], KWALE: estimated["en"]}
