"""In a real browser on a phone's screen: a consultation's invite page shows what the invitation
will send (per language, a phone preview, the cost) within 390 px and sends nothing; only the
confirmation does, and a real worker delivers each person's invitation in their language."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from factories import joined_contact
from helpers import text

from gateway.consultations.models import Clause, Consultation
from gateway.extensions import db

from .conftest import Live, login, shot

PHONE = {"width": 390, "height": 844}
EN, SW, KWALE = "+254711000001", "+254711000002", "+254722000001"


def _consultation(live: Live) -> int:
    now = datetime.now(UTC)
    with live.app.app_context():
        consultation = Consultation(
            keyword="MAONI",
            title={"en": "Mining (Community Development) Regulations 2026"},
            draft_name="The Mining (Community Development) Regulations, 2026",
            issuing_body="Ministry of Mining",
            audience={"counties": ["Kitui"]},
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=14),
        )
        consultation.clauses.append(
            Clause(number=1, reference="Regulation 4(1)", summary={"en": "Notice of blasting."})
        )
        db.session.add(consultation)
        db.session.commit()
        return int(consultation.id)


def test_the_invite_page_fits_a_phone_and_sends_only_once_confirmed(
    live: Live, browser: Any, make_user: Any, emulator: Any
) -> None:
    joined_contact(live.app, EN, "en")
    joined_contact(live.app, SW, "sw")
    joined_contact(live.app, KWALE, "en", county="Kwale", ward=None)
    consultation_id = _consultation(live)
    make_user("admin", email="officer@hmk.example", name="Officer")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live, "officer@hmk.example")
        page.goto(f"{live.url}/admin/consultations/{consultation_id}/invite")
        page.locator("#send-estimate").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert "Mining (Community Development)" in page.locator("#send-estimate").inner_text()
        assert page.locator("#estimate-total").inner_text().startswith("Total: 2 people")
        shot(page, "390-consultation-invite")
        time.sleep(2)  # the worker runs: still nothing, the officer has not confirmed
        assert emulator.messages() == []
        page.click("#confirm-send")
        page.wait_for_load_state("networkidle")
        deadline = time.monotonic() + 20
        while len(emulator.messages()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        context.close()
    texts = {m["to"]: m["text"] for m in emulator.messages()}
    assert set(texts) == {EN, SW}
    title = "Mining (Community Development) Regulations 2026"  # no Kiswahili title: English
    for phone, language in ((EN, "en"), (SW, "sw")):
        invite = text(live.app, "sms.consult.invite", language, title=title, keyword="MAONI")
        assert texts[phone].startswith(invite)
