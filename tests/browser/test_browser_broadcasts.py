"""In a real browser: composing a Kiswahili broadcast with a curly quote, fixing it to GSM-7,
sending it, and watching its progress bar reach the end while a real worker sends it to the
emulator."""

from __future__ import annotations

import re
import time
from datetime import time as clock
from typing import Any

import pytest
from factories import joined_contact
from sqlalchemy import select

from gateway.broadcasts.models import Broadcast
from gateway.extensions import db
from gateway.sms.models import Message

from .conftest import Live, login, shot

CURLY_SW = (
    "Mkutano wa wananchi utafanyika Jumamosi saa nne asubuhi katika ukumbi wa kaunti. "
    "Karibuni nyote\N{RIGHT SINGLE QUOTATION MARK}"
)
SW_PHONES = [f"+25472200000{n}" for n in range(3)]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """No quiet hours in the app either (the ``live`` worker has none): it sends at once."""
    return {"quiet_start": clock(0, 0), "quiet_end": clock(0, 0)}


def test_compose_fix_send_and_watch_a_kiswahili_broadcast(
    live: Live, page: Any, make_user: Any, emulator: Any
) -> None:
    for phone in SW_PHONES:
        joined_contact(live.app, phone, language="sw")
    joined_contact(live.app, "+254711000009", language="en")
    make_user("admin", email="officer@hmk.example", name="Officer")
    login(page, live, "officer@hmk.example")
    page.goto(f"{live.url}/admin/broadcasts/new")

    page.fill("input[name=name]", "Mkutano wa Mui")
    page.fill("textarea[name=text_en]", "Public meeting on Saturday at 10:00 in the county hall.")
    page.fill("textarea[name=text_sw]", CURLY_SW)
    sw = page.locator("#estimate-sw")
    sw.locator(".encoding", has_text="UCS-2").wait_for()
    assert "\N{RIGHT SINGLE QUOTATION MARK}" in sw.locator(".ucs2").inner_text()
    assert "2 SMS" in sw.inner_text()
    assert "3 recipients get this text · KES 4.80" in sw.inner_text()  # 3 x 2 segments x 0.80
    assert "Total: 4 recipients · KES 5.60" in page.locator(".totals").inner_text()
    shot(page, "broadcast-composer-ucs2")

    sw.get_by_role("button", name="Fix").click()
    page.locator("#estimate-sw .encoding", has_text="GSM-7").wait_for()
    sw = page.locator("#estimate-sw")
    assert "1 SMS" in sw.inner_text()
    assert "3 recipients get this text · KES 2.40" in sw.inner_text()
    assert "Total: 4 recipients · KES 3.20" in page.locator(".totals").inner_text()
    fixed = page.input_value("textarea[name=text_sw]")
    assert fixed == CURLY_SW.replace("\N{RIGHT SINGLE QUOTATION MARK}", "'")
    assert page.locator("#estimate-sw .phone .screen").count() == 1  # one 160-character page
    shot(page, "broadcast-composer")
    page.set_viewport_size({"width": 1024, "height": 640})
    shot(page, "broadcast-composer-small")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.click("#send")
    page.wait_for_url(re.compile(r".*/admin/broadcasts/\d+$"))
    bar = page.locator("#bar")
    seen = []
    deadline = time.monotonic() + 60
    while True:
        value, maximum = bar.get_attribute("value"), bar.get_attribute("max")
        seen.append((value, maximum))
        if maximum == "4" and value == "4" and "Sent" in page.locator("#status").inner_text():
            break
        assert time.monotonic() < deadline, f"the progress bar stopped at {seen[-1]}"
        time.sleep(0.25)
    outcomes = page.locator("#outcomes tbody tr.outcome")
    assert outcomes.count() == 4
    table = page.locator("#outcomes").inner_text()
    assert "+2547••••••00" in table and "+254722000000" not in page.content()
    shot(page, "broadcast-progress")
    assert page.console_errors == []

    got = {m["to"]: m for m in emulator.messages() if m["status"] == "Success"}
    assert set(got) == {*SW_PHONES, "+254711000009"}
    assert got[SW_PHONES[0]]["text"] == fixed + "\nACHA kwa 22384"  # with the way out
    with live.app.app_context():
        broadcast = db.session.scalars(select(Broadcast)).one()
        statuses = db.session.scalars(
            select(Message.status).where(Message.broadcast_id == broadcast.id)
        ).all()
        assert broadcast.status == "sent"
        assert broadcast.texts["sw"] == fixed
        assert sorted(statuses) and set(statuses) <= {"sent", "submitted", "delivered"}
