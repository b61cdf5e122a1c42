"""The Platforms pages in a real browser, on a phone's width."""

from __future__ import annotations

from typing import Any

from gateway import demo
from gateway.extensions import db
from gateway.platforms.models import Platform

from .conftest import Live, login
from .test_browser_layout import PHONE, _check


def test_platform_pages_fit_a_phone_and_a_pin_can_be_set(
    live: Live, browser: Any, make_user: Any
) -> None:
    """Do the platforms list and a platform's page (sites, members, the leader's PIN form) fit
    390 px, and can an admin make a member a leader by typing a PIN there."""
    with live.app.app_context():
        demo.load()
        platform_id = db.session.scalar(db.select(Platform.id).where(Platform.code == "MUI"))
    make_user("admin", email="phone@hmk.example")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        login(page, live, "phone@hmk.example")
        _check(page, live, "/admin/platforms")
        _check(page, live, f"/admin/platforms/{platform_id}")
        member = page.locator("#members-table tbody tr", has_text="Member").first
        actions = page.locator(f"#{member.get_attribute('id')}-actions")
        actions.locator("input[name=pin]").fill("5678")
        actions.locator("form").first.locator("button").click()
        page.wait_for_load_state("networkidle")
        assert "is a leader with the new PIN" in page.content()
        assert errors == []
    finally:
        context.close()
