"""The public site in a real browser, at a phone's width (390 px) and a laptop's (1280 px): the
demo poll's results page (bars, no map: the site ships no boundary file, its permalink and its
share image), the Community Guides, and the calendar with its iCalendar feed; each page checked
by axe-core (headings, labels, contrast...) and free of horizontal scrolling. Screenshots go to
``test-artifacts/screenshots/public-*.png``."""

from __future__ import annotations

import re
from typing import Any

import icalendar
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from public_seed import seed

from gateway import demo
from gateway.extensions import db
from gateway.polls.models import Poll

from .conftest import Live, shot

WIDTHS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
# Only the WCAG A and AA rules (and best practice on headings and landmarks).
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]},
}
WIDE = "() => document.documentElement.scrollWidth - window.innerWidth"


def _open(page: Any, url: str, name: str) -> None:
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, url
    assert page.evaluate(WIDE) <= 0, f"{url} runs off the side"
    found = Axe().run(page, options=AXE_OPTIONS)
    assert found.violations_count == 0, found.generate_report()
    assert not page.console_errors, page.console_errors
    shot(page, name)


def _demo_poll(live: Live) -> int:
    with live.app.app_context():
        demo.load()
        poll_id: int = db.session.scalar(db.select(Poll.id).where(Poll.keyword == "MADINI"))
        return poll_id


@pytest.mark.parametrize("size", WIDTHS)
def test_the_demo_polls_results_page_with_its_permalink_and_share_image(
    live: Live, page: Any, size: str
) -> None:
    """Can someone on a phone or a laptop read the demo poll's results as bars, follow its
    permalink, and open the picture shared with it?"""
    poll_id = _demo_poll(live)
    page.set_viewport_size(WIDTHS[size])
    _open(page, f"{live.url}/results/poll/{poll_id}", f"public-poll-{size}")
    assert page.locator("h1").inner_text() == "Should the county publish the mine's EIA report?"
    assert page.get_by_text("60 people answered.").is_visible()
    bars = page.locator("main svg[role=img]").first
    assert bars.is_visible() and bars.bounding_box()["width"] > 300
    assert page.locator("main svg[role=img] rect").count() >= 3
    assert page.get_by_role("heading", name="By county").is_visible()
    assert page.locator("main path, .map").count() == 0  # no map: no boundary file shipped
    image_url = page.locator('meta[property="og:image"]').get_attribute("content")
    assert image_url.endswith(f"/results/poll/{poll_id}.svg")
    page.get_by_role("link", name="Picture of the chart (SVG)").click()
    page.wait_for_url(f"**/results/poll/{poll_id}.svg")
    drawn = page.evaluate("() => document.documentElement.getBBox().width")
    assert drawn > 300  # the SVG itself, drawn by the browser
    assert page.locator("text").first.text_content() == (
        "Should the county publish the mine's EIA report?"
    )
    page.console_errors.clear()  # an SVG document has no icon link: Chromium asks /favicon.ico
    page.go_back()
    # The permalink is absolute, on GATEWAY_PUBLIC_URL (here the default, not this server).
    permalink = page.get_by_role("link", name=f"/results/poll/{poll_id}")
    assert permalink.get_attribute("href") == f"http://127.0.0.1:8000/results/poll/{poll_id}"
    page.goto(f"{live.url}/results/poll/{poll_id}")
    assert page.locator("h1").inner_text() == "Should the county publish the mine's EIA report?"
    page.get_by_role("link", name="Kiswahili").click()
    # expect waits for the next page: the English page has an h1 too
    expect(page.locator("h1")).to_have_text("Je, kaunti ichapishe ripoti ya EIA ya mgodi?")
    _open(page, page.url, f"public-poll-sw-{size}")


@pytest.mark.parametrize("size", WIDTHS)
def test_the_guides_read_one_chapter_a_page(live: Live, page: Any, size: str) -> None:
    """Can someone read a guide chapter by chapter, in English and Kiswahili?"""
    page.set_viewport_size(WIDTHS[size])
    _open(page, f"{live.url}/guides/", f"public-guides-{size}")
    page.get_by_role("link").filter(has_text="consent").first.click()
    expect(page.get_by_text("Sample content")).to_be_visible()
    _open(page, page.url, f"public-chapter-{size}")
    page.locator("a[rel=next]").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^2\. "))
    _open(page, f"{live.url}/sw/guides/", f"public-guides-sw-{size}")


@pytest.mark.parametrize("size", WIDTHS)
def test_the_calendar_and_its_feed(live: Live, page: Any, size: str) -> None:
    """Can someone see the meetings ahead and subscribe to their county's calendar?"""
    seed(live.app)
    page.set_viewport_size(WIDTHS[size])
    _open(page, f"{live.url}/calendar/", f"public-calendar-{size}")
    assert page.get_by_text("Mui platform meeting").is_visible()
    link = page.get_by_role("link", name="Calendar feed for Kitui (iCalendar)")
    feed = page.request.get(live.url + link.get_attribute("href"))
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Mui platform meeting",
        "National dialogue on mining",
    ]
    _open(page, f"{live.url}/", f"public-home-{size}")
    _open(page, f"{live.url}/results/", f"public-results-{size}")
    _open(page, f"{live.url}/scorecard/", f"public-scorecard-{size}")
    _open(page, f"{live.url}/consultations/", f"public-consultations-{size}")
    _open(page, f"{live.url}/data/", f"public-data-{size}")
