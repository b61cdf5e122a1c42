"""In a real browser: an officer triages a report and replies to its sender by SMS (sent by the
real worker process to the emulator); a ``<script>`` in a description shows as text, never
runs. Also screenshots of the reports, meetings, polls and surveys lists."""

from __future__ import annotations

import time
from typing import Any

import factories
from factories import joined_contact
from sqlalchemy import select

from gateway.extensions import db
from gateway.polls.models import Poll, Vote
from gateway.reports.models import Report
from gateway.users.models import AuditEvent

from .conftest import Live, login, shot

REPORTER = "+254711000009"
EVIL = '<script>document.title="pwned";alert("x")</script> The pipe at Mui market leaks.'


def _emulated(emulator: Any, phone: str, count: int = 1, timeout_s: float = 20.0) -> list[str]:
    """The texts ``phone`` got, once there are ``count`` (or what there is after the wait)."""
    deadline = time.monotonic() + timeout_s
    texts: list[str] = []
    while time.monotonic() < deadline:
        texts = [m["text"] for m in emulator.messages() if m["to"] == phone]
        if len(texts) >= count:
            return texts
        time.sleep(0.2)
    return texts


def test_an_admin_triages_and_replies_and_a_script_stays_text(
    live: Live, page: Any, make_user: Any, emulator: Any
) -> None:
    contact = joined_contact(live.app, REPORTER, "en")
    with live.app.app_context():
        report = Report(
            reference="R-PIPE22",
            contact_id=contact,
            category="water",
            county="Kitui",
            ward="Mui",
            description=EVIL,
            language="en",
            channel="ussd",
        )
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    make_user("admin", email="officer@hmk.example", name="Wanjiru Officer")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, live, "officer@hmk.example")

    page.click("nav >> text=Reports")
    page.wait_for_url(f"{live.url}/admin/reports")
    assert page.locator("table tbody tr").count() == 1
    shot(page, "reports-list")
    page.click("text=R-PIPE22")
    page.wait_for_url(f"{live.url}/admin/reports/{report_id}")
    description = page.locator("#report-description")
    assert description.text_content() == EVIL  # shown as typed, as text
    assert page.title() != "pwned" and dialogs == []

    page.select_option("select[name=status]", "in_progress")
    page.click("text=Save status")
    page.wait_for_selector("text=Status changed to In progress.")
    page.select_option("select[name=user_id]", label="Wanjiru Officer (Admin)")
    page.click("text=Save assignee")
    page.wait_for_selector("text=Assigned to Wanjiru Officer.")
    assert page.locator("#report-status").text_content() == "In progress"
    assert page.locator("#report-assignee").text_content() == "Wanjiru Officer"

    page.fill("textarea[name=text]", "A plumber comes on Monday.")
    page.click("text=Send SMS")
    # What the reply sends, before it goes: the text as the reporter gets it, and its cost.
    estimate = page.locator("#estimate-report_reply-en")
    assert "HMK about your report R-PIPE22: A plumber comes on Monday." in estimate.inner_text()
    page.click("#confirm-send")
    page.wait_for_selector("text=Reply queued to")
    shot(page, "report-detail")
    # The reporter hears of the status change (they gave their name), then the reply.
    assert _emulated(emulator, REPORTER, count=2) == [
        "HMK: we are following up your report R-PIPE22.",
        "HMK about your report R-PIPE22: A plumber comes on Monday.",
    ]
    with live.app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "report")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["report.status", "report.assign", "report.reply"]
    assert page.title() != "pwned" and dialogs == []
    assert page.console_errors == []


def test_list_pages_read_well(live: Live, page: Any, make_user: Any) -> None:
    """Screenshots of the meetings, polls and surveys lists, on 1280x800 and a small laptop."""
    factories.meetings(live.app)
    polls = factories.polls(live.app)
    with live.app.app_context():
        poll = db.session.get(Poll, polls["open"])
        assert poll is not None
        for n, (county, position) in enumerate((("Kitui", 1), ("Kitui", 2), ("Kwale", 2))):
            voter = joined_contact(live.app, f"+25471100010{n}", county=county)
            option = poll.options[position - 1]
            db.session.add(
                Vote(
                    poll_id=poll.id,
                    contact_id=voter,
                    option_id=option.id,
                    channel="sms",
                    county=county,
                    language="en",
                )
            )
        db.session.commit()
    factories.surveys(live.app)
    make_user("admin", email="officer@hmk.example")
    login(page, live, "officer@hmk.example")
    for name in ("meetings", "polls", "surveys", "reports"):
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{live.url}/admin/{name}")
        assert page.locator("h1").text_content()
        shot(page, f"{name}-list")
        page.set_viewport_size({"width": 1024, "height": 600})
        shot(page, f"{name}-list-small")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live.url}/admin/polls")
    page.click("text=MADINI")
    page.wait_for_selector("text=Results: 3 votes")
    bars = page.locator("svg.chart").first.locator("rect.bar")
    widths = [float(bars.nth(i).get_attribute("width") or 0) for i in range(bars.count())]
    assert widths == [110, 220, 0]  # 1 vote for Yes, 2 for No
    shot(page, "poll-results")
    assert page.console_errors == []
