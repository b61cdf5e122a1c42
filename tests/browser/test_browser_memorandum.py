"""In a real browser on a phone's screen: the demo consultation's memorandum and its "you said,
we did" estimate fit 390 px (wide tables scroll in their box), and printed, the memorandum
leaves the admin's menu and tools off the paper."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway import demo
from gateway.consultations import demo as sample
from gateway.consultations.models import Consultation
from gateway.extensions import db

from .conftest import Live, login, shot

PHONE = {"width": 390, "height": 844}


def test_the_memorandum_fits_a_phone_and_prints_without_the_admin(
    live: Live, browser: Any, make_user: Any
) -> None:
    """Do the memorandum page and the "you said, we did" page fit a 390 px screen without
    sideways scroll or a blocked script, and does the printed memorandum show the memorandum
    (its cover, its tables) without the menu, the language switch or the download buttons?"""
    with live.app.app_context():
        demo.load()
        consultation = db.session.scalar(
            select(Consultation.id).where(Consultation.keyword == sample.CONSULTATION_KEYWORD)
        )
    make_user("admin", email="memo@hmk.example")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        login(page, live, "memo@hmk.example")
        for path, name in (
            (f"/admin/consultations/{consultation}/memorandum", "390-consultation-memorandum"),
            (f"/admin/consultations/{consultation}/you-said", "390-consultation-you-said"),
        ):
            response = page.goto(live.url + path)
            assert response is not None and response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} scrolls sideways: {width} px wide"
            shot(page, name)
        page.goto(f"{live.url}/admin/consultations/{consultation}/memorandum")
        page.emulate_media(media="print")
        assert page.locator("article.memorandum h1").is_visible()
        assert page.locator("#memo-sample").is_visible()
        assert page.locator("table[data-table='participants-county']").is_visible()
        assert not page.locator("header.top").is_visible()
        assert not page.locator("#memo-docx").is_visible()
        page.emulate_media(media="screen")
        assert page.locator("#memo-docx").is_visible()
        assert errors == []
    finally:
        context.close()
