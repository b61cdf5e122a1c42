"""Personal data (Kenya Data Protection Act 2019): deletion by SMS, export, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import String, Text, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import DeliveryReport, Message

AMINA = "+254712345678"
BAKARI = "+254722000111"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _texts_holding(app: Any, digits: str) -> list[str]:
    """Every text column of every table whose value holds ``digits``: ``table.column``."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text) and "JSON" not in str(column.type):
                    continue
                for value in db.session.execute(select(column)).scalars():
                    if value is not None and digits in str(value):
                        found.append(f"{table.name}.{column.name}")
    return sorted(set(found))


def _outbound(app: Any, phone: str | None = None) -> list[Message]:
    with app.app_context():
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
    return [m for m in rows if phone is None or m.phone == phone]


def _sent_to(emulator: Any, phone: str) -> list[str]:
    return [m["text"] for m in emulator.messages() if m["to"] == phone]


def _text(app: Any, key: str, language: str) -> str:
    from gateway.encoding import transliterate

    settings = app.config["GATEWAY"]
    values = {"code": settings.ussd_code, "shortcode": settings.at_shortcode}
    return transliterate(app.extensions["catalogs"].text(key, language, **values))


def _join(at: Any, workers: Any, phone: str, word: str = "JOIN") -> None:
    at.sms(phone, word)
    workers.drain()


def test_futa_twice_deletes_and_no_row_keeps_the_number_or_the_words(app, at, workers, emulator):
    """Can a person delete their data by texting FUTA twice, with nothing of them left?"""
    with time_machine.travel(NOW, tick=True):
        _join(at, workers, AMINA, "JIUNGE")
        at.sms(AMINA, "Mgodi unachafua mto wetu kila siku")
        workers.drain()
        at.sms(AMINA, "FUTA")
        workers.drain()
        assert _sent_to(emulator, AMINA)[-1] == _text(app, "sms.delete.confirm", "sw")
        with app.app_context():
            assert db.session.scalar(select(Contact).where(Contact.phone == AMINA)) is not None
        at.sms(AMINA, "futa")
        workers.drain()
    assert workers.failed() == []
    assert _sent_to(emulator, AMINA)[-1] == _text(app, "sms.delete.done", "sw")
    assert _texts_holding(app, "712345678") == []
    assert _texts_holding(app, "Mgodi unachafua") == []
    assert _texts_holding(app, "FUTA") == [] and _texts_holding(app, "futa") == []
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        assert contact.anonymised_at is not None and contact.opted_out_at is not None
        assert contact.language == "sw"  # counts stay
        kinds = db.session.scalars(select(Message.kind).order_by(Message.id)).all()
        assert "deletion_done" in kinds and kinds.count("keyword:delete") == 2
        assert all(t == "" for t in db.session.scalars(select(Message.text)))


def test_futa_once_then_silence_keeps_everything(app, at, workers, emulator):
    """Does a single FUTA delete nothing, and one an hour later ask again?"""
    with time_machine.travel(NOW, tick=True) as clock:
        _join(at, workers, AMINA)
        at.sms(AMINA, "DELETE")
        workers.drain()
        clock.shift(timedelta(minutes=61))
        at.sms(AMINA, "DELETE")
        workers.drain()
    confirm = _text(app, "sms.delete.confirm", "en")
    assert _sent_to(emulator, AMINA)[-2:] == [confirm, confirm]
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == AMINA))
        assert contact is not None and contact.anonymised_at is None and contact.has_consent
        texts = db.session.scalars(
            select(Message.text).where(Message.direction == "in").order_by(Message.id)
        ).all()
        assert texts == ["JOIN", "DELETE", "DELETE"]


def test_stop_then_futa_still_deletes_and_stays_opted_out(app, at, workers, emulator):
    """Does an opted-out person get only the deletion exchange, and stay opted out?"""
    with time_machine.travel(NOW, tick=True):
        _join(at, workers, AMINA)
        at.sms(AMINA, "STOP")
        workers.drain()
        at.sms(AMINA, "hello?")  # opted out: kept, not answered
        at.sms(AMINA, "DELETE")
        workers.drain()
        at.sms(AMINA, "DELETE")
        workers.drain()
    sent = _sent_to(emulator, AMINA)
    assert sent == [
        _text(app, "sms.join", "en"),
        _text(app, "sms.stop", "en"),
        _text(app, "sms.delete.confirm", "en"),
        _text(app, "sms.delete.done", "en"),
    ]
    assert _texts_holding(app, "712345678") == []
    with app.app_context():
        contact = db.session.scalars(select(Contact)).one()
        assert contact.anonymised_at is not None and contact.opt_out_channel == "sms"


def test_unknown_number_is_told_nothing_is_held_and_forgotten(app, at, workers, emulator):
    """Does a number we know nothing about get a plain answer, and leave nothing behind?"""
    with time_machine.travel(NOW, tick=True):
        at.sms(BAKARI, "DELETE")
        workers.drain()
    assert _sent_to(emulator, BAKARI) == [_text(app, "sms.delete.nothing", "en")]
    assert _texts_holding(app, "722000111") == []
    with app.app_context():
        assert db.session.scalar(select(Contact).where(Contact.anonymised_at.is_(None))) is None


def test_late_delivery_reports_are_swept(app, at, workers, emulator):
    """Are delivery reports that arrive after the deletion (of the last reply, of the
    confirmation) cleared by the daily job?"""
    from gateway.contacts.retention import remove_expired_text

    with time_machine.travel(NOW, tick=True):
        _join(at, workers, AMINA)
        at.sms(AMINA, "DELETE")
        workers.drain()
        prompt = _outbound(app)[-1]
        at.sms(AMINA, "DELETE")
        workers.drain()
        last = _outbound(app)[-1]
        assert last.kind == "deletion_done" and last.provider_id
        at.delivery(last.provider_id, "Success", phone=AMINA)
        held = ["delivery_reports.phone", "delivery_reports.raw"]
        assert _texts_holding(app, "712345678") == held
        with app.app_context():
            counts = remove_expired_text()
            assert counts["deletion_reports"] == 1
            status = db.session.scalar(select(Message.status).where(Message.id == last.id))
            assert status == "delivered"
        assert _texts_holding(app, "712345678") == []
        # The confirmation's report, late: its message no longer has a provider id to match.
        assert prompt.kind == "deletion_confirmation" and prompt.provider_id
        at.delivery(prompt.provider_id, "Success", phone=AMINA)
        with app.app_context():
            assert remove_expired_text()["orphan_reports"] == 0  # it may still match, today
    assert _texts_holding(app, "712345678") == held
    with time_machine.travel(NOW + timedelta(days=2), tick=True), app.app_context():
        assert remove_expired_text()["orphan_reports"] == 1
    assert _texts_holding(app, "712345678") == []


def _export_api(client: Any, app: Any, make_user: Any, role: str, phone: str) -> Any:
    """``GET /api/v1/contacts/<phone>/export`` with a token of a new user of ``role``."""
    from gateway.api.models import ApiToken

    user_id = make_user(role, counties=("Kitui",) if role == "coordinator" else ())
    with app.app_context():
        row, token = ApiToken.issue(role, user_id=user_id)
        db.session.add(row)
        db.session.commit()
    return client.get(
        f"/api/v1/contacts/{phone}/export", headers={"Authorization": f"Bearer {token}"}
    )


def test_export_holds_the_persons_messages_and_votes_and_nobody_elses(
    app, at, workers, client, make_user, emulator
):
    """Can an admin download everything held about one number, and only that?"""
    with time_machine.travel(NOW, tick=True):
        _join(at, workers, AMINA)
        _join(at, workers, BAKARI)
        at.sms(AMINA, "The river is brown again")
        at.sms(BAKARI, "Bakari's own words")
        workers.drain()
    response = _export_api(client, app, make_user, "admin", "0712345678")
    assert response.status_code == 200
    held = response.json
    assert held["contact"]["phone"] == AMINA
    texts = [m["text"] for m in held["messages"]]
    assert "The river is brown again" in texts and "JOIN" in texts
    assert _text(app, "sms.join", "en") in texts
    assert all(m["status"] and m["created_at"] for m in held["messages"])
    assert [e["action"] for e in held["consent_events"]] == ["granted"]
    assert "Bakari" not in str(held) and "722000111" not in str(held)
    with app.app_context():
        from gateway.users.models import AuditEvent

        event = db.session.scalars(select(AuditEvent)).one()
        assert event.action == "contact.export" and "712345678" not in str(event.details)


def test_export_includes_votes(app, at, workers, client, make_user, emulator):
    """Are a person's poll votes in their export?"""
    from gateway.polls.models import Poll, PollOption

    with app.app_context():
        poll = Poll(
            keyword="KURA",
            question={"en": "Publish the EIA?"},
            opens_at=NOW - timedelta(days=1),
            closes_at=NOW + timedelta(days=1),
        )
        poll.options = [
            PollOption(position=1, label={"en": "Yes"}),
            PollOption(position=2, label={"en": "No"}),
        ]
        db.session.add(poll)
        db.session.commit()
    with time_machine.travel(NOW, tick=True):
        _join(at, workers, AMINA)
        at.sms(AMINA, "KURA 2")
        at.sms(BAKARI, "KURA 1")
        workers.drain()
    held = _export_api(client, app, make_user, "admin", AMINA).json
    assert [(v["poll"], v["option"]) for v in held["votes"]] == [("KURA", 2)]


def test_viewer_and_coordinator_cannot_export(
    app, client, admin_as, make_user, at, workers, emulator
):
    """Is the export refused to anyone but an admin, in the API and in the admin UI?"""
    with time_machine.travel(NOW, tick=True):
        _join(at, workers, AMINA)
    with app.app_context():
        contact_id = db.session.scalar(select(Contact.id).where(Contact.phone == AMINA))
    for role in ("viewer", "coordinator"):
        assert _export_api(client, app, make_user, role, AMINA).status_code == 403
        page = admin_as(role, counties=("Kitui",) if role == "coordinator" else ())
        assert page.get(f"/admin/contacts/{contact_id}/export.json").status_code == 403
        assert "export.json" not in page.get(f"/admin/contacts/{contact_id}").get_data(True)
    admin = admin_as("admin")
    assert "export.json" in admin.get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    download = admin.get(f"/admin/contacts/{contact_id}/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.json["contact"]["phone"] == AMINA


def test_retention_removes_old_text_keeps_new_and_runs_twice(app, at, workers, emulator):
    """Does the daily job blank inbound text older than the retention period, and only that?"""
    from gateway.contacts.retention import remove_expired_text

    with time_machine.travel(NOW - timedelta(days=400), tick=True):
        _join(at, workers, AMINA)
        at.sms(AMINA, "An old complaint")
        workers.drain()
        at.delivery(_outbound(app)[-1].provider_id or "", "Success", phone=AMINA)
    with time_machine.travel(NOW, tick=True):
        at.sms(AMINA, "A new complaint")
        workers.drain()
        with app.app_context():
            first = remove_expired_text()
            second = remove_expired_text()
            inbound = db.session.scalars(
                select(Message).where(Message.direction == "in").order_by(Message.id)
            ).all()
            assert [m.text for m in inbound] == ["", "", "A new complaint"]
            assert len(inbound) == 3  # rows and counts stay
            raw = db.session.scalars(select(DeliveryReport.raw)).all()
            assert raw == [None]
    assert first["inbound_sms"] == 2 and first["delivery_reports"] == 1
    assert second["inbound_sms"] == 0 and second["delivery_reports"] == 0
    assert _texts_holding(app, "An old complaint") == []


def test_retention_zero_keeps_everything(make_app, redis, at, workers, emulator):
    """With GATEWAY_RETENTION_DAYS=0, is nothing removed?"""
    from gateway.contacts.retention import remove_expired_text

    keeper = make_app(retention_days=0)
    with time_machine.travel(NOW - timedelta(days=4000), tick=True):
        at.sms(AMINA, "Kept forever")
        workers.drain()
    with keeper.app_context():
        assert "inbound_sms" not in remove_expired_text()
        inbound = select(Message.text).where(Message.direction == "in")
        assert db.session.scalars(inbound).all() == ["Kept forever"]


def _survey_and_reports(app: Any, at: Any, workers: Any) -> None:
    """Amina answers the MAJI survey by SMS (a free-text answer last) and has two reports,
    one anonymous; Bakari answers it too."""
    from factories import surveys

    from gateway.contacts.service import find_contact
    from gateway.reports.service import save_report

    surveys(app)
    for phone, words in ((AMINA, "The water smells of diesel"), (BAKARI, "Bakari's answer")):
        for text in ("MAJI", "2", "5", words):
            at.sms(phone, text)
            workers.drain()
    with app.app_context():
        amina = find_contact(AMINA)
        assert amina is not None
        for anonymous, description in ((False, "Dust from the quarry"), (True, "Guards beat us")):
            save_report(
                contact=amina,
                category="health",
                county="Kitui",
                ward=None,
                description=description,
                anonymous=anonymous,
                language="en",
                channel="ussd",
            )
        db.session.commit()


def test_export_holds_survey_answers_and_named_reports_only(
    app, at, workers, client, make_user, emulator
):
    """Are a person's survey answers and the reports naming them exported, and never an
    anonymous report or another person's answers?"""
    with time_machine.travel(NOW, tick=True):
        _survey_and_reports(app, at, workers)
    held = _export_api(client, app, make_user, "admin", AMINA).json
    answers = [(a["survey"], a["question"], a["value"]) for a in held["survey_answers"]]
    assert answers == [
        ("MAJI", 1, "2"),
        ("MAJI", 2, "5"),
        ("MAJI", 3, "The water smells of diesel"),
    ]
    assert [r["description"] for r in held["reports"]] == ["Dust from the quarry"]
    assert "Guards beat us" not in str(held) and "Bakari" not in str(held)


def test_futa_forgets_survey_words_and_retention_job_runs_on_a_worker(app, at, workers, emulator):
    """After FUTA twice, are the person's free-text answers gone; and does the daily job, run
    twice by a real worker, blank another person's old free text and keep the new?"""
    with time_machine.travel(NOW - timedelta(days=400), tick=True):
        _survey_and_reports(app, at, workers)
    with time_machine.travel(NOW, tick=True):
        at.sms(AMINA, "DELETE")
        workers.drain()
        at.sms(AMINA, "DELETE")
        workers.drain()
        assert _texts_holding(app, "The water smells") == []
        assert _texts_holding(app, "712345678") == []
        assert _texts_holding(app, "Bakari's answer") != []  # another person's, not yet old
        at.sms(BAKARI, "A new message")
        workers.drain()
        for _ in range(2):
            workers.queue("default").enqueue("gateway.contacts.retention.remove_expired_text_job")
            workers.drain()
    assert workers.failed() == []
    assert _texts_holding(app, "Bakari's answer") == []
    assert _texts_holding(app, "A new message") == ["messages.text"]
    with app.app_context():
        from gateway.surveys.models import SurveyAnswer

        assert len(db.session.scalars(select(SurveyAnswer)).all()) == 6  # counts stay


def test_a_last_reply_sent_late_is_forgotten_once_sent(app, at, workers, emulator):
    """If the last reply's send fails and is retried, does its forgetting wait for it?"""
    with time_machine.travel(NOW, tick=True) as clock:
        _join(at, workers, AMINA)
        at.sms(AMINA, "DELETE")
        workers.drain()
        at.sms(AMINA, "DELETE")
        emulator.fail_next(500)
        workers.drain()
        last = _outbound(app)[-1]
        assert last.kind == "deletion_done" and last.status == "queued"
        assert last.phone == AMINA  # still needed for the retry
        for _ in range(3):
            clock.shift(timedelta(minutes=2))
            workers.drain()
    assert workers.failed() == []
    assert _sent_to(emulator, AMINA)[-1] == _text(app, "sms.delete.done", "en")
    assert _texts_holding(app, "712345678") == []
    with app.app_context():
        assert db.session.get(Message, last.id).status == "sent"


AMINA_FORMS = ("712345678", "712 345 678", "0712-345-678", "712-345-678")
AMINA_WORDS = ("Amina Wanjiru", "Wanjiru", "diesel in Mui river", "quarry dust", "Madini yetu")


def _every_value_in_the_database(app: Any) -> list[tuple[str, str]]:
    """Every column of every row of every table, as text: (``table.column``, value)."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is not None:
                        found.append((f"{table.name}.{column}", str(value)))
    return found


def _every_value_in_redis(redis: Any) -> list[tuple[str, str]]:
    """Every key and every value in Redis (compressed RQ job data opened), as text."""
    import zlib

    def texts(raw: bytes) -> list[str]:
        out = [raw.decode("utf-8", "replace")]
        try:
            out.append(zlib.decompress(raw).decode("utf-8", "replace"))
        except zlib.error:
            pass
        return out

    found = []
    for key in redis.scan_iter(count=1000):
        name = key.decode("utf-8", "replace")
        kind = redis.type(key).decode()
        if kind == "string":
            values = [redis.get(key) or b""]
        elif kind == "hash":
            values = [part for pair in redis.hgetall(key).items() for part in pair]
        elif kind == "list":
            values = redis.lrange(key, 0, -1)
        elif kind == "set":
            values = list(redis.smembers(key))
        elif kind == "zset":
            values = redis.zrange(key, 0, -1)
        elif kind == "stream":
            values = [str(entry).encode() for entry in redis.xrange(key)]
        else:
            values = []
        found.append((name, name))
        found += [(name, text) for value in values for text in texts(value)]
    return found


def test_futa_leaves_nothing_of_the_person_in_any_table_or_redis_key(
    app, at, workers, emulator, redis, phone, client, runner, admin_as
):
    """After a person who joined, reported by SMS and by USSD (their name and number in the
    words), answered a survey in words, texted a radio show and dropped a USSD report half-way
    texts FUTA twice, does any table or Redis key still hold their number or their words? The
    report and the radio message are still counted."""
    from factories import joined_contact, surveys
    from test_radio import SHOW

    token = runner.invoke(args=["tokens", "create", "studio"]).output.strip()
    now = datetime(2026, 12, 3, 16, 10, tzinfo=UTC)  # Thursday 19:10 EAT: the show is on air
    with time_machine.travel(now, tick=True):
        show = client.post(
            "/api/v1/radio/shows", headers={"Authorization": f"Bearer {token}"}, json=SHOW
        )
        assert show.status_code == 201, show.json
        surveys(app)
        joined_contact(app, AMINA, "en")
        at.sms(AMINA, "Mimi ni Amina Wanjiru 0712-345-678: diesel in Mui river")
        workers.drain()
        phone.dial()
        phone.choose("Report a problem")
        phone.choose("Water and environment")
        phone.choose("Mui")
        phone.press("Amina Wanjiru 0712345678: quarry dust on the school")
        phone.press("2", "1")  # not anonymous; send
        assert phone.ended and "Reference: R-" in phone.screen
        phone.dial()  # an anonymous one: only the session's end record names her
        phone.choose("Report a problem")
        phone.choose("Water and environment")
        phone.choose("Mui")
        phone.press("Wanjiru here again, the guards")
        phone.press("1", "1")  # anonymous; send
        assert phone.ended and "Reference: R-" in phone.screen
        at.session_ended(AMINA, phone.session_id, status="Success")
        for text in ("MAJI", "2", "5", "Amina Wanjiru says quarry dust, call 712 345 678"):
            at.sms(AMINA, text)
            workers.drain()
        at.sms(AMINA, "MADINI Madini yetu, Amina Wanjiru 0712345678")
        workers.drain()
        phone.dial()  # a report dropped half-way: its session and resume point in Redis
        phone.choose("Report a problem")
        phone.choose("Water and environment")
        phone.choose("Mui")
        phone.press("Wanjiru again: the pipe")
        at.session_ended(AMINA, phone.session_id, status="Incomplete")
        assert any(b"ussd:resume:" in key for key in redis.keys())
        at.sms(AMINA, "FUTA")
        workers.drain()
        at.sms(AMINA, "FUTA")
        workers.drain()
    assert workers.failed() == []
    assert _sent_to(emulator, AMINA)[-1] == _text(app, "sms.delete.done", "en")
    with app.app_context():
        from gateway.radio.models import RadioMessage
        from gateway.reports.models import Report

        report_ids = db.session.scalars(select(Report.id)).all()
        assert len(report_ids) == 2  # counts stay
        assert len(db.session.scalars(select(RadioMessage)).all()) == 1
    viewer = admin_as("viewer")
    for report_id in report_ids:
        page = viewer.get(f"/admin/reports/{report_id}").get_data(as_text=True)
        assert "Removed: the person who sent it had their data deleted" in page
    held = _every_value_in_the_database(app) + _every_value_in_redis(redis)
    leaks = sorted(
        {
            where
            for where, value in held
            for sought in AMINA_FORMS + AMINA_WORDS
            if sought.lower() in value.lower()
        }
    )
    assert leaks == [], [(w, v) for w, v in held if w in leaks]
