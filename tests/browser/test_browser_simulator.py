"""In a real browser: the Phone simulator completing a USSD session, and the guides editor's
live checks."""

from __future__ import annotations

from typing import Any

from .conftest import Live, login, shot


def test_the_simulator_completes_a_ussd_session(live: Live, page: Any, make_user: Any) -> None:
    """Dial, choose a language, join through the menus, and reach the END screen."""
    make_user("viewer", email="viewer@hmk.example")
    login(page, live, "viewer@hmk.example")
    page.goto(f"{live.url}/admin/simulator")
    assert "This is a simulation" in (page.text_content("main") or "")
    page.click("#phone button.dial")
    page.wait_for_selector("#screen:text('Choose your language')")
    shot(page, "simulator-language")
    # A style the browser itself set (a resized box does this), which htmx must not copy
    # onto the swapped-in screen: the Content-Security-Policy would refuse it.
    page.eval_on_selector("#screen", "screen => { screen.style.minHeight = '13rem'; }")
    page.click("button.key[value='1']")  # English, on the keypad
    page.wait_for_selector("#screen:text('Join my community platform')")
    for expected in ("Which county", "Which ward", "Do you agree?"):
        page.fill("#phone input.ussd-input", "1")
        page.click("#phone button.send")
        page.wait_for_selector(f"#screen:text('{expected}')")
    page.fill("#phone input.ussd-input", "1")
    page.click("#phone button.send")
    page.wait_for_selector("#screen.ended:text('You have joined the Kitui community platform')")
    assert page.locator("#phone button.dial").is_visible()
    page.wait_for_selector("#replies .sms-text:text('Welcome')", timeout=10_000)
    shot(page, "simulator-end")
    page.set_viewport_size({"width": 1024, "height": 640})
    shot(page, "simulator-small")
    assert page.console_errors == []


def test_the_guides_editor_checks_as_one_types(live: Live, page: Any, make_user: Any) -> None:
    """Does the editor say a chapter title is too long as it is typed, and fit when fixed?"""
    guide = next(iter(live.app.extensions["guides"].values()))
    chapter = guide.chapters[0]
    make_user("admin", email="editor@hmk.example")
    login(page, live, "editor@hmk.example")
    page.goto(f"{live.url}/admin/guides?language=sw")
    shot(page, "guides-list")
    page.goto(f"{live.url}/admin/guides/edit?key={chapter.text}&language=sw")
    page.fill("textarea[name=text]", "Haki ☃ " + "maneno " * 100)
    page.wait_for_selector("#check.bad li:has-text('not GSM-7')")
    assert "at most 600" in (page.text_content("#check") or "")
    shot(page, "guides-editor-refused")
    page.goto(f"{live.url}/admin/guides/edit?key={chapter.title}&language=sw")
    page.fill("textarea[name=text]", "Idhini ya jamii")
    page.wait_for_selector("#check.ok")
    page.click("button[value=save]")
    page.wait_for_selector(".flash:has-text('Saved')")
    assert "Idhini ya jamii" in (page.text_content("main") or "")
    assert page.console_errors == []
