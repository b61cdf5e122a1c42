"""In a real browser: an admin adds a coordinator on the Users page, sees the reset link once,
and finds the change on the Audit page; nothing the page's policy blocks."""

from __future__ import annotations

from typing import Any

from .conftest import Live, login, shot


def test_an_admin_adds_a_coordinator_and_finds_it_in_the_audit_log(
    live: Live, page: Any, make_user: Any
) -> None:
    make_user("admin", email="officer@hmk.example", name="Officer")
    make_user("viewer", email="viewer@hmk.example", name="Amina Viewer")
    login(page, live, "officer@hmk.example")
    page.goto(f"{live.url}/admin/users")
    page.fill("input[name=email]", "musyoka@hmk.example")
    page.fill("input[name=name]", "Musyoka")
    page.select_option("select[name=role]", "coordinator")
    page.check("input[name=counties][value=Kitui]")
    shot(page, "users-list")
    page.click("text=Create the user")
    link = page.locator("#reset-link").input_value()
    assert "/admin/reset/" in link
    assert "Musyoka (musyoka@hmk.example)" in (page.text_content("main") or "")
    shot(page, "users-link")
    page.goto(f"{live.url}/admin/users")
    row = page.locator("tr", has_text="musyoka@hmk.example")
    assert "Kitui" in (row.text_content() or "") and "/admin/reset/" not in page.content()
    page.goto(f"{live.url}/admin/audit?action=user.create")
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "officer@hmk.example" in (rows.first.text_content() or "")
    shot(page, "audit")
    page.set_viewport_size({"width": 1024, "height": 640})
    page.goto(f"{live.url}/admin/users")
    shot(page, "users-list-small")
    assert page.console_errors == []  # no script or style the Content-Security-Policy refused
