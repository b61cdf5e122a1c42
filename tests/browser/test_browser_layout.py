"""In a real browser on a phone's screen (390 x 844): every admin page fits the width (no
horizontal page scroll: wide tables and charts scroll inside their box), the menu is collapsed
behind a toggle that opens it, charts' labels stay legible and bars use the app's colours.
Screenshots of each page at 390 px go to ``test-artifacts/screenshots/390-*.png``."""

from __future__ import annotations

import re
from typing import Any

from factories import joined_contact, start_broadcast, surveys

from gateway import demo
from gateway.commitments.models import Commitment
from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.platforms.models import Platform
from gateway.polls.models import Poll
from gateway.radio.models import RadioShow
from gateway.reports.models import Report

from .conftest import Live, login, shot

PHONE = {"width": 390, "height": 844}
# Admin pages without arguments that are not pages of their own: files, fragments, the login.
NOT_PAGES = {
    "/admin/login",
    "/admin/contacts/export",
    "/admin/contacts/import/template.csv",
    "/admin/contacts/wards",
    "/admin/guides/edit",  # needs a guide's key: opened from the guides page below
    "/admin/simulator/replies",
    "/admin/simulator/call",
    "/admin/inbox/rows",  # the inbox's rows, fetched into the inbox page
    "/admin/commitments/scorecard.csv",
}
LIST_PAGES = [
    "/admin/",
    "/admin/contacts/",
    "/admin/contacts/new",
    "/admin/contacts/import",
    "/admin/inbox",
    "/admin/inbox/send",
    "/admin/inbox/saved-replies",
    "/admin/broadcasts",
    "/admin/broadcasts/new",
    "/admin/meetings",
    "/admin/meetings/new",
    "/admin/polls",
    "/admin/polls/new",
    "/admin/surveys",
    "/admin/surveys/new",
    "/admin/consultations",
    "/admin/consultations/new",
    "/admin/reports",
    "/admin/radio",
    "/admin/radio/new",
    "/admin/guides",
    "/admin/voice/prompts",
    "/admin/voice/questions",
    "/admin/simulator",
    "/admin/users",
    "/admin/tokens",
    "/admin/audit",
    "/admin/platforms/announcements",
    "/admin/attendance",
    "/admin/platforms",
    "/admin/commitments",
    "/admin/commitments/new",
    "/admin/commitments/scorecard",
    "/admin/duty-bearers",
]
# The rendered size of each chart label: its CSS font size times its chart's scale.
CHART_FONTS = """() => [...document.querySelectorAll('svg.chart text')].map(
  t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a)"""


def _content(live: Live) -> dict[str, int]:
    """Something on every page, long enough to be wide: the demo content, a broadcast, a
    survey, a report, a radio show, contacts with many tags; the ids of the detail pages."""
    contact = joined_contact(
        live.app,
        "+254712000001",
        language="sw",
        county="Taita Taveta",
        ward="Wusi/Kishamba",
        tags=("youth", "farmers", "women-leaders", "mui-basin-affected-households"),
    )
    for n in range(12):
        joined_contact(live.app, f"+2547330000{n + 10}", language="kam", county="Kitui")
    broadcast, _ = start_broadcast(
        live.app,
        "Kitui water alert: the river below the Mui coal site",
        {
            "en": "Meeting on the Mui river water at the chief's camp, Saturday 10am.",
            "sw": "Mkutano kuhusu maji ya mto Mui katika kambi ya chifu, Jumamosi saa nne.",
        },
    )
    survey = surveys(live.app)
    with live.app.app_context():
        demo.load()
        report = Report(
            reference="R-7K2Q",
            contact_id=contact,
            category="water",
            county="Kitui",
            ward="Mui",
            description="The river is brown below the mine " * 8,
            channel="sms",
        )
        show = RadioShow(
            station="Kitui Community Radio",
            name="Madini Ni Yetu",
            keywords=["MADINI"],
            schedule=[{"weekday": 3, "start": "19:00", "end": "20:00"}],
        )
        db.session.add_all([report, show])
        db.session.commit()
        meeting = db.session.scalar(db.select(Meeting.id).limit(1))
        poll = db.session.scalar(db.select(Poll.id).limit(1))
        commitment = db.session.scalar(db.select(Commitment.id).limit(1))
        return {
            "contact": contact,
            "broadcast": broadcast,
            "survey": next(iter(survey.values())),
            "report": report.id,
            "show": show.id,
            "meeting": meeting,
            "poll": poll,
            "platform": db.session.scalar(db.select(Platform.id).limit(1)),
            "commitment": commitment,
        }


def _pages(live: Live, ids: dict[str, int]) -> list[str]:
    return [
        *LIST_PAGES,
        f"/admin/contacts/{ids['contact']}",
        f"/admin/inbox/contacts/{ids['contact']}",
        f"/admin/broadcasts/{ids['broadcast']}",
        f"/admin/meetings/{ids['meeting']}",
        f"/admin/polls/{ids['poll']}",
        f"/admin/surveys/{ids['survey']}",
        f"/admin/reports/{ids['report']}",
        f"/admin/radio/{ids['show']}",
        f"/admin/radio/{ids['show']}/edit",
        f"/admin/users/{ids['user']}",
        f"/admin/platforms/{ids['platform']}",
        f"/admin/commitments/{ids['commitment']}",
        f"/admin/commitments/{ids['commitment']}/edit",
    ]


def _name(path: str) -> str:
    return "390-" + (
        re.sub(r"[^a-z0-9]+", "-", path.removeprefix("/admin/")).strip("-") or "dashboard"
    )


def _check(page: Any, live: Live, path: str) -> None:
    """The page at ``path`` fits 390 px with its menu collapsed, and with it open."""
    response = page.goto(live.url + path)
    assert response is not None and response.status == 200, path
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways: {width} px wide"
    toggle = page.locator("header.top .menu-toggle")
    nav = page.locator("header.top nav")
    assert toggle.is_visible() and not nav.is_visible(), f"{path}: the menu is not collapsed"
    assert toggle.get_attribute("aria-expanded") == "false"
    fonts = page.evaluate(CHART_FONTS)
    assert min(fonts, default=11) >= 11, f"{path}: chart labels of {min(fonts)} px"
    shot(page, _name(path))
    toggle.click()
    assert nav.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    toggle.click()
    assert not nav.is_visible()


def test_every_admin_page_fits_a_phone_screen_with_the_menu_behind_a_toggle(
    live: Live, browser: Any, make_user: Any
) -> None:
    """Does every admin page, at 390 px wide, fit the screen (no sideways page scroll) with
    the menu collapsed behind a toggle that opens and closes it, chart labels at least 11 px,
    without a blocked script?"""
    ids = _content(live)
    rules = {
        rule.rule
        for rule in live.app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        and "GET" in (rule.methods or ())
        and not rule.arguments
        and rule.endpoint != "admin.static"
    }
    assert rules - NOT_PAGES == set(LIST_PAGES)  # a new page is checked here too
    ids["user"] = make_user("admin", email="phone@hmk.example", name="Wanjiru Kamau-Mwangangi")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        login(page, live, "phone@hmk.example")
        for path in _pages(live, ids):
            _check(page, live, path)
        # The guides' editor and a voice prompt, opened from their lists.
        for path, link in (
            ("/admin/guides", "a[href*='/admin/guides/edit']"),
            ("/admin/voice/prompts", "a[href^='/admin/voice/prompts/']"),
        ):
            page.goto(live.url + path)
            href = page.locator(link).first.get_attribute("href")
            _check(page, live, href)
        assert errors == []
    finally:
        context.close()


def test_contacts_a_broadcast_and_the_dashboard_on_a_phone(
    live: Live, browser: Any, make_user: Any
) -> None:
    """On a 390 px screen: does the contacts table scroll inside its box (not the page), the
    ward filter follow the county chosen, the broadcast's bars use the app's colours, and the
    dashboard's chart labels stay at least 11 px high?"""
    ids = _content(live)
    make_user("admin", email="phone@hmk.example")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, live, "phone@hmk.example")
        page.goto(f"{live.url}/admin/contacts/")
        table = page.locator("table#contacts")
        scroll, client = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
        assert scroll > client  # wider than the screen: it scrolls in its box
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.select_option("select[name=county]", "Kwale")
        # With no county chosen every county's wards are listed: wait for Kitui's to go.
        page.wait_for_function(
            "() => { const w = [...document.querySelectorAll('#ward option')].map(o => o.text);"
            " return w.includes('Ramisi') && !w.includes('Mui'); }"
        )
        wards = page.locator("#ward option").all_text_contents()
        assert "Mui" not in wards and "Ramisi" in wards and "Ukunda" in wards
        page.locator("header.top .menu-toggle").click()
        shot(page, "390-contacts-menu-open")

        page.goto(f"{live.url}/admin/broadcasts/{ids['broadcast']}")
        bars = page.locator("progress, meter")
        assert bars.count() > 0
        colours = bars.evaluate_all("els => els.map(e => getComputedStyle(e).accentColor)")
        assert set(colours) == {"rgb(176, 101, 44)"}  # --bar
        shot(page, "390-broadcast")

        page.goto(f"{live.url}/admin/")
        assert page.locator("meter#spend").evaluate("e => getComputedStyle(e).accentColor") == (
            "rgb(176, 101, 44)"
        )
        fonts = page.evaluate(CHART_FONTS)
        assert fonts and min(fonts) >= 11, fonts
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "390-dashboard")
    finally:
        context.close()
