"""Reports followed up as cases: the reporter's contact linked (never for an anonymous report),
a status history with who and when, internal notes that are never sent, replies in the thread
with their delivery status, and an SMS in the reporter's language when the status changes,
through a real RQ worker to the emulator; the same history in the API; notes erased on FUTA."""

from __future__ import annotations

import re

import pytest
from factories import joined_contact
from flask import Flask
from helpers import received, send_confirmed, text
from sqlalchemy import select

from gateway.contacts.export import collect
from gateway.contacts.models import Contact
from gateway.contacts.service import anonymise
from gateway.extensions import db
from gateway.reports.cases import ReportEvent
from gateway.reports.models import Report
from gateway.sms.models import Message

SW_PHONE, EN_PHONE, KWALE_PHONE = "+254711000201", "+254711000202", "+254722000203"


def _report(app: Flask, reference: str, contact_id: int | None, **fields: object) -> int:
    with app.app_context():
        values: dict[str, object] = {
            "category": "water",
            "county": "Kitui",
            "ward": "Mui",
            "description": "The borehole at Mui has been dry for a month.",
            "language": "en",
            "channel": "ussd",
            "anonymous": contact_id is None,
            "sensitive": False,
            **fields,
        }
        report = Report(reference=reference, contact_id=contact_id, **values)
        db.session.add(report)
        db.session.commit()
        return report.id


@pytest.fixture
def cases(app: Flask) -> dict[str, int]:
    swahili = joined_contact(app, SW_PHONE, "sw")
    english = joined_contact(app, EN_PHONE, "en")
    kwale = joined_contact(app, KWALE_PHONE, "en", county="Kwale", ward=None)
    return {
        "sw": _report(app, "R-SWAHL2", swahili, language="sw"),
        "en": _report(app, "R-ENGLS2", english),
        "kwale": _report(app, "R-KWALE3", kwale, county="Kwale", ward=None),
        "anonymous": _report(app, "R-ANONY3", None, category="health"),
        "sw_contact": swahili,
    }


def _history(page: str) -> str:
    found = re.search(r'<ol class="thread" id="report-history">(.*?)</ol>', page, re.S)
    assert found is not None
    return found.group(1)


def test_the_reporters_contact_is_linked_masked_never_for_an_anonymous_report(
    admin_as, cases
) -> None:
    admin = admin_as("admin")
    page = admin.get(f"/admin/reports/{cases['sw']}").get_data(as_text=True)
    sender = re.search(r'id="report-sender">(.*?)</dd>', page, re.S)
    assert sender is not None
    assert f'href="/admin/contacts/{cases["sw_contact"]}"' in sender.group(1)
    assert SW_PHONE not in page and "+2547" in sender.group(1) and "Swahili" in sender.group(1)
    anonymous = admin.get(f"/admin/reports/{cases['anonymous']}").get_data(as_text=True)
    sender = re.search(r'id="report-sender">(.*?)</dd>', anonymous, re.S)
    assert sender is not None and "Anonymous" in sender.group(1)
    assert "/admin/contacts/" not in sender.group(1)


def test_a_status_change_is_in_the_history_and_texts_the_reporter_in_their_language(
    app: Flask, admin_as, cases, workers, emulator
) -> None:
    session = admin_as("coordinator", counties=("Kitui",), email="mutua@hmk.example")
    path = f"/admin/reports/{cases['sw']}"
    session.post(f"{path}/status", {"status": "in_progress"}, page=path)
    session.post(f"{path}/status", {"status": "resolved"}, page=path)
    session.post(f"{path}/status", {"status": "resolved"}, page=path)  # no change: no SMS
    assert emulator.messages() == []  # nothing goes before a worker runs
    workers.drain()
    assert received(emulator, SW_PHONE) == [
        text(app, "sms.report.status.in_progress", "sw", reference="R-SWAHL2"),
        text(app, "sms.report.status.resolved", "sw", reference="R-SWAHL2"),
    ]
    assert "tunafuatilia" in received(emulator, SW_PHONE)[0]  # Kiswahili, not English
    history = _history(session.get(path).get_data(as_text=True))
    steps = re.findall(r'<li class="step-status">(.*?)</li>', history, re.S)
    assert len(steps) == 2
    assert "mutua@hmk.example" in steps[0] and "New → In progress" in steps[0]
    assert "In progress → Resolved" in steps[1] and "reporter told by SMS" in steps[1]
    assert workers.failed() == []


def test_an_anonymous_reporter_gets_no_sms_but_the_change_is_in_the_history(
    app: Flask, admin_as, cases, workers, emulator
) -> None:
    session = admin_as("admin")
    path = f"/admin/reports/{cases['anonymous']}"
    session.post(f"{path}/status", {"status": "closed"}, page=path)
    workers.drain()
    assert emulator.messages() == []
    history = _history(session.get(path).get_data(as_text=True))
    assert "New → Closed" in history and "reporter told by SMS" not in history
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.kind == "report_status")) is None


def test_an_internal_note_is_kept_in_the_history_and_never_sent(
    app: Flask, admin_as, cases, workers, emulator
) -> None:
    session = admin_as("admin", email="wanjiru@hmk.example")
    path = f"/admin/reports/{cases['en']}"
    session.post(
        f"{path}/note", {"note": "Called the county water officer; visit on Friday."}, page=path
    )
    workers.drain()
    assert emulator.messages() == []
    history = _history(session.get(path).get_data(as_text=True))
    assert "Internal note:" in history and "visit on Friday" in history
    assert "wanjiru@hmk.example" in history
    # A viewer reads the history but has no note form.
    viewer = admin_as("viewer").get(path).get_data(as_text=True)
    assert "visit on Friday" in viewer and 'name="note"' not in viewer
    refused = admin_as("viewer").post(f"{path}/note", {"note": "x"}, page=path)
    assert refused.status_code == 403


def test_a_reply_appears_in_the_thread_with_its_delivery_status(
    app: Flask, admin_as, cases, workers, emulator
) -> None:
    session = admin_as("admin")
    path = f"/admin/reports/{cases['en']}"
    send_confirmed(session, f"{path}/reply", {"text": "An officer visits on Monday."}, path)
    history = _history(session.get(path).get_data(as_text=True))
    reply = re.search(r'<li class="step-reply">(.*?)</li>', history, re.S)
    assert reply is not None and "An officer visits on Monday." in reply.group(1)
    assert "Queued" in reply.group(1)
    workers.drain()
    assert received(emulator, EN_PHONE) == [
        "HMK about your report R-ENGLS2: An officer visits on Monday."
    ]
    history = _history(session.get(path).get_data(as_text=True))
    reply = re.search(r'<li class="step-reply">(.*?)</li>', history, re.S)
    assert reply is not None and "Queued" not in reply.group(1)
    assert re.search(r"Sent|Submitted|Delivered", reply.group(1))


def test_the_api_gives_the_history_and_takes_notes_and_status_changes(
    app: Flask, api, cases, workers, emulator
) -> None:
    report = cases["en"]
    assert api.patch(f"/reports/{report}", {"status": "in_progress"}).status_code == 200
    note = api.post(f"/reports/{report}/notes", {"text": "Asked the chief."})
    assert note.status_code == 201
    assert api.post(f"/reports/{report}/notes", {"text": "   "}).status_code == 400
    workers.drain()
    assert received(emulator, EN_PHONE) == [
        text(app, "sms.report.status.in_progress", "en", reference="R-ENGLS2")
    ]
    steps = api.get(f"/reports/{report}/history").get_json()
    assert [(s["kind"], s["from_status"], s["to_status"], s["text"]) for s in steps] == [
        ("status", "new", "in_progress", None),
        ("note", None, None, "Asked the chief."),
    ]
    assert steps[0]["message_status"] in ("sent", "submitted", "delivered")
    assert steps[1]["message_id"] is None and steps[0]["actor"] == "token:secretariat"
    assert api.get("/reports/999999/history").status_code == 404


def test_the_case_is_in_the_reporters_export_and_its_notes_go_on_deletion(
    app: Flask, admin_as, cases
) -> None:
    session = admin_as("admin")
    path = f"/admin/reports/{cases['sw']}"
    session.post(f"{path}/status", {"status": "in_progress"}, page=path)
    session.post(f"{path}/note", {"note": "Mama Wanjiku's borehole, near the school."}, page=path)
    with app.app_context():
        contact = db.session.get(Contact, cases["sw_contact"])
        assert contact is not None
        exported = collect(contact)
        (report,) = exported["reports"]
        assert [(h["kind"], h["to"], h["note"]) for h in report["history"]] == [
            ("status", "in_progress", None),
            ("note", None, "Mama Wanjiku's borehole, near the school."),
        ]
        anonymise(contact)
        db.session.commit()
        texts = db.session.scalars(
            select(ReportEvent.text).where(ReportEvent.report_id == cases["sw"])
        ).all()
        assert "Mama Wanjiku's borehole, near the school." not in texts
        statuses = db.session.scalars(
            select(ReportEvent.to_status).where(ReportEvent.kind == "status")
        ).all()
        assert statuses == ["in_progress"]
