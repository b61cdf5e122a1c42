"""Meetings: alerts to the county (or every county), reminders a day and two hours before,
RSVPs by SMS, moves and cancellations; through the API, SMS callbacks in Africa's Talking's wire
format, real RQ workers (with RQ's scheduled jobs released as the frozen clock moves) and the
emulator."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from babel.messages.pofile import read_po, write_po
from conftest import AfricasTalking, Phone, Workers
from factories import EN, KAM, KWALE, SW, joined_contact
from helpers import received, text
from sqlalchemy import select

from gateway.extensions import db
from gateway.i18n import DEFAULT_MESSAGES_DIR
from gateway.meetings.announce import LOCK as SWEEP_LOCK
from gateway.meetings.announce import (
    announce_meeting,
    recover_meeting_jobs,
    send_cancellation_notices,
)
from gateway.meetings.models import Rsvp
from gateway.sms.models import Message

EAT = ZoneInfo("Africa/Nairobi")
UNPACED = {"max_per_contact_per_day": 0, "min_spacing": timedelta(0)}
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=EAT)
STARTS = datetime(2026, 12, 10, 10, 0, tzinfo=EAT)  # Thursday
WHEN = {"en": "Thu 10 Dec, 10:00", "sw": "Alhamisi 10 Des, 10:00"}
TITLE = {"en": "Mui coal platform meeting", "sw": "Mkutano wa jukwaa la makaa Mui"}
PLACE = "Mui Primary School"
MEETING = {
    "title": TITLE,
    "agenda": {"en": "Compensation rates for the Mui coal blocks"},
    "county": "Kitui",
    "ward": "Mui",
    "place": PLACE,
    "starts_at": STARTS.isoformat(),
}
# Kitui: English, Kiswahili and Kikamba speakers with consent, one opted out, one without
# consent; Kwale and Migori: one each with consent.
OPTED_OUT, UNCONSENTED = "+254711000004", "+254711000005"
MIGORI = "+254733000001"
KITUI_AUDIENCE = {EN: "en", SW: "sw", KAM: "sw"}  # Kikamba texts fall back to Kiswahili


@pytest.fixture
def people(people, app) -> None:
    """Those of every test module (tests/conftest.py), and in Migori one with consent; in
    Kitui one opted out and one without consent."""
    joined_contact(app, MIGORI, "sw", county="Migori", ward=None)
    joined_contact(app, OPTED_OUT, "en", opted_out=True)
    joined_contact(app, UNCONSENTED, "en", ward=None, consent=False)


def about(app, key: str, language: str, when: dict[str, str] = WHEN, place: str = PLACE) -> str:
    """The text ``key`` about the meeting, as a speaker of ``language`` gets it."""
    return text(app, key, language, title=TITLE[language], when=when[language], place=place)


def at_eat(*args: int) -> datetime:
    return datetime(*args, tzinfo=EAT)


def create(api, **changes: object) -> dict:
    response = api.post("/meetings", json={**MEETING, **changes})
    assert response.status_code == 201, response.json
    return response.json


def reminder_times(meeting: dict) -> dict[str, datetime]:
    return {r["before"]: datetime.fromisoformat(r["at"]) for r in meeting["reminders"]}


def messages(app, **where: object) -> list[Message]:
    with app.app_context():
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def test_a_new_meeting_alerts_its_county_in_each_language(app, api, people, workers, emulator):
    """Is a Kitui meeting announced to Kitui's contacts with consent, each in their language,
    and to nobody in Kwale, nobody opted out and nobody without consent."""
    with time_machine.travel(MONDAY):
        meeting = create(api)
        assert meeting["county"] == "Kitui" and meeting["version"] == 1
        assert reminder_times(meeting) == {
            "24h": at_eat(2026, 12, 9, 10, 0),
            "2h": at_eat(2026, 12, 10, 8, 0),
        }
        workers.drain()
    for phone, language in KITUI_AUDIENCE.items():
        assert received(emulator, phone) == [about(app, "sms.meeting.alert", language)]
    assert received(emulator, EN) == [
        "Mui coal platform meeting: Thu 10 Dec, 10:00 at Mui Primary School. "
        "Reply YES if you will come, NO if not."
    ]
    assert {m["to"] for m in emulator.messages()} == set(KITUI_AUDIENCE)
    with time_machine.travel(MONDAY + timedelta(minutes=5)):
        fetched = api.get(f"/meetings/{meeting['id']}").json
    assert fetched["messages"] == {
        "meeting_alert": {"sent": 3},
        "meeting_reminder": {"queued": 6},
    }
    assert fetched["rsvps"] == {"yes": 0, "no": 0}
    assert fetched["agenda"] == MEETING["agenda"]


def test_reminders_go_a_day_and_two_hours_before(app, api, people, workers, emulator):
    """Does everyone alerted get a reminder 24 hours and again 2 hours before the start, and
    not before."""
    with time_machine.travel(MONDAY):
        create(api)
        workers.drain()
    with time_machine.travel(at_eat(2026, 12, 9, 9, 59)):
        workers.drain()
    assert len(emulator.messages()) == 3
    with time_machine.travel(at_eat(2026, 12, 9, 10, 0, 5)):
        workers.drain()
    for phone, language in KITUI_AUDIENCE.items():
        assert received(emulator, phone)[1:] == [about(app, "sms.meeting.reminder", language)]
    with time_machine.travel(at_eat(2026, 12, 10, 8, 0, 5)):
        workers.drain()
    for phone, language in KITUI_AUDIENCE.items():
        assert received(emulator, phone)[1:] == 2 * [about(app, "sms.meeting.reminder", language)]
    assert len(emulator.messages()) == 9
    assert all(m.status == "sent" for m in messages(app))


def test_yes_and_no_by_sms_are_counted_and_thanked(app, api, at, people, workers, emulator):
    """Can people answer an alert with YES/NDIO or NO/HAPANA by SMS, is each answer counted
    (the latest one counts) and thanked in their language, and is a NO with no meeting to
    answer kept as an ordinary message."""
    with time_machine.travel(MONDAY):
        meeting = create(api)
        workers.drain()
        emulator.clear()
        at.sms(EN, "Yes")
        at.sms(SW, "ndio nitakuja")
        at.sms(KAM, "HAPANA")
        at.sms(KWALE, "No water in the borehole since the mine came")
        workers.drain()
        assert received(emulator, EN) == [about(app, "sms.rsvp.yes", "en")]
        assert received(emulator, SW) == [about(app, "sms.rsvp.yes", "sw")]
        assert received(emulator, KAM) == [about(app, "sms.rsvp.no", "sw")]
        assert received(emulator, KWALE) == [text(app, "sms.auto_reply", "en", code="*384*123#")]
        assert api.get(f"/meetings/{meeting['id']}").json["rsvps"] == {"yes": 2, "no": 1}

        at.sms(KAM, "Ndiyo")
        workers.drain()
        assert api.get(f"/meetings/{meeting['id']}").json["rsvps"] == {"yes": 3, "no": 0}
    with app.app_context():
        assert set(db.session.scalars(select(Rsvp.channel))) == {"sms"}
        kinds = db.session.scalars(
            select(Message.kind).where(Message.direction == "in").order_by(Message.id)
        ).all()
    assert kinds == ["keyword:yes", "keyword:yes", "keyword:no", "inbox", "keyword:yes"]


# Two scheduled messages to one person at once, on purpose: pacing (tests/test_pacing.py) off.
@pytest.mark.parametrize("settings_overrides", [UNPACED], ids=["unpaced"])
def test_a_bare_yes_with_two_meetings_to_come_asks_which_one(
    app, api, at, people, workers, emulator
):
    """Told of two meetings still to come (a county one and a national dialogue), does a bare
    YES ask which one, numbered in the sender's language, is "NDIO 2" then counted for the
    second only, and does a meeting that ended meanwhile not shift the numbers."""
    dialogue_title = {"en": "National dialogue on mining", "sw": "Mazungumzo ya kitaifa"}
    dialogue_at = at_eat(2026, 12, 14, 9, 0)  # Monday
    with time_machine.travel(MONDAY):
        county = create(api)
        dialogue = create(
            api, title=dialogue_title, county=None, ward=None, starts_at=dialogue_at.isoformat()
        )
        workers.drain()
        emulator.clear()
        at.sms(SW, "ndio nitakuja")
        at.sms(EN, "yes")
        workers.drain()
        # Titles are cut to fit two meetings in two SMS.
        choices = {
            "sw": "1 Mkutano wa jukwaa la makaa… Alhamisi 10 Des, 10:00; "
            f"2 {dialogue_title['sw']} Jumatatu 14 Des, 09:00",
            "en": f"1 {TITLE['en']} {WHEN['en']}; 2 {dialogue_title['en']} Mon 14 Dec, 09:00",
        }
        assert received(emulator, SW) == [text(app, "sms.rsvp.which", "sw", choices=choices["sw"])]
        assert received(emulator, EN) == [text(app, "sms.rsvp.which", "en", choices=choices["en"])]
        assert api.get(f"/meetings/{county['id']}").json["rsvps"] == {"yes": 0, "no": 0}
        emulator.clear()

        at.sms(SW, "NDIO 2")
        workers.drain()
        dialogue_yes = text(
            app,
            "sms.rsvp.yes",
            "sw",
            title=dialogue_title["sw"],
            when="Jumatatu 14 Des, 09:00",
            place=PLACE,
        )
        assert received(emulator, SW) == [dialogue_yes]
        assert api.get(f"/meetings/{dialogue['id']}").json["rsvps"] == {"yes": 1, "no": 0}
        assert api.get(f"/meetings/{county['id']}").json["rsvps"] == {"yes": 0, "no": 0}
    # After the county meeting (Thursday), the English speaker answers the question they got on
    # Monday: "2" is still the dialogue; "1", the meeting that is over, is left to the inbox.
    with time_machine.travel(at_eat(2026, 12, 11, 10, 0)):
        at.sms(EN, "No 2")
        at.sms(EN, "yes 1, sorry I was away")
        workers.drain()
        assert api.get(f"/meetings/{dialogue['id']}").json["rsvps"] == {"yes": 1, "no": 1}
        assert api.get(f"/meetings/{county['id']}").json["rsvps"] == {"yes": 0, "no": 0}
        with app.app_context():
            late = db.session.scalar(select(Message.kind).where(Message.text.like("yes 1%")))
        assert late == "inbox"
        emulator.clear()
        # One meeting to come: a bare YES is its answer again, no question.
        at.sms(EN, "YES")
        workers.drain()
        assert received(emulator, EN) == [
            text(
                app,
                "sms.rsvp.yes",
                "en",
                title=dialogue_title["en"],
                when="Mon 14 Dec, 09:00",
                place=PLACE,
            )
        ]
        assert api.get(f"/meetings/{dialogue['id']}").json["rsvps"] == {"yes": 2, "no": 0}


def test_a_move_is_announced_and_the_old_reminders_never_go(app, api, people, workers, emulator):
    """When a meeting moves, do those alerted hear of the new time (someone who joined since
    gets the alert), do the reminders for the old time never go (the API counts them as
    replaced, not as unsent), and the new ones do."""
    with time_machine.travel(MONDAY):
        meeting = create(api)
        workers.drain()
    newcomer = "+254711000009"
    joined_contact(app, newcomer, "en")
    moved_to = at_eat(2026, 12, 11, 14, 0)  # Friday
    with time_machine.travel(MONDAY + timedelta(hours=2)):
        moved = api.patch(f"/meetings/{meeting['id']}", {"starts_at": moved_to.isoformat()})
        assert moved.status_code == 200, moved.json
        assert moved.json["version"] == 2
        assert reminder_times(moved.json) == {
            "24h": at_eat(2026, 12, 10, 14, 0),
            "2h": at_eat(2026, 12, 11, 12, 0),
        }
        workers.drain()
    new_when = {"en": "Fri 11 Dec, 14:00", "sw": "Ijumaa 11 Des, 14:00"}
    for phone, language in KITUI_AUDIENCE.items():
        assert received(emulator, phone) == [
            about(app, "sms.meeting.alert", language),
            about(app, "sms.meeting.rescheduled", language, when=new_when),
        ]
    assert received(emulator, newcomer) == [about(app, "sms.meeting.alert", "en", new_when)]

    with time_machine.travel(at_eat(2026, 12, 9, 10, 0, 5)):  # the old 24 h reminder
        workers.drain()
    with time_machine.travel(at_eat(2026, 12, 10, 8, 0, 5)):  # the old 2 h reminder
        workers.drain()
    assert len(emulator.messages()) == 7
    withdrawn = messages(app, kind="meeting_reminder", status="unsent")
    assert len(withdrawn) == 6 and {m.error for m in withdrawn} == {"Rescheduled"}
    assert all(":v1:" in (m.dedupe_key or "") for m in withdrawn)
    # Replaced, not failed: the API says so.
    shown = api.get(f"/meetings/{meeting['id']}").json["messages"]
    assert shown["meeting_reminder"] == {"queued": 8, "replaced": 6}

    with time_machine.travel(at_eat(2026, 12, 10, 14, 0, 5)):
        workers.drain()
    with time_machine.travel(at_eat(2026, 12, 11, 12, 0, 5)):
        workers.drain()
    for phone, language in {**KITUI_AUDIENCE, newcomer: "en"}.items():
        assert received(emulator, phone)[-2:] == 2 * [
            about(app, "sms.meeting.reminder", language, when=new_when)
        ]
    assert len(emulator.messages()) == 7 + 8


def test_a_cancellation_is_announced_and_nothing_else_goes(app, api, at, people, workers, emulator):
    """When a meeting is cancelled, do those alerted get a notice, and no reminder; is a second
    cancel harmless, a move refused, and a later YES no longer an answer to it; does the API
    count the reminders as cancelled."""
    with time_machine.travel(MONDAY):
        meeting = create(api)
        workers.drain()
    with time_machine.travel(MONDAY + timedelta(hours=1)):
        cancelled = api.post(f"/meetings/{meeting['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
        assert cancelled.json["reminders"] == []
        workers.drain()
        assert api.post(f"/meetings/{meeting['id']}/cancel").status_code == 200
        refused = api.patch(f"/meetings/{meeting['id']}", {"place": "Kyuso"})
        assert refused.status_code == 409
        at.sms(EN, "YES")
        workers.drain()
    for phone, language in KITUI_AUDIENCE.items():
        assert received(emulator, phone)[:2] == [
            about(app, "sms.meeting.alert", language),
            about(app, "sms.meeting.cancelled", language),
        ]
    assert received(emulator, EN)[2:] == [text(app, "sms.auto_reply", "en", code="*384*123#")]
    with time_machine.travel(STARTS):
        workers.drain()
    assert len(emulator.messages()) == 7
    withdrawn = messages(app, kind="meeting_reminder")
    assert len(withdrawn) == 6 and {(m.status, m.error) for m in withdrawn} == {
        ("unsent", "Cancelled")
    }
    shown = api.get(f"/meetings/{meeting['id']}").json["messages"]
    assert shown["meeting_reminder"] == {"cancelled": 6}


def test_a_national_dialogue_reaches_every_county(app, api, people, workers, emulator):
    """Does a national dialogue (no county) alert everyone with consent in every county."""
    with time_machine.travel(MONDAY):
        create(api, county=None, ward=None)
        workers.drain()
    assert {m["to"] for m in emulator.messages()} == {EN, SW, KAM, KWALE, MIGORI}


def test_an_alert_created_at_nine_at_night_waits_until_seven(app, api, people, workers, emulator):
    """Does an alert created in the quiet hours (21:00) wait until they end at 07:00; and if the
    meeting is cancelled before then, does nobody hear anything of it."""
    with time_machine.travel(at_eat(2026, 12, 7, 21, 0)):
        meeting = create(api)
        quiet = create(api, place="Nuu Market")
        workers.drain()
    with time_machine.travel(at_eat(2026, 12, 7, 23, 0)):
        assert api.post(f"/meetings/{quiet['id']}/cancel").status_code == 200
        workers.drain()
    with time_machine.travel(at_eat(2026, 12, 8, 6, 59)):
        workers.drain()
    assert emulator.messages() == []
    alerts = messages(app, kind="meeting_alert")
    assert {m.not_before for m in alerts} == {at_eat(2026, 12, 8, 7, 0)}
    with time_machine.travel(at_eat(2026, 12, 8, 7, 0, 5)):
        workers.drain()
    for phone, language in KITUI_AUDIENCE.items():
        assert received(emulator, phone) == [about(app, "sms.meeting.alert", language)]
    assert messages(app, kind="meeting_cancelled") == []
    with time_machine.travel(at_eat(2026, 12, 8, 7, 5)):
        assert api.get(f"/meetings/{meeting['id']}").json["messages"]["meeting_alert"] == {
            "sent": 3
        }


def test_long_titles_and_places_still_fit_two_sms(app, api, people, workers):
    """With the longest title and place the API takes, does every meeting text fit 2 SMS."""
    title = {"en": "Kanziku and Mutomo limestone community platform meeting 2026"[:60]}
    title["sw"] = "Mkutano wa jukwaa la jamii ya mawe ya chokaa Kanziku na Mutomo"[:60]
    place = "Macalder/Kanyarwanda Ward Social Hall, behind the Chief's office, Kitui town"
    place = (place + " " * 80)[:80]
    with time_machine.travel(MONDAY):
        meeting = create(api, title=title, place=place)
        workers.drain()
        api.patch(f"/meetings/{meeting['id']}", {"place": place[::-1]})
        workers.drain()
        api.post(f"/meetings/{meeting['id']}/cancel")
        workers.drain()
    sent = messages(app)
    assert {m.kind for m in sent} == {
        "meeting_alert",
        "meeting_reminder",
        "meeting_rescheduled",
        "meeting_cancelled",
    }
    assert max(m.segments for m in sent) <= 2
    assert {m.encoding for m in sent} == {"GSM-7"}


def test_announcing_twice_sends_once(app, api, people, workers, emulator):
    """Is each announcement job safe to run twice, and one for an older version a no-op."""
    with time_machine.travel(MONDAY):
        meeting = create(api)
        workers.drain()
        for args in ((meeting["id"], 1), (meeting["id"], 1), (meeting["id"], 0)):
            workers.queue("default").enqueue(announce_meeting, *args)
        workers.queue("default").enqueue(send_cancellation_notices, meeting["id"])
        workers.drain()
    assert len(emulator.messages()) == 3
    assert len(messages(app)) == 9
    assert workers.failed() == []


def test_an_announcement_lost_with_redis_is_recovered(
    make_app, app, api, people, workers, redis, emulator
):
    """If Redis is away when a meeting is created, is it still announced (once) by the sweep."""
    down = make_app(redis_url="redis://127.0.0.1:1/0")
    with time_machine.travel(MONDAY):
        with down.app_context():
            from gateway.meetings.notices import create_meeting

            create_meeting(title=TITLE, county="Kitui", ward="Mui", place=PLACE, starts_at=STARTS)
            db.session.commit()
    for minutes in (0, 2, 2):
        with time_machine.travel(MONDAY + timedelta(minutes=minutes, seconds=5)):
            redis.delete(SWEEP_LOCK)
            workers.queue("default").enqueue(recover_meeting_jobs)
            workers.drain()
        if minutes == 0:
            assert emulator.messages() == []  # too young: its job may be on its way
    assert {m["to"] for m in emulator.messages()} == set(KITUI_AUDIENCE)
    assert len(emulator.messages()) == 3


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"title": None}, "title", "null"),
        ({"title": {}}, "title", "Shorter than minimum"),
        ({"title": {"fr": "Réunion"}}, "title", "en, sw, kam"),
        ({"title": {"en": "x" * 61}}, "title", "60"),
        ({"county": "Atlantis"}, "county", "Kitui"),
        ({"ward": "Ramisi"}, "ward", "Mui"),
        ({"county": None}, "ward", "national"),
        ({"place": ""}, "place", "1"),
        ({"starts_at": "2026-12-10T10:00:00"}, "starts_at", "aware"),
        ({"starts_at": "2026-12-01T10:00:00+03:00"}, "starts_at", "future"),
    ],
)
def test_bad_meetings_get_a_400_naming_the_field(api, change, field, words):
    """Does invalid input get a 400 whose errors name the field and say what would do."""
    with time_machine.travel(MONDAY):
        response = api.post("/meetings", json={**MEETING, **change})
    assert response.status_code == 400
    errors = response.json["errors"]["json"]
    assert field in errors, errors
    assert words in str(errors[field]), errors


def test_missing_fields_unknown_meetings_and_the_openapi_document(api):
    """Is a meeting without its county (national must be said: null) refused, an unknown id a
    JSON 404 everywhere, an empty move a 400, and every endpoint in the OpenAPI document."""
    with time_machine.travel(MONDAY):
        bare = api.post("/meetings", json={"title": {"en": "Meeting"}})
        assert bare.status_code == 400
        assert set(bare.json["errors"]["json"]) == {"county", "place", "starts_at"}
        for response in (
            api.get("/meetings/999"),
            api.patch("/meetings/999", {"place": "Mui"}),
            api.post("/meetings/999/cancel"),
        ):
            assert response.status_code == 404 and "999" in response.json["message"]
        meeting = create(api)
        empty = api.patch(f"/meetings/{meeting['id']}", {})
        assert empty.status_code == 400 and "starts_at" in empty.json["errors"]["json"]
        same = api.patch(f"/meetings/{meeting['id']}", {"place": PLACE})
        assert same.status_code == 200 and same.json["version"] == 1
    spec = api.get("/openapi.json").json
    assert {
        "/api/v1/meetings",
        "/api/v1/meetings/{meeting_id}",
        "/api/v1/meetings/{meeting_id}/cancel",
    } <= set(spec["paths"])
    assert "400" in spec["paths"]["/api/v1/meetings"]["post"]["responses"]


def test_reminder_times_are_configurable():
    """Does GATEWAY_MEETING_REMINDERS take days, hours and minutes (or off), and refuse
    anything else with a message naming it."""
    from gateway.settings import load_settings

    def reminders(raw: str) -> tuple[timedelta, ...]:
        return load_settings({"GATEWAY_MEETING_REMINDERS": raw}).meeting_reminders

    assert load_settings({}).meeting_reminders == (timedelta(hours=24), timedelta(hours=2))
    assert reminders("90m, 2d") == (timedelta(days=2), timedelta(minutes=90))
    assert reminders("off") == ()
    for bad in ("24", "2w", "0h", "h"):
        with pytest.raises(ValueError, match="GATEWAY_MEETING_REMINDERS"):
            reminders(bad)


def kikamba_sees(app, at, workers, emulator, api) -> tuple[list[str], list[str]]:
    """A meeting created on Monday: what the Kikamba speaker gets by SMS, and the meeting list
    and meeting screens they see on USSD."""
    with time_machine.travel(MONDAY):
        create(api)
        workers.drain()
        caller = Phone(at, app, KAM)
        caller.dial()
        listed = caller.press(caller.option(text(app, "ussd.main.meetings", "kam")) or "")
        shown = caller.press("1")
    return received(emulator, KAM), [listed, shown]


def test_a_kikamba_speaker_reads_the_same_date_words_by_sms_and_ussd(
    app, at, api, people, workers, emulator
):
    """Does a Kikamba speaker, whose meeting texts fall back to Kiswahili, read the meeting's
    date in Kiswahili both in the SMS alert and on the USSD meeting screens (not Kikamba day
    and month names inside Kiswahili sentences)."""
    sms, screens = kikamba_sees(app, at, workers, emulator, api)
    assert sms == [about(app, "sms.meeting.alert", "sw")]
    assert "Alhamisi 10 Des, 10:00" in sms[0]
    assert "\n1. 10 Des Mkutano wa jukwaa" in screens[0]
    assert "\nAlhamisi 10 Des, 10:00\n" in screens[1]
    assert not any("Ikl" in screen or "Wkn" in screen for screen in screens)


def test_a_sentence_written_in_kikamba_says_its_date_in_kikamba(
    make_app, redis, tmp_path, emulator, api, people
):
    """Once the meeting texts are translated into Kikamba (here by the test, in a copy of the
    catalogs), does a Kikamba speaker read the date in Kikamba, the same words by SMS and on
    USSD."""
    messages_dir = tmp_path / "messages"
    shutil.copytree(DEFAULT_MESSAGES_DIR, messages_dir)
    po = messages_dir / "kam" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    catalog["sms.meeting.alert"].string = "{title}: {when}, {place}. Tuma YES kana NO."
    catalog["ussd.meetings.title"].string = "Mbumbano {county}"
    catalog["ussd.meeting.detail"].string = "{title}\n{when}\n{place}\nWiukaa?"
    with po.open("wb") as handle:
        write_po(handle, catalog)
    translated = make_app(flask_config={"MESSAGES_DIR": messages_dir})
    at = AfricasTalking(translated.test_client())
    sms, screens = kikamba_sees(translated, at, Workers(translated, redis), emulator, api)
    assert sms == [
        "Mkutano wa jukwaa la makaa Mui: Wkn 10 Ikl, 10:00, Mui Primary School. Tuma YES kana NO."
    ]
    assert "\n1. 10 Ikl Mkutano wa jukwaa" in screens[0]
    assert "\nWkn 10 Ikl, 10:00\n" in screens[1]
