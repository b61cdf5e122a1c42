"""The admin UI's meetings and polls pages: a meeting made in the form alerts its county (real
workers, the emulator); a poll's result bars carry the numbers of the votes sent by SMS in
Africa's Talking's wire format; a radio host sees only their own show's poll."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import factories
import pytest
import time_machine
from factories import joined_contact
from flask import Flask
from helpers import send_confirmed
from sqlalchemy import select

from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.polls.models import Poll
from gateway.radio.models import RadioShow
from gateway.sms.models import Message
from gateway.users.models import AuditEvent

EAT = ZoneInfo("Africa/Nairobi")
UNPACED = {"max_per_contact_per_day": 0, "min_spacing": timedelta(0)}
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)
EN, SW, KWALE = "+254711000001", "+254711000002", "+254722000001"

MEETING_FORM = {
    "county": "Kitui",
    "ward": "Mui",
    "place": "Mui Primary School",
    "starts_at": "2026-12-10T10:00",  # EAT, as typed in the browser
    "title_en": "Mui coal platform meeting",
    "title_sw": "Mkutano wa jukwaa la makaa Mui",
    "agenda_en": "Compensation rates",
}


def _people(app: Flask) -> None:
    joined_contact(app, EN, "en")
    joined_contact(app, SW, "sw")
    joined_contact(app, KWALE, "en", county="Kwale", ward=None)


def test_a_meeting_created_in_the_form_alerts_its_county(app, admin_as, workers, emulator):
    _people(app)
    with time_machine.travel(MONDAY):
        session = admin_as("coordinator", counties=("Kitui",), email="mutua@hmk.example")
        response = send_confirmed(session, "/admin/meetings", MEETING_FORM, "/admin/meetings/new")
        assert response.status_code == 302, response.get_data(as_text=True)
        page = session.get(response.headers["Location"]).get_data(as_text=True)
        assert "Meeting created: its alerts are queued." in page
        assert "10 Dec 2026 10:00" in page  # shown in EAT as typed
        workers.drain()
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert set(texts) == {EN, SW}  # Kitui only, each in their language
    assert texts[EN].startswith("Mui coal platform meeting: Thu 10 Dec, 10:00 at Mui Primary")
    assert texts[SW].startswith("Mkutano wa jukwaa la makaa Mui")
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting is not None and meeting.county == "Kitui"
        assert meeting.starts_at.astimezone(EAT) == datetime(2026, 12, 10, 10, 0, tzinfo=EAT)
        assert (
            db.session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "meeting.create"))
            == "mutua@hmk.example"
        )
        meeting_id = meeting.id
    with time_machine.travel(MONDAY + timedelta(minutes=5)):
        listing = session.get("/admin/meetings").get_data(as_text=True)
        assert "Mui coal platform meeting" in listing and "10 Dec 2026 10:00" in listing
        detail = session.get(f"/admin/meetings/{meeting_id}").get_data(as_text=True)
        assert "<td>Alerts</td>" in detail and "Sent: 2" in detail
        assert "meeting_alert" not in detail


def test_a_coordinator_cannot_make_or_see_another_countys_meeting(app, admin_as):
    with time_machine.travel(MONDAY):
        session = admin_as("coordinator", counties=("Kwale",))
        response = send_confirmed(session, "/admin/meetings", MEETING_FORM, "/admin/meetings/new")
        assert response.status_code == 403
        national = {**MEETING_FORM, "county": "", "ward": ""}
        assert (
            session.post("/admin/meetings", national, page="/admin/meetings/new").status_code == 403
        )
        admin = admin_as("admin")
        assert (
            send_confirmed(
                admin, "/admin/meetings", MEETING_FORM, "/admin/meetings/new"
            ).status_code
            == 302
        )
        with app.app_context():
            meeting_id = db.session.scalar(select(Meeting.id))
        assert "Mui coal" not in session.get("/admin/meetings").get_data(as_text=True)
        assert session.get(f"/admin/meetings/{meeting_id}").status_code == 404


def test_a_bad_meeting_form_is_shown_again_naming_the_field(app, admin_as):
    with time_machine.travel(MONDAY):
        session = admin_as("admin")
        past = {**MEETING_FORM, "starts_at": "2026-12-01T10:00"}
        response = session.post("/admin/meetings", past, page="/admin/meetings/new")
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Starts: The meeting must start in the future." in page
        assert 'value="Mui Primary School"' in page  # what was typed is kept
        # On a Kiswahili page the field is named in Kiswahili, and so are common complaints.
        kiswahili = admin_as("admin", language="sw")
        untitled = {**MEETING_FORM, "title_en": "", "title_sw": "", "starts_at": "kesho"}
        response = kiswahili.post("/admin/meetings", untitled, page="/admin/meetings/new")
        assert response.status_code == 422
        page = html.unescape(response.get_data(as_text=True))
        shown = re.findall(r"<li>(.*?)</li>", page)
        assert "Kuanza: Tarehe na saa si sahihi." in shown, shown
        assert any(line.startswith("Kichwa: ") for line in shown), shown
    with app.app_context():
        assert db.session.scalar(select(Meeting.id)) is None


# The alert, the move's notice and the cancellation's within a minute, on purpose: pacing
# (tests/test_pacing.py) off.
@pytest.mark.parametrize("settings_overrides", [UNPACED], ids=["unpaced"])
def test_moving_and_cancelling_a_meeting_tells_its_audience(app, admin_as, workers, emulator):
    _people(app)
    with time_machine.travel(MONDAY):
        session = admin_as("admin")
        created = send_confirmed(session, "/admin/meetings", MEETING_FORM, "/admin/meetings/new")
        path = created.headers["Location"]
        workers.drain()
        emulator.clear()
        moved = send_confirmed(
            session,
            f"{path}/reschedule",
            {"starts_at": "2026-12-11T14:30", "place": "Mui Primary School"},
            path,
        )
        assert moved.status_code == 302
        page = session.get(path).get_data(as_text=True)
        assert "11 Dec 2026 14:30" in page and "Meeting moved" in page
        workers.drain()
        assert {m["to"] for m in emulator.messages()} == {EN, SW}
        emulator.clear()
        session.post(f"{path}/cancel", {}, page=path)
        page = session.get(path).get_data(as_text=True)
        assert 'id="meeting-status">Cancelled<' in page
        workers.drain()
    assert {m["to"] for m in emulator.messages()} == {EN, SW}
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "meeting")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["meeting.create", "meeting.reschedule", "meeting.cancel"]


def _reminder_counts(page: str) -> str:
    """The message counts on the Reminders row of a meeting's page."""
    row = re.search(r"<tr><td>(?:Reminders|Vikumbusho)</td><td>(.*?)</td></tr>", page, re.S)
    assert row is not None, page
    return re.sub(r"<[^>]+>", "", row.group(1)).strip()


def test_reminders_of_a_moved_meeting_read_replaced_not_failed(app, admin_as, workers):
    """After moving a meeting, do its page's old reminders read "Replaced by the new time"
    (in English and Kiswahili), not "Not sent" as if they had failed; and after cancelling it,
    do the remaining ones say they were not sent because the meeting was cancelled."""
    _people(app)
    with time_machine.travel(MONDAY):
        session = admin_as("admin")
        kiswahili = admin_as("viewer", language="sw")
        created = send_confirmed(session, "/admin/meetings", MEETING_FORM, "/admin/meetings/new")
        path = created.headers["Location"]
        workers.drain()
        send_confirmed(session, f"{path}/reschedule", {"starts_at": "2026-12-11T14:30"}, path)
        workers.drain()
        page = session.get(path).get_data(as_text=True)
        assert _reminder_counts(page) == "Queued: 4 Replaced by the new time: 4"
        assert "Not sent" not in page
        assert _reminder_counts(kiswahili.get(path).get_data(as_text=True)) == (
            "Kwenye foleni: 4 Zimebadilishwa kwa wakati mpya: 4"
        )
        session.post(f"{path}/cancel", {}, page=path)
        page = session.get(path).get_data(as_text=True)
    assert _reminder_counts(page) == ("Not sent (meeting cancelled): 4 Replaced by the new time: 4")


def _bar_numbers(section: str) -> list[tuple[str, int]]:
    """(label, number) of each bar in the first SVG chart of ``section``."""
    svg = re.search(r"<svg.*?</svg>", section, re.S)
    assert svg is not None
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg.group(0))
    return [(texts[i], int(texts[i + 1])) for i in range(0, len(texts), 2)]


def test_poll_result_bars_match_the_votes(app, admin_as, at, workers):
    _people(app)
    ids = factories.polls(app)
    at.sms(EN, "MADINI 2")
    at.sms(SW, "madini 1")
    at.sms(KWALE, "MADINI 2")
    workers.drain()
    session = admin_as("viewer")
    page = session.get(f"/admin/polls/{ids['open']}").get_data(as_text=True)
    assert "Results: 3 votes" in page
    totals = page[page.index("Results: 3 votes") :]
    assert _bar_numbers(totals) == [("1 Yes", 1), ("2 No", 2), ("3 Not sure", 0)]
    widths = re.findall(r'class="bar"[^>]*width="(\d+)"', totals.split("</svg>")[0])
    assert [int(w) for w in widths] == [110, 220, 0]  # No is the longest bar
    by_county = page[page.index('id="by-county"') : page.index('id="by-ward"')]
    assert "Kitui" in by_county and "Kwale" in by_county
    kitui = by_county[by_county.index("Kitui") : by_county.index("Kwale")]
    assert _bar_numbers(kitui) == [("1 Yes", 1), ("2 No", 1), ("3 Not sure", 0)]
    by_language = page[page.index('id="by-language"') : page.index('id="by-channel"')]
    assert "<h3>Swahili · " in by_language  # named in the reader's language, not the code
    listing = session.get("/admin/polls").get_data(as_text=True)
    row = re.search(r">MADINI</a>.*?</tr>", listing, re.S)
    assert row is not None and re.search(r'class="num">3<', row.group(0))
    download = session.get(f"/admin/polls/{ids['open']}/results.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["dimension", "value", "county", "option", "label", "votes", "percent"]
    assert ["all", "", "", "2", "No", "2", "66.7"] in rows


def test_a_radio_host_sees_only_their_shows_poll(app, admin_as):
    ids = factories.polls(app)
    with app.app_context():
        db.session.add_all(
            [
                RadioShow(
                    station="Mwatu FM",
                    name="Sauti ya Mui",
                    host="Host@hmk.example",
                    poll_id=ids["open"],
                ),
                RadioShow(
                    station="Musyi FM",
                    name="Other show",
                    host="other@hmk.example",
                    poll_id=ids["kwale"],
                ),
            ]
        )
        db.session.commit()
    host = admin_as("radio_host", email="host@hmk.example")
    listing = host.get("/admin/polls").get_data(as_text=True)
    assert ">MADINI</a>" in listing and ">KWALE</a>" not in listing and ">ZAMANI</a>" not in listing
    assert host.get(f"/admin/polls/{ids['open']}").status_code == 200
    assert host.get(f"/admin/polls/{ids['kwale']}").status_code == 404
    assert host.get(f"/admin/polls/{ids['kwale']}/results.csv").status_code == 404
    assert host.get("/admin/polls/new").status_code == 403
    viewer = admin_as("viewer").get("/admin/polls").get_data(as_text=True)
    assert all(f">{k}</a>" in viewer for k in ("MADINI", "KWALE", "ZAMANI"))


def test_an_admin_creates_a_poll_and_sends_its_question(app, admin_as, workers, emulator):
    _people(app)
    morning = datetime(2026, 12, 7, 9, 0, tzinfo=EAT)
    with time_machine.travel(morning):
        session = admin_as("admin")
        form = {
            "keyword": "maji",
            "question_en": "Is the Mui borehole working?",
            "question_sw": "Je, kisima cha Mui kinafanya kazi?",
            "option1_en": "Yes",
            "option1_sw": "Ndiyo",
            "option2_en": "No",
            "option2_sw": "Hapana",
            "county": "Kitui",
            "closes_at": "2026-12-09T18:00",
        }
        response = session.post("/admin/polls", form, page="/admin/polls/new")
        assert response.status_code == 302, response.get_data(as_text=True)
        path = response.headers["Location"]
        page = session.get(path).get_data(as_text=True)
        assert "Poll MAJI created." in page and "09 Dec 2026 18:00" in page
        assert "2 people with consent will get the question" in page
        assert send_confirmed(session, f"{path}/send", {}, path).status_code == 302
        assert "queued to 2 people" in session.get(path).get_data(as_text=True)
        # The same keyword again is refused, naming its user.
        again = session.post("/admin/polls", form, page="/admin/polls/new")
        assert again.status_code == 409 and "already used by poll" in again.get_data(as_text=True)
        workers.drain()
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert set(texts) == {EN, SW}
    assert "Is the Mui borehole working?" in texts[EN] and "kisima cha Mui" in texts[SW]
    with app.app_context():
        poll = db.session.scalar(select(Poll).where(Poll.keyword == "MAJI"))
        assert poll is not None and poll.closes_at.astimezone(EAT).hour == 18
        assert db.session.scalar(select(Message.id).where(Message.phone == KWALE)) is None
        assert db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_type == "poll")
        ).all() == ["poll.create", "poll.send"]


def test_a_survey_made_in_the_form_is_taken_by_sms_and_charted(app, admin_as, at, workers):
    _people(app)
    morning = datetime(2026, 12, 7, 9, 0, tzinfo=EAT)
    with time_machine.travel(morning):
        session = admin_as("admin")
        form = {
            "keyword": "kisima",
            "title_en": "Borehole survey",
            "closes_at": "2026-12-20T18:00",
            "q1_kind": "choice",
            "q1_prompt_en": "Does the borehole work?",
            "q1_options_en": "Yes\nNo\nSometimes",
            "q1_prompt_sw": "Je, kisima kinafanya kazi?",
            "q1_options_sw": "Ndiyo\nHapana\nMara nyingine",
            "q2_kind": "number",
            "q2_prompt_en": "How far is it, in minutes?",
        }
        too_short = {k: v for k, v in form.items() if not k.startswith("q2")}
        refused = session.post("/admin/surveys", too_short, page="/admin/surveys/new")
        assert refused.status_code == 422
        assert "A survey has 2 to 10 questions." in refused.get_data(as_text=True)
        response = session.post("/admin/surveys", form, page="/admin/surveys/new")
        assert response.status_code == 302, response.get_data(as_text=True)
        path = response.headers["Location"]
        for phone, answers in ((EN, ("KISIMA", "3", "25")), (SW, ("kisima", "3", "40"))):
            for sms in answers:
                at.sms(phone, sms)
                workers.drain()
        at.sms(KWALE, "KISIMA")
        workers.drain()
        at.sms(KWALE, "1")
        workers.drain()
        page = session.get(path).get_data(as_text=True)
        download = session.get(f"{path}/responses.csv").get_data(as_text=True)
        listing = session.get("/admin/surveys").get_data(as_text=True)
    assert "3 respondents: 2 completed, 1 partial" in page
    first = page[page.index('id="question-1"') : page.index('id="question-2"')]
    assert _bar_numbers(first) == [("1 Yes", 1), ("2 No", 0), ("3 Sometimes", 2)]
    second = page[page.index('id="question-2"') :]
    assert "Lowest 25, highest 40, mean 32.5, median 32.5" in second
    rows = list(csv.reader(io.StringIO(download.lstrip("\ufeff"))))
    assert len(rows) == 4 and EN not in download  # a respondent id, never the phone
    assert ">KISIMA</a>" in listing and "Borehole survey" in listing
