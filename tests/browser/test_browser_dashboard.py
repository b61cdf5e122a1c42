"""In a real browser: logging in and the dashboard, with nothing the page's policy blocks."""

from __future__ import annotations

from typing import Any

from factories import joined_contact

from .conftest import Live, login, shot


def test_an_officer_logs_in_and_sees_subscribers_charted(
    live: Live, page: Any, make_user: Any
) -> None:
    """Can a secretariat officer log in in a browser and see subscribers by county as a chart."""
    for n, county in enumerate(("Kitui", "Kitui", "Kwale")):
        joined_contact(live.app, f"+25471200000{n}", county=county)
    make_user("admin", email="officer@hmk.example", name="Officer")
    page.goto(f"{live.url}/admin/")
    assert "/admin/login" in page.url
    login(page, live, "officer@hmk.example")
    chart = page.locator("svg.chart").first
    assert "Kitui" in (chart.text_content() or "") and "Kwale" in (chart.text_content() or "")
    bars = chart.locator("rect.bar")
    widths = [float(bars.nth(i).get_attribute("width") or 0) for i in range(bars.count())]
    assert widths[0] == 2 * widths[1] > 0  # Kitui has twice Kwale's subscribers
    shot(page, "dashboard")
    assert page.console_errors == []  # no script or style the Content-Security-Policy refused
