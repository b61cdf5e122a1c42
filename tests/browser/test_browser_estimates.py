"""In a real browser: creating a meeting shows, before anything is sent, what it will send
(per language the alert and reminders, their encoding and segments, a phone preview, the cost
and the budget left) and waits; only the confirmation sends, and a real worker delivers the
alerts to the emulator."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from factories import joined_contact
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.meetings.models import Meeting

from .conftest import Live, login, shot

EAT = ZoneInfo("Africa/Nairobi")
EN, SW = "+254711000001", "+254711000002"


def _meetings(live: Live) -> int:
    with live.app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Meeting)) or 0)


def test_a_meetings_send_shows_its_estimate_and_waits_for_confirmation(
    live: Live, page: Any, make_user: Any, emulator: Any
) -> None:
    joined_contact(live.app, EN, "en")
    joined_contact(live.app, SW, "sw")
    make_user("admin", email="officer@hmk.example", name="Officer")
    login(page, live, "officer@hmk.example")
    starts = (datetime.now(EAT) + timedelta(days=3)).replace(hour=10, minute=0)
    page.goto(f"{live.url}/admin/meetings/new")
    page.select_option("select[name=county]", "Kitui")
    page.fill("input[name=place]", "Mui Primary School")
    page.fill("input[name=starts_at]", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=title_en]", "Mui coal platform meeting")
    page.fill("input[name=title_sw]", "Mkutano wa jukwaa la makaa Mui")
    page.click("form.card button[type=submit]")

    estimate = page.locator("#send-estimate")
    estimate.wait_for()
    alert_en = page.locator("#estimate-meeting_alert-en")
    shown_en = alert_en.locator(".phone").inner_text()
    assert "Mui coal platform meeting:" in shown_en
    assert "GSM-7" in alert_en.inner_text() and "1 SMS" in alert_en.inner_text()
    alert_sw = page.locator("#estimate-meeting_alert-sw")
    assert "Mkutano wa jukwaa la makaa Mui" in alert_sw.locator(".phone").inner_text()
    total = page.locator("#estimate-total").inner_text()
    assert total.startswith("Total: 2 people")
    assert "Budget left this month: KES" in page.locator("#estimate-budget").inner_text()
    shot(page, "meeting-send-estimate")

    time.sleep(2)  # the worker runs: still nothing, the officer has not confirmed
    assert emulator.messages() == [] and _meetings(live) == 0

    page.click("#confirm-send")
    page.wait_for_url(f"{live.url}/admin/meetings/*")
    assert "Meeting created" in page.inner_text("body")
    deadline = time.monotonic() + 20
    while len(emulator.messages()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    sent = {m["to"]: m["text"] for m in emulator.messages()}
    assert set(sent) == {EN, SW} and _meetings(live) == 1
    assert sent[EN] in shown_en  # what was previewed is what went
    assert page.console_errors == []
