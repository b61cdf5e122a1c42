"""Two-way SMS through ``/at/sms`` and the worker, answered through the emulator."""

from __future__ import annotations

from datetime import timedelta

import factories
import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from gateway.contacts.models import ConsentEvent, Contact
from gateway.extensions import db, utcnow
from gateway.recovery import LOCK as RECOVERY_LOCK
from gateway.recovery import recover_stranded
from gateway.sms.models import Message
from gateway.surveys.models import Survey, SurveyQuestion

PHONE = "+254712345678"


def find(app: Flask, phone: str = PHONE) -> Contact:
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
        assert contact is not None
        db.session.expunge(contact)
        return contact


def texts_to(emulator, phone: str = PHONE) -> list[str]:
    return [m["text"] for m in emulator.messages() if m["to"] == phone]


@pytest.mark.parametrize(
    ("keyword", "language", "expected"),
    [("JOIN", "en", "Welcome to Haki Madini Kenya"), ("jiunge", "sw", "Karibu")],
)
def test_join_by_sms_records_consent_and_answers_in_that_language(
    at, app, workers, emulator, keyword, language, expected
):
    """Can a person join by texting JOIN or JIUNGE and be answered in that keyword's language."""
    response = at.sms(PHONE, keyword)
    assert response.status_code == 200 and response.get_data(as_text=True) == "received"
    workers.drain()
    joined = find(app)
    assert joined.language == language
    assert joined.consent_channel == "sms" and joined.has_consent
    [reply] = texts_to(emulator)
    assert expected in reply


@pytest.mark.parametrize("text", ["  Jiungé!", "JIUNGE tafadhali", "jIuNgE"])
def test_keywords_ignore_case_accents_and_what_follows(at, app, workers, text):
    """Is a keyword recognised whatever its case, accents or the words after it."""
    at.sms(PHONE, text)
    workers.drain()
    with app.app_context():
        kinds = db.session.scalars(select(Message.kind).where(Message.direction == "in")).all()
    assert kinds == ["keyword:join"]


def test_stop_stops_everything_but_its_own_confirmation(at, app, workers, emulator):
    """After ACHA, nothing more reaches the person but the confirmation of ACHA itself."""
    at.sms(PHONE, "JIUNGE")
    workers.drain()
    at.sms(PHONE, "ACHA")
    workers.drain()
    stopped = find(app)
    assert stopped.opted_out_at is not None and stopped.opt_out_channel == "sms"
    assert not stopped.has_consent
    *_, confirmation = texts_to(emulator)
    assert "Haki Madini Kenya" in confirmation and "JIUNGE" in confirmation.upper()

    before = len(emulator.messages())
    at.sms(PHONE, "MSAADA")
    at.sms(PHONE, "Habari, mkutano ni lini?")
    workers.drain()
    assert len(emulator.messages()) == before
    with app.app_context():
        unsent = db.session.scalars(
            select(Message.error).where(Message.direction == "out", Message.status == "unsent")
        ).all()
        inbox = db.session.scalar(select(func.count()).where(Message.kind == "inbox"))
        events = db.session.scalars(select(ConsentEvent.action).order_by(ConsentEvent.id)).all()
    assert unsent == ["OptedOut"]  # the HELP answer was held back; the inbox text was kept
    assert inbox == 1
    assert events == ["granted", "withdrawn"]


def test_help_in_english_and_kiswahili(at, workers, emulator):
    """Does HELP get the English help text and MSAADA the Kiswahili one."""
    at.sms(PHONE, "HELP")
    at.sms("+254722000111", "msaada")
    workers.drain()
    [english] = texts_to(emulator)
    [kiswahili] = texts_to(emulator, "+254722000111")
    assert "Dial *384*123#" in english
    assert "Piga *384*123#" in kiswahili


def test_unknown_text_is_kept_and_answered_at_most_once_an_hour(at, app, workers, emulator):
    """Is a free-text SMS kept in the inbox, answered once, and not again within the hour."""
    at.sms(PHONE, "The river water is dirty since the mine started")
    at.sms(PHONE, "Hello? Are you there?")
    workers.drain()
    assert len(texts_to(emulator)) == 1
    with app.app_context():
        inbox = db.session.scalars(
            select(Message.text).where(Message.kind == "inbox").order_by(Message.id)
        ).all()
    assert inbox == ["The river water is dirty since the mine started", "Hello? Are you there?"]


def test_a_retried_callback_is_handled_once(at, app, workers, emulator):
    """Africa's Talking retries a callback until it gets a 200: the same id counts once."""
    first = at.sms(PHONE, "JOIN", message_id="ATXid_same")
    again = at.sms(PHONE, "JOIN", message_id="ATXid_same")
    assert first.get_data(as_text=True) == "received"
    assert again.status_code == 200 and again.get_data(as_text=True).startswith("duplicate")
    workers.drain()
    workers.drain()
    assert len(texts_to(emulator)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Message.direction == "in")) == 1


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"to": "22384", "text": "hi", "date": "2026-11-29 10:00:00", "id": "a"}, "'from'"),
        (
            {
                "from": "not-a-phone",
                "to": "22384",
                "text": "hi",
                "date": "2026-11-29 10:00:00",
                "id": "b",
            },
            "'from' is not a phone number",
        ),
        (
            {"from": PHONE, "to": "22384", "text": "hi", "date": "yesterday", "id": "c"},
            "'date' is not a date",
        ),
        ({"from": PHONE, "to": "22384", "date": "2026-11-29 10:00:00", "id": "d"}, "'text'"),
        ({"from": PHONE, "to": "22384", "text": "hi", "date": "2026-11-29T10:00:00Z"}, "'id'"),
        (
            {
                "from": PHONE,
                "to": "22384",
                "text": "hi",
                "date": "2026-11-29T10:00:00Z",
                "id": "A" * 65,
            },
            "'id' is longer than 64",
        ),
        (
            {
                "from": PHONE,
                "to": "22384",
                "text": "hi",
                "date": "0001-01-01T00:00:00+01:00",
                "id": "e",
            },
            "'date' is not a date",
        ),
    ],
)
def test_malformed_sms_callbacks_get_a_400_with_a_reason(client, app, form, reason):
    """Does a malformed SMS callback get a 400 saying what is wrong, and store nothing."""
    response = client.post("/at/sms", data=form)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert reason in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_dates_in_every_format_africas_talking_uses_are_read_as_utc(at, app):
    """Are 'T…Z', space-separated and millisecond dates all stored as the same UTC instant."""
    for n, date in enumerate(
        ["2017-05-03T06:04:45Z", "2017-05-03 06:04:45", "2017-05-03 06:04:45.123"]
    ):
        assert at.sms(PHONE, "hi", message_id=f"d{n}", date=date).status_code == 200
    with app.app_context():
        stamps = db.session.scalars(select(Message.received_at)).all()
    assert {s.replace(microsecond=0).isoformat() for s in stamps} == {"2017-05-03T06:04:45+00:00"}


class TestSecret:
    """With AT_WEBHOOK_SECRET set, every callback needs ?secret=."""

    @pytest.fixture
    def settings_overrides(self):
        return {"at_webhook_secret": "s3cret-value"}

    def test_missing_or_wrong_secret_is_refused(self, client, app):
        """Is a callback without the secret, or with a wrong one, refused with 403."""
        form = {
            "from": PHONE,
            "to": "22384",
            "text": "JOIN",
            "date": "2026-11-29 10:00:00",
            "id": "x1",
        }
        for query in (None, {"secret": "wrong"}, {"secret": ""}):
            for path in (
                "/at/sms",
                "/at/ussd",
                "/at/sms/delivery",
                "/at/sms/optout",
                "/at/ussd/events",
            ):
                assert client.post(path, data=form, query_string=query).status_code == 403
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Message)) == 0

    def test_right_secret_is_accepted(self, at):
        """Does a callback with the right secret go through."""
        assert at.secret == "s3cret-value"
        assert at.sms(PHONE, "JOIN").get_data(as_text=True) == "received"
        assert at.ussd(PHONE).get_data(as_text=True).startswith("CON ")


# -- an SMS whose handling fails -------------------------------------------------------------
POISON = "+254733000999"


def _break_the_water_survey(app) -> None:
    """The open survey's first question loses its options (as a hand edit of the database
    might leave it): texting its keyword then fails in the worker every time, a real crash on
    the real path."""
    factories.surveys(app)
    with app.app_context():
        question = db.session.scalar(
            select(SurveyQuestion)
            .join(Survey, Survey.id == SurveyQuestion.survey_id)
            .where(Survey.keyword == "MAJI", SurveyQuestion.position == 1)
        )
        question.options = None
        db.session.commit()


def _poison(app) -> Message:
    with app.app_context():
        message = db.session.scalar(
            select(Message).where(Message.direction == "in", Message.phone == POISON)
        )
        db.session.expunge(message)
        return message


def _sweep(workers, redis) -> None:
    """The periodic recovery sweep, through a real worker, as the cron scheduler runs it."""
    redis.delete(RECOVERY_LOCK)
    workers.queue("default").enqueue(recover_stranded)
    workers.drain()


def test_one_sms_that_fails_does_not_hold_up_the_others_in_its_group(at, app, workers, emulator):
    """When one SMS of a busy moment makes handling fail, are the 49 handled with it (one
    group) each kept and answered once, and is only the failing one left for another try."""
    _break_the_water_survey(app)
    senders = [f"+2547220{n:05d}" for n in range(49)]
    for sender in senders[:24]:
        at.sms(sender, "The river is dirty")
    at.sms(POISON, "MAJI")
    for sender in senders[24:]:
        at.sms(sender, "The river is dirty")
    workers.drain()
    assert sorted(m["to"] for m in emulator.messages()) == sorted(senders)
    with app.app_context():
        inbox = db.session.scalar(select(func.count()).where(Message.kind == "inbox"))
    assert inbox == 49
    poison = _poison(app)
    assert (poison.handling_state, poison.handling_attempts) == ("pending", 1)
    assert poison.error is not None and "TypeError" in poison.error


def test_an_sms_whose_handling_always_fails_is_given_up_and_answered_once(
    at, app, workers, redis, emulator, admin_as
):
    """Is an SMS whose handling fails tried again by the sweep only until it has failed
    GATEWAY_INBOUND_ATTEMPTS times, then marked failed with its error, its sender sent the
    help text once, and counted on /metrics and the dashboard."""
    _break_the_water_survey(app)
    at.sms(POISON, "MAJI")
    workers.drain()
    attempts = [_poison(app).handling_attempts]
    start = utcnow()
    for minute in range(2, 16, 2):  # a sweep every two minutes
        with time_machine.travel(start + timedelta(minutes=minute)):
            _sweep(workers, redis)
        attempts.append(_poison(app).handling_attempts)
    assert attempts == [1, 2, 3, 4, 5, 5, 5, 5]
    poison = _poison(app)
    assert (poison.handling_state, poison.status) == ("failed", "failed")
    assert poison.error is not None and poison.error.startswith("TypeError")
    help_text = app.extensions["catalogs"].text("sms.help", "en", code="*384*123#")
    assert texts_to(emulator, POISON) == [help_text]

    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'hmk_messages{direction="in",status="failed"} 1.0' in metrics
    page = admin_as("admin").get("/admin/").get_data(as_text=True)
    assert "Incoming SMS that could not be handled: 1" in page
