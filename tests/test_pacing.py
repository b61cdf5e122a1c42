"""Pacing for one person: at most three scheduled messages a day to a contact, ten minutes
apart, the rest waiting their turn; replies neither count nor wait; urgent broadcasts go at
once. Through the API (meetings, polls, broadcasts), SMS callbacks in Africa's Talking's wire
format, real RQ workers (scheduled jobs released as the frozen clock moves) and the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from factories import EN, SW
from helpers import text
from sqlalchemy import select

from gateway.extensions import db
from gateway.settings import load_settings
from gateway.sms.models import Message

EAT = ZoneInfo("Africa/Nairobi")
MONDAY_7 = datetime(2026, 12, 7, 7, 0, tzinfo=EAT)
TUESDAY_7 = datetime(2026, 12, 8, 7, 0, tzinfo=EAT)
KITUI = {"counties": ["Kitui"]}
MEETING = {
    "title": {"en": "Mui coal platform meeting", "sw": "Mkutano wa jukwaa la makaa Mui"},
    "agenda": {"en": "Compensation rates for the Mui coal blocks"},
    "county": "Kitui",
    "ward": "Mui",
    "place": "Mui Primary School",
    "starts_at": datetime(2026, 12, 11, 10, 0, tzinfo=EAT).isoformat(),
}
POLL = {
    "keyword": "Mgodi",
    "question": {"en": "Was the EIA meeting held in your ward?", "sw": "Je, mkutano ulifanyika?"},
    "options": [{"en": "Yes", "sw": "Ndiyo"}, {"en": "No", "sw": "Hapana"}],
    "county": "Kitui",
}


def broadcast(api, name: str, **extra: object) -> dict:
    texts = {"en": f"{name}: the county office opens at 9.", "sw": f"{name}: ofisi inafunguliwa."}
    created = api.post("/broadcasts", {"name": name, "texts": texts, "audience": KITUI, **extra})
    assert created.status_code == 201, created.json
    return created.json


def got(emulator, phone: str) -> list[str]:
    """What ``phone`` was handed, oldest first."""
    return [m["text"] for m in emulator.messages() if m["to"] == phone]


def scheduled_to(app, phone: str) -> list[Message]:
    """The scheduled (not automatic) messages to ``phone``, by id, but the meeting's reminders
    (for Thursday and Friday)."""
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Message)
                .where(Message.phone == phone, Message.direction == "out")
                .where(Message.automatic.is_(False), Message.kind != "meeting_reminder")
                .order_by(Message.id)
            )
        )
        db.session.expunge_all()
        return rows


def eat(moment: datetime | None) -> datetime:
    assert moment is not None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(EAT)


def drain_at(workers, moment: datetime) -> None:
    with time_machine.travel(moment):
        workers.drain()


def test_a_sixth_scheduled_message_waits_for_the_next_day(app, api, people, workers, emulator):
    """At 07:00 a meeting alert and five broadcasts are sent to Kitui (a contact got 5 SMS in
    12 s at 07:00): each person gets one, then one every ten minutes, three on Monday; the
    fourth to sixth wait for Tuesday 07:00 (the end of the quiet hours), ten minutes apart."""
    with time_machine.travel(MONDAY_7):
        assert api.post("/meetings", json=MEETING).status_code == 201
        ids = [broadcast(api, f"Notice {n}")["id"] for n in range(1, 6)]
        workers.drain()
    assert len(got(emulator, EN)) == len(got(emulator, SW)) == 1
    drain_at(workers, MONDAY_7 + timedelta(minutes=5))  # too early for the next
    assert len(got(emulator, EN)) == 1
    drain_at(workers, MONDAY_7 + timedelta(minutes=10, seconds=30))
    assert len(got(emulator, EN)) == len(got(emulator, SW)) == 2
    drain_at(workers, MONDAY_7 + timedelta(minutes=21))
    assert len(got(emulator, EN)) == 3
    for hour in (7.6, 12, 18.9):  # the rest of Monday: the day's three are spent
        drain_at(workers, MONDAY_7 + timedelta(hours=hour - 7))
    assert len(got(emulator, EN)) == len(got(emulator, SW)) == 3
    waiting = [m for m in scheduled_to(app, EN) if m.status == "queued"]
    assert len(waiting) == 3
    assert {eat(m.not_before) for m in waiting} == {TUESDAY_7}
    assert {m.error for m in waiting} == {"Paced"}

    drain_at(workers, TUESDAY_7 + timedelta(seconds=30))
    assert len(got(emulator, EN)) == 4
    drain_at(workers, TUESDAY_7 + timedelta(minutes=11))
    drain_at(workers, TUESDAY_7 + timedelta(minutes=22))
    assert len(got(emulator, EN)) == len(got(emulator, SW)) == 6
    assert len(set(got(emulator, EN))) == 6  # each once
    sent = sorted(eat(m.sent_at) for m in scheduled_to(app, EN))
    assert [s.date().day for s in sent] == [7, 7, 7, 8, 8, 8]
    assert all(b - a >= timedelta(minutes=10) for a, b in zip(sent, sent[1:], strict=False))
    assert sent[3] >= TUESDAY_7
    kinds = sorted(m.kind for m in scheduled_to(app, EN) if m.status != "queued")
    assert kinds == ["broadcast"] * 5 + ["meeting_alert"]
    assert {api.get(f"/broadcasts/{i}").json["status"] for i in ids} == {"sent"}


def test_a_poll_sent_minutes_after_a_meeting_alert_waits_ten_minutes(
    app, api, people, workers, emulator
):
    """Spacing between two automatic messages: the poll's question, sent three minutes after a
    meeting's alert, reaches each person ten minutes after the alert did, not before."""
    ten = MONDAY_7 + timedelta(hours=3)
    with time_machine.travel(ten):
        assert api.post("/meetings", json=MEETING).status_code == 201
        workers.drain()
    assert len(got(emulator, EN)) == 1
    closes = (ten + timedelta(hours=4)).isoformat()
    with time_machine.travel(ten + timedelta(minutes=3)):
        poll = api.post("/polls", json={**POLL, "closes_at": closes}).json
        assert api.post(f"/polls/{poll['id']}/send").status_code == 202
        workers.drain()
    assert len(got(emulator, EN)) == 1
    drain_at(workers, ten + timedelta(minutes=9, seconds=50))
    assert len(got(emulator, EN)) == 1
    drain_at(workers, ten + timedelta(minutes=10, seconds=30))
    assert len(got(emulator, EN)) == len(got(emulator, SW)) == 2
    assert "Was the EIA meeting held in your ward?" in got(emulator, EN)[1]
    alert, question = (eat(m.sent_at) for m in scheduled_to(app, EN))
    assert question - alert >= timedelta(minutes=10)


def test_replies_are_not_delayed_and_do_not_count(app, api, at, people, workers, emulator):
    """A person who got a broadcast and then texts HELP twice gets each answer at once; the
    next broadcasts go once ten minutes have passed since the last broadcast (the answers do
    not count), three in the day whatever the answers; the fourth waits."""
    ten = MONDAY_7 + timedelta(hours=3)
    with time_machine.travel(ten):
        broadcast(api, "First")
        workers.drain()
    help_text = text(app, "sms.help", "en")
    for minute in (1, 2):
        with time_machine.travel(ten + timedelta(minutes=minute)):
            at.sms(EN, "HELP")
            workers.drain()
            assert got(emulator, EN)[-1] == help_text  # at once, within spacing
    assert len(got(emulator, EN)) == 3
    for minute, name in ((11, "Second"), (22, "Third")):
        with time_machine.travel(ten + timedelta(minutes=minute)):
            broadcast(api, name)
            workers.drain()
            assert got(emulator, EN)[-1].startswith(name)  # at once: replies do not count
    with time_machine.travel(ten + timedelta(minutes=40)):
        broadcast(api, "Fourth")
        workers.drain()
        at.sms(EN, "HELP")  # the day's cap is for scheduled messages: a reply still goes
        workers.drain()
    assert got(emulator, EN)[-1] == help_text
    assert not any(t.startswith("Fourth") for t in got(emulator, EN))
    [fourth] = [m for m in scheduled_to(app, EN) if m.status == "queued"]
    assert eat(fourth.not_before) == TUESDAY_7


def test_an_urgent_broadcast_goes_at_once_and_says_pacing_does_not_apply(
    app, api, people, workers, emulator
):
    """After the day's three, within ten minutes of the last, an urgent broadcast still goes
    at once to everyone; the estimate says it is exempt and a normal one says it is paced."""
    ten = MONDAY_7 + timedelta(hours=3)
    for minute, name in ((0, "First"), (11, "Second"), (22, "Third")):
        with time_machine.travel(ten + timedelta(minutes=minute)):
            broadcast(api, name)
            workers.drain()
    assert len(got(emulator, EN)) == 3
    with time_machine.travel(ten + timedelta(minutes=25)):
        paced = api.post("/broadcasts/estimate", {"texts": {"en": "x"}, "audience": KITUI}).json
        assert paced["pacing"] == {
            "applies": True,
            "max_per_contact_per_day": 3,
            "min_spacing_minutes": 10,
        }
        urgent = {"urgent": True, "urgent_reason": "Flooding at the Mui pit"}
        found = api.post(
            "/broadcasts/estimate", {"texts": {"en": "x"}, "audience": KITUI, **urgent}
        ).json
        assert found["pacing"]["applies"] is False
        created = broadcast(api, "Flood", **urgent)
        workers.drain()
    assert len(got(emulator, EN)) == 4
    assert got(emulator, EN)[-1].startswith("Flood")
    assert got(emulator, SW)[-1].startswith("Flood")
    assert api.get(f"/broadcasts/{created['id']}").json["status"] == "sent"


def test_the_composer_says_whether_pacing_applies(app, admin_as, people):
    """The admin composer's estimate (the page one confirms on) says how pacing holds a
    broadcast's messages back, and that an urgent one is exempt; in Kiswahili too."""
    draft = {"name": "Flood", "text_en": "Flooding at the Mui pit.", "text_sw": "", "text_kam": ""}
    draft |= {"when": "now", "counties": ["Kitui"]}
    urgent = {**draft, "urgent": "1", "urgent_reason": "Flooding at the Mui pit"}
    with time_machine.travel(MONDAY_7 + timedelta(hours=3)):
        for language, applies, exempt in (
            ("en", "at most 3 scheduled messages a day, 10 minutes apart", "pacing does not"),
            ("sw", "usiozidi 3 iliyopangwa kwa siku, dakika 10", "mpangilio wa ujumbe hautumiki"),
        ):
            admin = admin_as("admin", language=language)
            paced = admin.post("/admin/broadcasts/estimate", draft, page="/admin/broadcasts/new")
            assert applies in " ".join(paced.get_data(as_text=True).split())
            assert exempt not in paced.get_data(as_text=True)
            page = admin.post("/admin/broadcasts/estimate", urgent, page="/admin/broadcasts/new")
            assert exempt in page.get_data(as_text=True)
            assert applies not in " ".join(page.get_data(as_text=True).split())


def test_two_sends_for_one_person_at_the_same_moment_take_one_slot(
    app, api, people, workers, emulator, monkeypatch
):
    """Two workers sending a meeting's alert and a poll's question to the same person at the
    same moment: one goes, the other waits ten minutes (each claim counts the person's sends
    with the person locked, so both cannot see the slot free; the count is slowed here to
    widen the window)."""
    import threading
    import time

    from gateway.sms import pacing
    from gateway.sms.outbound import send_messages

    ten = MONDAY_7 + timedelta(hours=3)
    closes = (ten + timedelta(hours=4)).isoformat()
    with time_machine.travel(ten):
        assert api.post("/meetings", json=MEETING).status_code == 201
        poll = api.post("/polls", json={**POLL, "closes_at": closes}).json
        assert api.post(f"/polls/{poll['id']}/send").status_code == 202
        with app.app_context():  # the jobs that queue the SMS; their sends are run below
            from rq import SimpleWorker

            SimpleWorker([workers.queue("default")], connection=workers.redis).work(burst=True)
        workers.queue("outbound").empty()
        scheduled = workers.queue("outbound").scheduled_job_registry
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id)
        first = [m for m in scheduled_to(app, EN) if m.status == "queued"]
        assert sorted(m.kind for m in first) == ["meeting_alert", "poll_question"]
        history = pacing._history

        def slow_history(*args, **kwargs):
            time.sleep(0.3)
            return history(*args, **kwargs)

        monkeypatch.setattr(pacing, "_history", slow_history)
        start = threading.Barrier(2)

        def send(message_id: int) -> None:
            with app.app_context():
                start.wait()
                send_messages([message_id])

        threads = [threading.Thread(target=send, args=(m.id,)) for m in first]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len(got(emulator, EN)) == 1
    [waiting] = [m for m in scheduled_to(app, EN) if m.status == "queued"]
    assert waiting.error == "Paced"
    assert eat(waiting.not_before) >= ten + timedelta(minutes=10)
    drain_at(workers, ten + timedelta(minutes=10, seconds=30))
    assert len(got(emulator, EN)) == 2


def test_the_pacing_settings_are_read_and_checked(tmp_path):
    """GATEWAY_MAX_PER_CONTACT_PER_DAY and GATEWAY_MIN_SPACING (the duration syntax of the
    other settings: d, h or m; off) with their defaults; nonsense is refused at start."""
    default = load_settings({}, tmp_path)
    assert (default.max_per_contact_per_day, default.min_spacing) == (3, timedelta(minutes=10))
    env = {"GATEWAY_MAX_PER_CONTACT_PER_DAY": "5", "GATEWAY_MIN_SPACING": "1h"}
    chosen = load_settings(env, tmp_path)
    assert (chosen.max_per_contact_per_day, chosen.min_spacing) == (5, timedelta(hours=1))
    off = load_settings(
        {"GATEWAY_MAX_PER_CONTACT_PER_DAY": "0", "GATEWAY_MIN_SPACING": "off"}, tmp_path
    )
    assert (off.max_per_contact_per_day, off.min_spacing) == (0, timedelta(0))
    for name, raw in (
        ("GATEWAY_MIN_SPACING", "10 minutes"),
        ("GATEWAY_MIN_SPACING", "10m,5m"),
        ("GATEWAY_MAX_PER_CONTACT_PER_DAY", "three"),
    ):
        with pytest.raises(ValueError, match=name):
            load_settings({name: raw}, tmp_path)
