"""The admin UI's reports inbox: who sees which report, triage, assignment, and replies that
reach the reporter's phone (the emulator) through a real RQ worker; every change audited."""

from __future__ import annotations

import re

import pytest
from factories import joined_contact
from flask import Flask
from helpers import confirmation
from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.service import opt_out
from gateway.extensions import db
from gateway.reports.models import Report
from gateway.sms.models import Message
from gateway.users.models import AuditEvent

KITUI_PHONE, KWALE_PHONE, SW_PHONE = "+254711000001", "+254722000001", "+254711000002"


def _report(app: Flask, reference: str, **fields: object) -> int:
    with app.app_context():
        values: dict[str, object] = {
            "category": "water",
            "county": "Kitui",
            "ward": "Mui",
            "description": "The borehole at Mui has been dry for a month.",
            "language": "en",
            "channel": "ussd",
            "anonymous": False,
            **fields,
        }
        values["sensitive"] = values["category"] == "security"
        report = Report(reference=reference, **values)
        db.session.add(report)
        db.session.commit()
        return report.id


@pytest.fixture
def inbox(app: Flask) -> dict[str, int]:
    kitui = joined_contact(app, KITUI_PHONE, "en")
    kwale = joined_contact(app, KWALE_PHONE, "en", county="Kwale", ward=None)
    swahili = joined_contact(app, SW_PHONE, "sw")
    return {
        "water": _report(app, "R-WATER2", contact_id=kitui),
        "land": _report(
            app,
            "R-LAND22",
            contact_id=swahili,
            category="land",
            language="sw",
            description="Ardhi yetu imechukuliwa bila fidia.",
        ),
        "kwale": _report(app, "R-KWALE2", contact_id=kwale, county="Kwale", ward=None),
        "security": _report(
            app,
            "R-SECRT2",
            contact_id=kitui,
            category="security",
            description="Men threatened us after the meeting.",
        ),
        "anonymous": _report(app, "R-ANONY2", contact_id=None, anonymous=True, category="health"),
    }


def _references(page: str) -> set[str]:
    return set(re.findall(r">(R-[A-Z0-9]{6})</a>", page))


def _count(page: str) -> int:
    found = re.search(r'id="report-count">(\d+)', page)
    assert found is not None
    return int(found.group(1))


def test_an_admin_sees_every_report_sensitive_ones_marked(admin_as, inbox) -> None:
    page = admin_as("admin").get("/admin/reports").get_data(as_text=True)
    assert _references(page) == {"R-WATER2", "R-LAND22", "R-KWALE2", "R-SECRT2", "R-ANONY2"}
    assert _count(page) == 5
    row = re.search(r"R-SECRT2</a>.*?</tr>", page, re.S)
    assert row is not None and "Sensitive" in row.group(0) and "Security or harassment" in page


def test_a_sensitive_report_is_hidden_from_a_viewer_and_a_coordinator(admin_as, inbox) -> None:
    for session in (admin_as("viewer"), admin_as("coordinator", counties=("Kitui",))):
        page = session.get("/admin/reports").get_data(as_text=True)
        assert "R-SECRT2" not in page and "threatened" not in page
        # Not counted either, even when filtering on its own category.
        filtered = session.get("/admin/reports?category=security").get_data(as_text=True)
        assert _count(filtered) == 0 and "R-SECRT2" not in filtered
        detail = session.get(f"/admin/reports/{inbox['security']}")
        assert detail.status_code == 404
        assert "threatened" not in detail.get_data(as_text=True)
        status = session.post(
            f"/admin/reports/{inbox['security']}/status", {"status": "closed"}, page="/admin/"
        )
        assert status.status_code in (403, 404)
    viewer_page = admin_as("viewer").get("/admin/reports").get_data(as_text=True)
    assert _count(viewer_page) == 4


def test_a_coordinator_sees_the_reports_of_their_counties_only(admin_as, inbox) -> None:
    session = admin_as("coordinator", counties=("Kwale",))
    page = session.get("/admin/reports").get_data(as_text=True)
    assert _references(page) == {"R-KWALE2"} and _count(page) == 1
    assert session.get(f"/admin/reports/{inbox['water']}").status_code == 404
    # Asking for another county's reports by the filter gives nothing.
    other = session.get("/admin/reports?county=Kitui").get_data(as_text=True)
    assert _count(other) == 0
    detail = session.get(f"/admin/reports/{inbox['kwale']}").get_data(as_text=True)
    assert "The borehole at Mui" in detail


def test_filters_by_status_category_and_county(app: Flask, admin_as, inbox) -> None:
    session = admin_as("admin")
    session.post(
        f"/admin/reports/{inbox['land']}/status",
        {"status": "in_progress"},
        page=f"/admin/reports/{inbox['land']}",
    )
    assert _references(session.get("/admin/reports?status=in_progress").get_data(as_text=True)) == {
        "R-LAND22"
    }
    assert _references(session.get("/admin/reports?category=water").get_data(as_text=True)) == {
        "R-WATER2",
        "R-KWALE2",
    }
    assert _references(
        session.get("/admin/reports?county=Kwale&category=water").get_data(as_text=True)
    ) == {"R-KWALE2"}


def test_triage_and_assignment_are_saved_shown_and_audited(
    app: Flask, admin_as, make_user, inbox
) -> None:
    officer = make_user(
        "coordinator", email="mutua@hmk.example", name="Mutua Kilonzo", counties=("Kitui",)
    )
    session = admin_as("admin", email="wanjiru@hmk.example")
    path = f"/admin/reports/{inbox['water']}"
    response = session.post(f"{path}/status", {"status": "in_progress"}, page=path)
    assert response.status_code == 302
    response = session.post(f"{path}/assign", {"user_id": str(officer)}, page=path)
    page = session.get(path).get_data(as_text=True)
    assert re.search(r'id="report-status">In progress<', page)
    assert re.search(r'id="report-assignee">Mutua Kilonzo<', page)
    listing = session.get("/admin/reports").get_data(as_text=True)
    row = re.search(r"R-WATER2</a>.*?</tr>", listing, re.S)
    assert row is not None and "In progress" in row.group(0) and "Mutua Kilonzo" in row.group(0)
    # The coordinator it was given to moves it on.
    mutua = admin_as_existing(app, "mutua@hmk.example")
    mutua.post(f"{path}/status", {"status": "resolved"}, page=path)
    with app.app_context():
        report = db.session.get(Report, inbox["water"])
        assert report is not None
        assert (report.status, report.assigned_to_id) == ("resolved", officer)
        assert report.updated_at is not None
        events = db.session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.target_type == "report")
            .order_by(AuditEvent.id)
        ).all()
    assert [(e.actor, e.action) for e in events] == [
        ("wanjiru@hmk.example", "report.status"),
        ("wanjiru@hmk.example", "report.assign"),
        ("mutua@hmk.example", "report.status"),
    ]
    assert events[0].details == {"before": "new", "after": "in_progress"}
    assert events[2].details == {"before": "in_progress", "after": "resolved"}


def admin_as_existing(app: Flask, email: str):  # type: ignore[no-untyped-def]
    from conftest import Admin

    session = Admin(app.test_client())
    assert session.login(email).status_code == 302
    return session


def test_a_report_goes_only_to_someone_who_may_read_it(
    app: Flask, admin_as, make_user, inbox
) -> None:
    kwale = make_user("coordinator", name="Kwale Coordinator", counties=("Kwale",))
    kitui = make_user("coordinator", name="Kitui Coordinator", counties=("Kitui",))
    session = admin_as("admin")
    water = f"/admin/reports/{inbox['water']}"
    page = session.get(water).get_data(as_text=True)
    assert "Kitui Coordinator" in page and "Kwale Coordinator" not in page
    refused = session.post(f"{water}/assign", {"user_id": str(kwale)}, page=water)
    assert refused.status_code == 400
    security = f"/admin/reports/{inbox['security']}"
    assert "Kitui Coordinator" not in session.get(security).get_data(as_text=True)
    assert (
        session.post(f"{security}/assign", {"user_id": str(kitui)}, page=security).status_code
        == 400
    )
    with app.app_context():
        assert db.session.get(Report, inbox["water"]).assigned_to_id is None  # type: ignore[union-attr]
        assert db.session.get(Report, inbox["security"]).assigned_to_id is None  # type: ignore[union-attr]


def test_a_viewer_changes_nothing(app: Flask, admin_as, inbox) -> None:
    session = admin_as("viewer")
    path = f"/admin/reports/{inbox['water']}"
    page = session.get(path).get_data(as_text=True)
    assert "The borehole at Mui" in page and "Send SMS" not in page
    assert session.post(f"{path}/status", {"status": "closed"}, page=path).status_code == 403
    assert session.post(f"{path}/reply", {"text": "Hello"}, page=path).status_code == 403
    with app.app_context():
        assert db.session.get(Report, inbox["water"]).status == "new"  # type: ignore[union-attr]
        assert db.session.scalar(select(Message.id).where(Message.kind == "report_reply")) is None


def test_a_reply_reaches_the_reporter_in_their_language_via_a_worker(
    app: Flask, admin_as, api, inbox, workers, emulator
) -> None:
    session = admin_as("coordinator", counties=("Kitui",), email="mutua@hmk.example")
    path = f"/admin/reports/{inbox['land']}"
    asked = session.post(f"{path}/reply", {"text": "Tutatuma afisa wa ardhi  Jumatatu."}, page=path)
    shown = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Reply on report R-LAND22: what it sends" in shown
    assert "HMK kuhusu ripoti yako R-LAND22: Tutatuma afisa wa ardhi Jumatatu." in shown
    assert "Total: 1 person · messages: 1 · KES 0.80" in shown
    dry = api.post(
        f"/reports/{inbox['land']}/reply/estimate", {"text": "Tutatuma afisa wa ardhi  Jumatatu."}
    ).get_json()
    assert dry["token"] == confirmation(shown)["estimate_token"]  # the API's estimate: the same
    assert [line["segments"] for line in dry["lines"]] == [1] and dry["cost_kes"] == "0.8000"
    workers.drain()
    assert emulator.messages() == []  # nothing goes before the officer confirms
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.kind == "report_reply")) is None
    response = session.post(f"{path}/reply", confirmation(shown), page=path)
    assert response.status_code == 302
    page = session.get(path).get_data(as_text=True)
    assert "Reply queued to +2547" in page and SW_PHONE not in page
    assert emulator.messages() == []  # nothing goes before a worker runs
    workers.drain()
    sent = [m for m in emulator.messages() if m["to"] == SW_PHONE]
    assert [m["text"] for m in sent] == [
        "HMK kuhusu ripoti yako R-LAND22: Tutatuma afisa wa ardhi Jumatatu."
    ]
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.kind == "report_reply"))
        assert message is not None and message.status in ("sent", "submitted", "delivered")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.reply"))
        assert event is not None and event.actor == "mutua@hmk.example"
        assert event.details["message_id"] == message.id
        assert SW_PHONE not in str(event.details) and event.details["to"].startswith("+2547")
    assert workers.failed() == []


def test_an_anonymous_report_cannot_be_replied_to(
    app: Flask, admin_as, inbox, workers, emulator
) -> None:
    session = admin_as("admin")
    path = f"/admin/reports/{inbox['anonymous']}"
    page = session.get(path).get_data(as_text=True)
    assert "Send SMS" not in page and "anonymous: it cannot be replied to" in page
    session.post(f"{path}/reply", {"text": "We are on it."}, page="/admin/")
    page = session.get(path).get_data(as_text=True)
    assert "anonymous: it cannot be replied to" in page
    workers.drain()
    assert emulator.messages() == []
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.kind == "report_reply")) is None
        assert (
            db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "report.reply"))
            is None
        )


def test_no_reply_goes_to_a_reporter_who_opted_out(
    app: Flask, admin_as, inbox, workers, emulator
) -> None:
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == KWALE_PHONE))
        assert contact is not None
        opt_out(contact, channel="sms")
        db.session.commit()
    session = admin_as("admin")
    path = f"/admin/reports/{inbox['kwale']}"
    session.post(f"{path}/reply", {"text": "We are on it."}, page=path)
    assert "opted out of SMS" in session.get(path).get_data(as_text=True)
    workers.drain()
    assert emulator.messages() == []


def test_a_description_is_shown_escaped(app: Flask, admin_as) -> None:
    report = _report(app, "R-XSS222", description='<script>alert("x")</script> & <b>bold</b>')
    page = admin_as("admin").get(f"/admin/reports/{report}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert" not in page


def test_an_assignee_that_is_no_user_id_is_refused_not_an_error(
    app: Flask, admin_as, make_user, inbox
) -> None:
    """Does a tampered assign form (a user id of ², of Arabic-Indic digits or past 64 bits) get
    the Bad Request page and leave the report as it was; is a report id past 64 bits Not found."""
    make_user("coordinator", name="Kitui Coordinator", counties=("Kitui",))
    session = admin_as("admin")
    water = f"/admin/reports/{inbox['water']}"
    for user_id in ("²", "٣", "99999999999999999999", "9223372036854775808"):
        refused = session.post(f"{water}/assign", {"user_id": user_id}, page=water)
        assert refused.status_code == 400, user_id
        assert "Bad Request" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Report, inbox["water"]).assigned_to_id is None  # type: ignore[union-attr]
    for path in ("/admin/reports/99999999999999999999", "/admin/reports/9223372036854775808"):
        missing = session.get(path)
        assert missing.status_code == 404
        assert "There is nothing at this address." in missing.get_data(as_text=True)
    assert session.get(f"/admin/reports/{'٣'}").status_code == 404  # only ASCII digits are ids
