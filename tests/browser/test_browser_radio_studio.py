"""In a real browser: the studio around the host's board. "On air" with the episode's clock,
the empty board's how-to-take-part that gives way to the first SMS, and a hidden message kept
in its own list and shown again with one click."""

from __future__ import annotations

from typing import Any

from .conftest import Live, login, shot
from .test_browser_radio import HOST, listener_sms, on_air_now, wait_stored


def test_the_studio_board_hides_and_shows_again_live(live: Live, page: Any, make_user: Any) -> None:
    show_id = on_air_now(live)  # on air from 30 minutes ago to an hour from now
    make_user("radio_host", email=HOST, name="Host")
    login(page, live, HOST)
    page.goto(f"{live.url}/admin/radio/{show_id}")
    page.wait_for_selector("#board-state", state="hidden")  # the stream is open
    assert page.locator("#on-air").text_content() == "On air"
    # The schedule is kept to the minute: the show began 30 minutes ago, give or take one.
    assert page.locator("#clock-in").text_content() in ("29 min in", "30 min in", "31 min in")
    assert page.locator("#clock-left").text_content() in (
        "58 min left",
        "59 min left",
        "60 min left",
    )
    assert page.locator("#feed-empty").is_visible()
    assert "Text MADINI and their message to" in (page.locator("#feed-empty").text_content() or "")
    assert page.locator("#hidden-box").is_hidden()

    listener_sms(live, "+254733000021", "MADINI a word the host will hide", 21)
    wait_stored(live, 1)
    page.wait_for_selector("#feed li .text:text('a word the host will hide')", timeout=10_000)
    assert page.locator("#feed-empty").is_hidden()

    page.locator("#feed li").first.locator("button[data-mark=hide]").click()
    page.wait_for_selector(
        "#hidden-items li .text:text('a word the host will hide')", state="attached"
    )
    assert page.locator("#feed li").count() == 0
    page.locator("#hidden-box summary").click()
    shot(page, "radio-studio-hidden")
    page.locator("#hidden-items button[data-mark=show]").click()
    page.wait_for_selector("#feed li .text:text('a word the host will hide')")
    assert page.locator("#hidden-items li").count() == 0 and page.locator("#hidden-box").is_hidden()
    assert [e for e in page.console_errors if "favicon" not in e] == []
