"""The people behind a meeting's counts: who answered yes or no and who was reached and has not
answered, on the meeting's page (masked numbers linking to the contact; a coordinator sees
their counties' people only) and as CSV; and the reminder to those who have not answered, shown
with its texts, segments and cost before anything is sent, then sent on confirmation through a
real RQ worker to the emulator, once per person. Polls: editable until the first vote (admin
and API), and breakdown bars scaled to the whole poll."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from factories import EN, KAM, KWALE, SW, joined_contact
from helpers import received, text

from gateway.encoding import analyse

EAT = ZoneInfo("Africa/Nairobi")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)
STARTS = datetime(2026, 12, 10, 10, 0, tzinfo=EAT)
WHEN = {"en": "Thu 10 Dec, 10:00", "sw": "Alhamisi 10 Des, 10:00"}
TITLE = {"en": "Mui coal platform meeting", "sw": "Mkutano wa jukwaa la makaa Mui"}
PLACE = "Mui Primary School"
OTHER = "+254711000006"  # a second English speaker in Kitui


def _masked(phone: str) -> str:
    return phone[:5] + "••••••" + phone[-2:]


@pytest.fixture
def answered(app, api, at, people, workers, emulator) -> int:
    """A national dialogue, alerted to everyone; EN answered yes, SW no, KWALE yes; KAM and
    OTHER reached without answering."""
    joined_contact(app, OTHER, "en")
    with time_machine.travel(MONDAY):
        response = api.post(
            "/meetings",
            json={"title": TITLE, "county": None, "place": PLACE, "starts_at": STARTS.isoformat()},
        )
        assert response.status_code == 201, response.json
        workers.drain()
        at.sms(EN, "YES")
        at.sms(SW, "hapana")
        at.sms(KWALE, "yes")
        workers.drain()
        emulator.clear()
    return int(response.json["id"])


def _group(page: str, group: str) -> str:
    found = re.search(rf'<div id="people-{group}">(.*?)</table>', page, re.S)
    assert found is not None, group
    return found.group(1)


def test_the_meeting_page_names_who_answered_and_who_did_not(admin_as, answered) -> None:
    with time_machine.travel(MONDAY + timedelta(minutes=5)):
        page = admin_as("admin").get(f"/admin/meetings/{answered}").get_data(as_text=True)
    yes, no, unanswered = (_group(page, g) for g in ("yes", "no", "unanswered"))
    assert _masked(EN) in yes and _masked(KWALE) in yes and _masked(SW) not in yes
    assert _masked(SW) in no and _masked(EN) not in no
    assert _masked(KAM) in unanswered and _masked(OTHER) in unanswered
    assert _masked(EN) not in unanswered and _masked(SW) not in unanswered
    assert re.search(r'href="/admin/contacts/\d+">' + re.escape(_masked(EN)), yes)
    for phone in (EN, SW, KAM, KWALE, OTHER):
        assert phone not in page


def test_a_coordinator_reads_no_national_dialogues_people(admin_as, answered) -> None:
    """A national dialogue is the secretariat's: a coordinator gets neither its page, its
    people's CSV nor its reminder."""
    with time_machine.travel(MONDAY + timedelta(minutes=5)):
        session = admin_as("coordinator", counties=("Kwale",))
        for path in ("", "/people.csv?group=yes", "/remind"):
            response = session.get(f"/admin/meetings/{answered}{path}")
            assert response.status_code == 404, path
            assert KWALE not in response.get_data(as_text=True)


def _rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_csv_gives_numbers_in_full_to_an_admin_masked_to_a_viewer(admin_as, answered) -> None:
    with time_machine.travel(MONDAY + timedelta(minutes=5)):
        admin = admin_as("admin").get(f"/admin/meetings/{answered}/people.csv?group=unanswered")
        viewer = admin_as("viewer").get(f"/admin/meetings/{answered}/people.csv?group=no")
    assert admin.headers["Content-Type"].startswith("text/csv")
    rows = _rows(admin)
    # A leading "+" keeps an apostrophe, as in the contacts export (Excel reads no formula).
    assert sorted(r["phone"] for r in rows) == sorted(["'" + KAM, "'" + OTHER])
    assert {r["answer"] for r in rows} == {"unanswered"}
    rows = _rows(viewer)
    assert [(r["phone"], r["answer"], r["channel"]) for r in rows] == [
        ("'" + _masked(SW), "no", "sms")
    ]


def test_the_reminder_shows_its_estimate_and_waits_for_confirmation(
    app, admin_as, answered, at, workers, emulator
) -> None:
    reminder = {
        lang: text(
            app, "sms.meeting.reminder", lang, title=TITLE[lang], when=WHEN[lang], place=PLACE
        )
        for lang in ("en", "sw")
    }
    with time_machine.travel(MONDAY + timedelta(minutes=15)):  # past the alert's spacing (pacing)
        session = admin_as("admin")
        path = f"/admin/meetings/{answered}/remind"
        page = session.get(path).get_data(as_text=True)
        assert re.search(r'id="remind-recipients">People who get it: 2<', page)
        rows = dict(re.findall(r'data-language="(\w+)">(.*?)</tr>', page, re.S))
        assert set(rows) == {"en", "kam"}
        texts = {"en": reminder["en"], "kam": reminder["sw"]}  # Kikamba falls back to Kiswahili
        for language, row in rows.items():
            info = analyse(texts[language])
            assert texts[language] in row
            cells = re.findall(r'<td class="num">([^<]*)</td>', row)
            assert cells[:2] == [str(info.segments), "1"]
            assert cells[2] == f"KES {0.80 * info.segments:,.2f}"
        workers.drain()
        assert emulator.messages() == []  # nothing is sent by looking
        # Without the confirmation, the post only shows the estimate again.
        unconfirmed = session.post(path, {}, page=path)
        assert unconfirmed.headers["Location"].endswith(path)
        workers.drain()
        assert emulator.messages() == []
        sent = session.post(path, {"confirm": "yes"}, page=path)
        assert sent.status_code == 302
        workers.drain()
        assert received(emulator, OTHER) == [reminder["en"]]
        assert received(emulator, KAM) == [reminder["sw"]]
        assert {m["to"] for m in emulator.messages()} == {OTHER, KAM}
        # Once per person: a second time, nobody is left to remind.
        again = session.get(path).get_data(as_text=True)
        assert "People who get it: 0" in again and "Already reminded, not sent again: 2" in again
        session.post(path, {"confirm": "yes"}, page=path)
        workers.drain()
        assert len(emulator.messages()) == 2
        # The reminder asks for an answer, and the answer counts.
        at.sms(KAM, "ndio")
        workers.drain()
        page = session.get(f"/admin/meetings/{answered}").get_data(as_text=True)
        assert _masked(KAM) in _group(page, "yes") and _masked(KAM) not in _group(
            page, "unanswered"
        )
    assert workers.failed() == []


def test_a_viewer_cannot_send_the_reminder(app, admin_as, answered, workers, emulator) -> None:
    with time_machine.travel(MONDAY + timedelta(minutes=5)):
        viewer = admin_as("viewer")
        page = viewer.get(f"/admin/meetings/{answered}").get_data(as_text=True)
        assert 'id="remind-link"' not in page
        refused = viewer.post(
            f"/admin/meetings/{answered}/remind",
            {"confirm": "yes"},
            page=f"/admin/meetings/{answered}",
        )
        assert refused.status_code == 403
        workers.drain()
    assert emulator.messages() == []


POLL = {
    "keyword": "Mgodi",
    "question": {"en": "Was the EIA meeting held in your ward?", "sw": "Je, mkutano ulifanyika?"},
    "options": [{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}],
    "county": "Kitui",
}


def _create_poll(api) -> int:  # type: ignore[no-untyped-def]
    closes = (MONDAY + timedelta(hours=2)).isoformat()
    response = api.post("/polls", json={**POLL, "closes_at": closes})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def test_a_poll_changes_until_its_first_vote_then_refuses(
    app, api, admin_as, at, people, workers
) -> None:
    with time_machine.travel(MONDAY):
        poll = _create_poll(api)
        # By the API: the question and a third option, checked as a new poll.
        changed = api.patch(
            f"/polls/{poll}",
            {
                "question": {"en": "Was the EIA meeting held?", "sw": "Mkutano wa EIA ulifanyika?"},
                "options": [*POLL["options"], {"en": "Not sure", "sw": "Sijui"}],
            },
        )
        assert changed.status_code == 200, changed.json
        assert changed.json["question"]["en"] == "Was the EIA meeting held?"
        assert [o["label"]["en"] for o in changed.json["options"]] == ["Yes", "No", "Not sure"]
        bad = api.patch(f"/polls/{poll}", {"options": [{"en": "Yes"}]})
        assert bad.status_code == 400 and "options" in bad.json["errors"]["json"]
        # In the admin UI: the form comes filled; the window and an option change.
        session = admin_as("admin")
        form = session.get(f"/admin/polls/{poll}/edit").get_data(as_text=True)
        assert 'value="Was the EIA meeting held?"' in form and 'value="Not sure"' in form
        fields = {
            "question_en": "Was the EIA meeting held in Mui?",
            "question_sw": "Mkutano wa EIA ulifanyika Mui?",
            "option1_en": "Yes",
            "option1_sw": "Ndiyo",
            "option2_en": "No",
            "option2_sw": "Hapana",
            "closes_at": "2026-12-07T15:00",
        }
        saved = session.post(f"/admin/polls/{poll}/edit", fields, page=f"/admin/polls/{poll}/edit")
        assert saved.status_code == 302
        detail = session.get(f"/admin/polls/{poll}").get_data(as_text=True)
        assert (
            "Was the EIA meeting held in Mui?" in detail and "The poll has been changed." in detail
        )
        fetched = api.get(f"/polls/{poll}").json
        assert [o["label"]["en"] for o in fetched["options"]] == ["Yes", "No"]
        assert fetched["closes_at"].startswith("2026-12-07T12:00")  # 15:00 EAT
        # The first vote: from now on, a clear refusal.
        at.sms(EN, "MGODI 1")
        workers.drain()
        refused = api.patch(f"/polls/{poll}", {"question": {"en": "Another question?"}})
        assert refused.status_code == 409 and "has votes" in refused.json["message"]
        again = session.get(f"/admin/polls/{poll}/edit")
        assert again.status_code == 302
        page = session.get(f"/admin/polls/{poll}").get_data(as_text=True)
        assert "The poll has votes: it can no longer be changed." in page
        late = session.post(
            f"/admin/polls/{poll}/edit",
            {**fields, "question_en": "Sneaked in?"},
            page=f"/admin/polls/{poll}",
        )
        assert late.status_code == 302
        assert (
            api.get(f"/polls/{poll}").json["question"]["en"] == "Was the EIA meeting held in Mui?"
        )


def test_breakdown_bars_are_scaled_to_the_whole_poll(
    app, api, admin_as, at, people, workers
) -> None:
    """Four votes: three in English, one in Kiswahili. The Kiswahili group's one vote is a
    quarter of the whole, not a full bar."""
    joined_contact(app, OTHER, "en")
    with time_machine.travel(MONDAY):
        poll = _create_poll(api)
        for phone, vote in ((EN, "1"), (OTHER, "1"), (KAM, "2"), (SW, "2")):
            at.sms(phone, f"MGODI {vote}")
        workers.drain()
        page = admin_as("admin").get(f"/admin/polls/{poll}").get_data(as_text=True)
    section = re.search(r'id="by-language">(.*?)</section>', page, re.S)
    assert section is not None
    widths = [int(w) for w in re.findall(r'<rect class="bar"[^>]*width="(\d+)"', section.group(1))]
    # Bars are 220 long for the whole poll's 4 votes: 1 vote is 55, 2 votes 110, never 220.
    assert max(widths) == 110 and 55 in widths


def test_broadcast_recipients_link_to_the_contact_for_admins_only(
    app, admin_as, people, workers, emulator
) -> None:
    """A sent broadcast's page lists each recipient masked; an admin's rows link to the
    contact, a viewer's do not; and the audience it was aimed at is named."""
    form = {
        "name": "Kwale water",
        "text_en": "The water meeting is on Saturday at 10:00.",
        "text_sw": "",
        "text_kam": "",
        "when": "now",
        "counties": ["Kwale"],
    }
    with time_machine.travel(MONDAY, tick=True):
        admin = admin_as("admin")
        sent = admin.post("/admin/broadcasts/new", form)
        assert sent.status_code == 302
        page_path = sent.headers["Location"]
        workers.drain()
        admin_page = admin.get(page_path).get_data(as_text=True)
        viewer_page = admin_as("viewer").get(page_path).get_data(as_text=True)
    assert received(emulator, KWALE) and {m["to"] for m in emulator.messages()} == {KWALE}
    outcomes = re.search(r'<table id="outcomes">(.*?)</table>', admin_page, re.S)
    assert outcomes is not None
    assert re.search(
        r'<a href="/admin/contacts/\d+">' + re.escape(_masked(KWALE)) + "</a>", outcomes.group(1)
    )
    assert KWALE not in admin_page
    outcomes = re.search(r'<table id="outcomes">(.*?)</table>', viewer_page, re.S)
    assert outcomes is not None and _masked(KWALE) in outcomes.group(1)
    assert "/admin/contacts/" not in outcomes.group(1)
    assert "Counties: Kwale" in admin_page


@pytest.mark.parametrize("settings_overrides", [{"monthly_budget_kes": 1.0}], ids=["KES 1"])
def test_a_reminder_over_the_budget_left_is_not_sent(admin_as, answered, workers, emulator) -> None:
    """Two reminders at KES 0.80 or more each cost more than a KES 1 budget: the estimate
    says so, has no send button, and a forced post sends nothing."""
    with time_machine.travel(MONDAY + timedelta(minutes=5)):
        session = admin_as("admin")
        path = f"/admin/meetings/{answered}/remind"
        page = session.get(path).get_data(as_text=True)
        assert "This is more than the budget left this month." in page
        assert 'id="remind-confirm"' not in page
        refused = session.post(path, {"confirm": "yes"}, page=path)
        assert refused.headers["Location"].endswith(path)
        workers.drain()
    assert emulator.messages() == []
