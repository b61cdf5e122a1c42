"""The weekly guide series: excerpts on the set weekday and hour, NEXT/ZAIDI, the end note,
consent and quiet hours; through the API, SMS callbacks, real RQ workers and the emulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from factories import joined_contact
from helpers import received, text
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.encoding import analyse
from gateway.extensions import db
from gateway.guides.models import GuideSubscription
from gateway.guides.series import LOCK, send_due_series
from gateway.sms.models import Message
from gateway.sms.scheduled import queue_once

EAT = ZoneInfo("Africa/Nairobi")
MONDAY = datetime(2026, 12, 7, 12, 0, tzinfo=EAT)  # the series goes on Tuesdays at 10:00
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=EAT)
ENGLISH, KISWAHILI, KIKAMBA = "+254711000001", "+254711000002", "+254711000003"
COAL = [
    "guide.coal.consent.text",
    "guide.coal.compensation.text",
    "guide.coal.cda.text",
    "guide.coal.royalties.text",
    "guide.coal.eia.text",
    "guide.coal.appeal.text",
]
LIMESTONE_CHAPTERS = 5


def excerpt(app, key: str, language: str) -> str:
    """An excerpt as sent: with how to stop at its end when that adds no SMS."""
    body = text(app, key, language)
    hinted = f"{body}\n{text(app, 'sms.optout_hint', language, shortcode='22384')}"
    return hinted if analyse(hinted).segments == analyse(body).segments else body


def run_series_job(workers, redis) -> None:
    """Run the periodic series job through a real worker, as RQ's cron scheduler would (the
    lock of an earlier run let go, so the run does its work)."""
    redis.delete(LOCK)
    workers.queue("default").enqueue(send_due_series)
    workers.drain()


def subscribe(api, phone: str, guide: str = "coal"):
    response = api.post(f"/contacts/{phone}/subscriptions", json={"guide": guide})
    assert response.status_code in (200, 201), response.json
    return response


def subscription(app, phone: str, guide: str = "coal") -> GuideSubscription:
    with app.app_context():
        found = db.session.scalar(
            select(GuideSubscription)
            .join(Contact, Contact.id == GuideSubscription.contact_id)
            .where(Contact.phone == phone, GuideSubscription.guide == guide)
        )
        assert found is not None
        db.session.expunge(found)
        return found


def test_excerpts_go_weekly_on_the_set_day_and_hour_in_each_language(
    app, api, workers, redis, emulator
):
    """Does a subscriber get the first excerpt on the series weekday at the series hour in
    their own language (Kikamba falling back to Kiswahili), the second a week later, and each
    once however often the periodic job runs."""
    with time_machine.travel(MONDAY):
        for phone, language in ((ENGLISH, "en"), (KISWAHILI, "sw"), (KIKAMBA, "kam")):
            joined_contact(app, phone, language)
            assert subscribe(api, phone).status_code == 201
        run_series_job(workers, redis)
    with time_machine.travel(TUESDAY_10 - timedelta(minutes=1)):
        run_series_job(workers, redis)
    assert emulator.messages() == []

    with time_machine.travel(TUESDAY_10 + timedelta(minutes=2)):
        run_series_job(workers, redis)
        run_series_job(workers, redis)
    with time_machine.travel(TUESDAY_10 + timedelta(days=2)):
        run_series_job(workers, redis)
    assert received(emulator, ENGLISH) == [excerpt(app, COAL[0], "en")]
    assert received(emulator, KISWAHILI) == [excerpt(app, COAL[0], "sw")]
    assert received(emulator, KIKAMBA) == [excerpt(app, COAL[0], "sw")]
    assert text(app, COAL[0], "sw") != text(app, COAL[0], "en")

    with time_machine.travel(TUESDAY_10 + timedelta(weeks=1, minutes=5)):
        run_series_job(workers, redis)
        run_series_job(workers, redis)
    assert received(emulator, ENGLISH) == [excerpt(app, key, "en") for key in COAL[:2]]
    assert received(emulator, KISWAHILI) == [excerpt(app, key, "sw") for key in COAL[:2]]
    assert subscription(app, ENGLISH).next_chapter == 2
    with app.app_context():
        keys = db.session.scalars(
            select(Message.dedupe_key)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Contact.phone == ENGLISH)
            .order_by(Message.id)
        ).all()
        contact_id = db.session.scalar(select(Contact.id).where(Contact.phone == ENGLISH))
    assert keys == [f"series:coal:0:contact:{contact_id}", f"series:coal:1:contact:{contact_id}"]


def test_a_run_holding_the_lock_does_nothing(app, api, workers, redis, emulator):
    """Is the periodic job done once across workers: while one run holds the lock, another
    started on a second machine does nothing."""
    with time_machine.travel(MONDAY):
        joined_contact(app, ENGLISH, "en")
        subscribe(api, ENGLISH)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1)):
        redis.set(LOCK, "1")
        workers.queue("default").enqueue(send_due_series)
        workers.drain()
        assert emulator.messages() == []
        run_series_job(workers, redis)
    assert received(emulator, ENGLISH) == [excerpt(app, COAL[0], "en")]


def test_next_and_zaidi_send_the_next_excerpt_at_once(app, api, at, workers, redis, emulator):
    """Can a subscriber text NEXT or ZAIDI to get the next excerpt at once, and does the
    weekly series then carry on from there."""
    with time_machine.travel(MONDAY):
        joined_contact(app, KISWAHILI, "sw")
        subscribe(api, KISWAHILI)
        at.sms(KISWAHILI, "Zaidi")
        workers.drain()
        at.sms(KISWAHILI, "next")
        workers.drain()
    assert received(emulator, KISWAHILI) == [excerpt(app, key, "sw") for key in COAL[:2]]
    assert subscription(app, KISWAHILI).next_chapter == 2

    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1)):
        run_series_job(workers, redis)
    assert received(emulator, KISWAHILI)[-1] == excerpt(app, COAL[2], "sw")
    assert subscription(app, KISWAHILI).next_chapter == 3


def test_the_series_ends_with_a_note_and_the_subscription_stops(
    app, api, at, workers, redis, emulator
):
    """After the last excerpt, does the subscriber get a note on what to do next, and nothing
    more: the subscription stops and NEXT says there is nothing left."""
    with time_machine.travel(MONDAY):
        joined_contact(app, ENGLISH, "en")
        subscribe(api, ENGLISH, "limestone")
        for _ in range(LIMESTONE_CHAPTERS):
            at.sms(ENGLISH, "NEXT")
            workers.drain()
    texts = received(emulator, ENGLISH)
    guide = text(app, "guide.limestone.title", "en")
    assert texts[-2] == excerpt(app, "guide.limestone.eia.text", "en")
    assert texts[-1] == text(app, "sms.series.end", "en", guide=guide)
    assert "Limestone" in texts[-1]
    done = subscription(app, ENGLISH, "limestone")
    assert (done.active, done.next_chapter) == (False, LIMESTONE_CHAPTERS)

    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1)):
        run_series_job(workers, redis)
        at.sms(ENGLISH, "NEXT")
        workers.drain()
    assert received(emulator, ENGLISH) == [*texts, text(app, "sms.series.none", "en")]
    again = api.post(f"/contacts/{ENGLISH}/subscriptions", json={"guide": "limestone"})
    assert again.status_code == 409 and "every excerpt" in again.json["message"]


def test_next_without_a_series_says_how_to_start_one(at, workers, emulator, app):
    """Does NEXT from someone with no weekly guide SMS get a short answer on how to start one."""
    joined_contact(app, KISWAHILI, "sw")
    at.sms(KISWAHILI, "ZAIDI")
    workers.drain()
    assert received(emulator, KISWAHILI) == [text(app, "sms.series.none", "sw")]


def test_no_excerpt_without_consent_or_after_an_opt_out(app, api, at, workers, redis, emulator):
    """Does a subscriber who never consented, or who opted out, get no excerpt."""
    unconsented, opted_out = "+254711000010", "+254711000011"
    with time_machine.travel(MONDAY):
        joined_contact(app, ENGLISH, "en")
        joined_contact(app, opted_out, "en")
        assert api.post("/contacts", json={"phone": unconsented}).status_code == 201
        for phone in (ENGLISH, unconsented, opted_out):
            subscribe(api, phone)
        at.sms(opted_out, "STOP")
        workers.drain()
    stopped = received(emulator, opted_out)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=1)):
        run_series_job(workers, redis)
    assert received(emulator, ENGLISH) == [excerpt(app, COAL[0], "en")]
    assert received(emulator, unconsented) == []
    assert received(emulator, opted_out) == stopped
    assert subscription(app, unconsented).next_chapter == 0


@pytest.mark.parametrize("settings_overrides", [{"series_hour": 20}])
def test_an_excerpt_due_in_the_quiet_hours_waits_for_seven(app, api, workers, redis, emulator):
    """With the series set for 20:00, is the excerpt held until the quiet hours end at 07:00."""
    with time_machine.travel(MONDAY):
        joined_contact(app, ENGLISH, "en")
        subscribe(api, ENGLISH)
    with time_machine.travel(datetime(2026, 12, 8, 20, 0, 30, tzinfo=EAT)):
        run_series_job(workers, redis)
    with time_machine.travel(datetime(2026, 12, 9, 6, 59, tzinfo=EAT)):
        workers.drain()
    assert emulator.messages() == []
    with app.app_context():
        [waiting] = db.session.scalars(select(Message)).all()
        assert waiting.not_before == datetime(2026, 12, 9, 7, 0, tzinfo=EAT)
    with time_machine.travel(datetime(2026, 12, 9, 7, 0, 5, tzinfo=EAT)):
        workers.drain()
    assert received(emulator, ENGLISH) == [excerpt(app, COAL[0], "en")]


def test_subscribe_through_the_api(api):
    """Can the secretariat subscribe a contact to a guide (again: no change), with a 400 naming
    the field for an unknown guide and a 404 for an unknown number."""
    assert api.post("/contacts", json={"phone": ENGLISH}).status_code == 201
    created = api.post(f"/contacts/{ENGLISH}/subscriptions", json={"guide": "coal"})
    assert created.status_code == 201
    assert created.json["guide"] == "coal" and created.json["active"] is True
    assert (created.json["next_chapter"], created.json["chapters"]) == (0, len(COAL))
    again = api.post("/contacts/0711000001/subscriptions", json={"guide": "coal"})
    assert again.status_code == 200 and again.json["id"] == created.json["id"]

    unknown = api.post(f"/contacts/{ENGLISH}/subscriptions", json={"guide": "gold"})
    assert unknown.status_code == 400
    assert "coal, limestone" in str(unknown.json["errors"]["json"]["guide"])
    assert api.post(f"/contacts/{ENGLISH}/subscriptions", json={}).status_code == 400
    missing = api.post("/contacts/0799999999/subscriptions", json={"guide": "coal"})
    assert missing.status_code == 404 and missing.json["message"]
    spec = api.get("/openapi.json").json
    assert "/api/v1/contacts/{phone}/subscriptions" in spec["paths"]


def test_a_duplicate_leaves_the_other_sends_of_its_transaction_alone(app, workers, emulator):
    """When one text of a transaction is a duplicate (its SAVEPOINT rolls back), are the
    others still sent once the transaction commits, and none before."""
    contact_id = joined_contact(app, ENGLISH, "en")
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact is not None
        assert queue_once(contact, "first", kind="test", dedupe_key="test:1") is not None
        assert queue_once(contact, "again", kind="test", dedupe_key="test:1") is None
        assert queue_once(contact, "second", kind="test", dedupe_key="test:2") is not None
        assert workers.queue("outbound").count == 0  # nothing enqueued before the commit
        db.session.commit()
    workers.drain()
    assert received(emulator, ENGLISH) == ["first", "second"]


def test_series_day_and_hour_are_configurable():
    """Are GATEWAY_SERIES_WEEKDAY and GATEWAY_SERIES_HOUR read, and out-of-range values refused."""
    from gateway.settings import load_settings

    settings = load_settings({"GATEWAY_SERIES_WEEKDAY": "4", "GATEWAY_SERIES_HOUR": "15"})
    assert (settings.series_weekday, settings.series_hour) == (4, 15)
    assert (load_settings({}).series_weekday, load_settings({}).series_hour) == (1, 10)
    with pytest.raises(ValueError, match="GATEWAY_SERIES_WEEKDAY"):
        load_settings({"GATEWAY_SERIES_WEEKDAY": "7"})
    with pytest.raises(ValueError, match="GATEWAY_SERIES_HOUR"):
        load_settings({"GATEWAY_SERIES_HOUR": "24"})


def test_an_excerpt_ends_with_the_way_out_when_it_fits(app, api, workers, redis, emulator):
    """Does a weekly excerpt end with how to stop in the subscriber's language when that adds
    no SMS (the English first coal excerpt: four SMS either way), and go as it is when it would
    take one more (the Kiswahili one); with GATEWAY_OPTOUT_HINT=always, does it always."""
    with time_machine.travel(MONDAY):
        for phone, language in ((ENGLISH, "en"), (KISWAHILI, "sw")):
            joined_contact(app, phone, language)
            subscribe(api, phone)
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=2)):
        run_series_job(workers, redis)
    assert received(emulator, ENGLISH) == [text(app, COAL[0], "en") + "\nSTOP to 22384"]
    assert received(emulator, KISWAHILI) == [text(app, COAL[0], "sw")]
    app.config["GATEWAY"] = replace(app.config["GATEWAY"], optout_hint="always")
    with time_machine.travel(TUESDAY_10 + timedelta(weeks=1, minutes=2)):
        run_series_job(workers, redis)
    assert received(emulator, KISWAHILI)[1] == text(app, COAL[1], "sw") + "\nACHA kwa 22384"
