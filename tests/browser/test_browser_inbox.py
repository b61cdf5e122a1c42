"""In a real browser: a free-text SMS (posted to /at/sms as Africa's Talking does, handled by
the real worker process) appears in the open inbox by itself; the officer opens the
conversation, picks a saved reply in Kiswahili, sees its encoding, SMS count and cost, sends it
(the emulator gets it once, billed for the segments shown), assigns it and marks it handled.
Screenshots of the inbox and the conversation at desktop width."""

from __future__ import annotations

import time
from typing import Any

from factories import joined_contact
from sqlalchemy import select

from gateway.extensions import db
from gateway.inbox.models import Conversation, SavedReply

from .conftest import Live, login, shot
from .test_browser_radio import listener_sms

ASKER = "+254711000041"
SAVED_SW = (
    "Asante kwa ujumbe wako. Mkutano ujao wa jukwaa la kaunti ni Jumamosi saa nne asubuhi "
    "katika ofisi ya wadi ya Mui. Piga *384*123# kuona mikutano yote na miongozo ya haki zako."
)


def _sent(emulator: Any, text: str, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [m for m in emulator.messages() if m["to"] == ASKER and m["text"] == text]
        if found:
            time.sleep(1.0)  # a second copy, if one were coming, would be here by now
            return [m for m in emulator.messages() if m["to"] == ASKER and m["text"] == text]
        time.sleep(0.2)
    return []


def test_an_sms_arrives_live_and_is_answered_with_a_saved_reply_assigned_and_handled(
    live: Live, page: Any, make_user: Any, emulator: Any
) -> None:
    assert len(SAVED_SW) > 160  # two SMS: the estimate must say so
    contact_id = joined_contact(live.app, ASKER, "sw")
    with live.app.app_context():
        db.session.add(
            SavedReply(name="Mkutano ujao", texts={"en": "The next meeting...", "sw": SAVED_SW})
        )
        db.session.commit()
    make_user("admin", email="officer@hmk.example", name="Wanjiru Officer")
    login(page, live, "officer@hmk.example")
    page.click("nav >> text=Inbox")
    page.wait_for_url(f"{live.url}/admin/inbox")
    assert page.locator("#inbox-empty").count() == 1

    listener_sms(live, ASKER, "Habari, mkutano ujao wa jukwaa ni lini?", 41)
    row = page.locator("#inbox-rows tr", has_text="mkutano ujao wa jukwaa ni lini?")
    row.wait_for(timeout=15_000)  # arrives by itself: the rows are polled
    assert "Kitui / Mui" in row.inner_text() and "+2547••••••41" in row.inner_text()
    assert row.locator(".badge", has_text="Unhandled").count() == 1
    shot(page, "inbox")

    row.locator("a").click()
    page.wait_for_url(f"{live.url}/admin/inbox/contacts/{contact_id}")
    page.select_option("select[name=saved]", label="Mkutano ujao")
    page.wait_for_function("t => document.getElementById('reply-text').value === t", arg=SAVED_SW)
    page.wait_for_selector("#reply-estimate .segments")
    assert page.locator("#reply-estimate .encoding").inner_text() == "GSM-7"
    assert page.locator("#reply-estimate .segments").inner_text() == (
        f"2 SMS ({len(SAVED_SW)} characters)"
    )
    assert page.locator("#reply-estimate .cost").inner_text() == "KES 1.60"
    assert page.locator("#reply-estimate .phone .screen").count() == 2
    page.uncheck("input[name=handled]")
    page.click("#send-reply")
    page.wait_for_selector("text=Queued to +2547••••••41 (2 SMS).")

    sent = _sent(emulator, SAVED_SW)
    assert len(sent) == 1 and sent[0]["cost"] == "KES 1.6000"  # once, billed for two SMS
    reached = ", ".join(
        f"#thread li.kind-inbox_reply .status[data-status={status}]"
        for status in ("sent", "submitted", "delivered")
    )
    page.wait_for_selector(reached, timeout=15_000)  # its status, as the worker moved it

    page.select_option("select[name=user_id]", label="Wanjiru Officer (Admin)")
    page.click("#assign")
    page.wait_for_selector("#conversation-assignee:text('Wanjiru Officer')")
    page.click("#mark-handled")
    page.wait_for_selector("#conversation-state:has-text('Handled')")
    shot(page, "inbox-conversation")
    with live.app.app_context():
        found = db.session.scalar(select(Conversation))
        assert found is not None and found.handled_at is not None
        assert found.assigned_to_id is not None
        db.session.remove()

    page.goto(f"{live.url}/admin/inbox?state=unhandled")
    page.wait_for_selector("#inbox-empty")
    page.goto(f"{live.url}/admin/inbox?state=mine")
    assert page.locator("#inbox-rows tr", has_text="ni lini?").count() == 1
    assert page.console_errors == []
