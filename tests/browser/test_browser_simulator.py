"""In a real browser: the Phone simulator completing a USSD session, its keypad building an
answer as a phone's does, and the guides editor's live checks."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

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
    page.click("#phone button.send")
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


def screen_text(page: Any) -> str:
    return page.text_content("#screen") or ""


def test_the_simulator_keypad_builds_the_answer_and_send_sends_it(
    live: Live, page: Any, make_user: Any
) -> None:
    """Can one press 9, 8 and Send on the simulator's keypad to see the next page of a paged
    screen, and 0, 0, Send to go home, as on a phone; correct a wrong key with Del, type the
    answer on the keyboard, hang up with End, dial by typing the code, and send an SMS from
    the keypad?"""
    make_user("viewer", email="viewer@hmk.example")
    login(page, live, "viewer@hmk.example")
    page.goto(f"{live.url}/admin/simulator")
    entry = page.locator("#phone input[name=input]")
    page.click("#phone button.dial")
    page.wait_for_selector("#screen:text('Choose your language')")
    page.click("#phone button.key[value='1']")
    expect(entry).to_have_value("1")  # a key only types: nothing is sent yet
    assert "Choose your language" in screen_text(page)
    page.click("#phone button.send")
    page.wait_for_selector("#screen:text('Join my community platform')")
    expect(entry).to_have_value("")
    help_key = re.search(r"(\d+)\. Help", screen_text(page))
    assert help_key, screen_text(page)
    entry.focus()
    page.keyboard.type(help_key.group(1))  # the computer's keyboard types too
    page.keyboard.press("Enter")
    page.wait_for_selector("#screen:text('Haki Madini Kenya (HMK)')")
    first_page = screen_text(page)
    assert "98. " in first_page
    page.click("#phone button.key[value='9']")
    page.click("#phone button.key[value='8']")
    expect(entry).to_have_value("98")
    assert screen_text(page) == first_page
    shot(page, "simulator-keypad-98")
    page.click("#phone button.send")
    expect(page.locator("#screen")).not_to_have_text(first_page)
    assert "Haki Madini Kenya (HMK)" not in screen_text(page)  # the next page of the help
    for key in ("0", "7"):
        page.click(f"#phone button.key[value='{key}']")
    page.click("#phone button.del")  # the 7 was a slip
    page.click("#phone button.key[value='0']")
    expect(entry).to_have_value("00")
    page.click("#phone button.send")
    page.wait_for_selector("#screen:text('1. Join my community platform')")  # home
    page.click("#phone button.end")
    page.wait_for_selector("#screen.ended")
    assert "Join my community platform" not in screen_text(page)
    page.locator("#phone input[name=input]").focus()
    page.keyboard.type("*384*123#")
    page.click("#phone button.send")  # dialled by typing the code, as on a phone
    page.wait_for_selector("#phone[data-state=session] #screen:text('Haki Madini Kenya')")
    page.click("#phone button.end")
    page.wait_for_selector("#screen.ended")
    page.locator("#phone input[name=input]").fill("HELP")
    page.click("#phone button.send")  # not a code: the entry goes as an SMS
    page.wait_for_selector("#replies p:text('Sent: HELP')")
    expect(page.locator("#phone input[name=input]")).to_have_value("")
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
