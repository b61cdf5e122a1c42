"""In a real browser: the contacts list and page, a coordinator kept to their county, and a
CSV import whose progress bar fills while the worker process imports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factories import joined_contact, meetings, polls
from playwright.sync_api import expect

from gateway.contacts.models import ContactTag
from gateway.extensions import db
from gateway.meetings.models import Rsvp
from gateway.reports.models import Report

from .conftest import Live, login, shot

KITUI = "+254712000001"
KWALE = "+254712000002"


def test_a_coordinator_cannot_open_another_countys_contact(
    live: Live, page: Any, make_user: Any, at: Any
) -> None:
    """A Kitui coordinator sees Kitui's contacts and their page, and is refused Kwale's."""
    kitui = joined_contact(live.app, KITUI, county="Kitui", ward="Mui")
    polls(live.app)
    meeting = meetings(live.app)["kitui"]
    with live.app.app_context():
        db.session.add_all(
            [
                ContactTag(contact_id=kitui, tag="youth"),
                Rsvp(meeting_id=meeting, contact_id=kitui, attending=True, channel="sms"),
                Report(
                    reference="R-7K2Q",
                    contact_id=kitui,
                    category="water",
                    county="Kitui",
                    description="The river is brown below the mine",
                    channel="sms",
                ),
            ]
        )
        db.session.commit()
    at.sms(KITUI, "MADINI 1")  # a vote, answered by the worker process
    at.sms(KITUI, "<script>alert(1)</script>")
    kwale = joined_contact(live.app, KWALE, county="Kwale", ward="Ramisi")
    for n in range(8):
        joined_contact(live.app, f"+2547330000{n + 10}", language="sw", county="Kitui", ward="Nuu")
    make_user("coordinator", email="kitui@hmk.example", counties=("Kitui",))
    login(page, live, "kitui@hmk.example")
    page.click("header nav >> text=Contacts")
    rows = page.locator("table#contacts tbody tr")
    expect(rows).to_have_count(9)  # waits for the list: a click does not wait for the next page
    text = page.locator("table#contacts").text_content() or ""
    assert "Kwale" not in text and KITUI not in text and "+2547••••••01" in text
    shot(page, "contacts")

    page.click("text=+2547••••••01")
    assert page.locator("h1#phone").text_content() == KITUI  # in full for a coordinator
    for _ in range(40):  # until the worker has stored both SMS and answered the vote
        shown = page.locator("table#messages").text_content() or ""
        if "Sent" in shown and "<script>" in shown:
            break
        page.wait_for_timeout(250)
        page.reload()
    messages = page.locator("table#messages").text_content() or ""
    assert "MADINI 1" in messages and "<script>alert(1)</script>" in messages  # shown as text
    assert "MADINI" in (page.locator("table#votes").text_content() or "")
    assert "Mui platform meeting" in (page.locator("table#rsvps").text_content() or "")
    assert "R-7K2Q" in (page.locator("table#reports").text_content() or "")
    assert "Consent given" in (page.locator("table#consent").text_content() or "")
    shot(page, "contact_detail")
    page.set_viewport_size({"width": 1024, "height": 640})
    shot(page, "contact_detail_small")

    page.goto(f"{live.url}/admin/contacts/{kwale}")
    assert "Not allowed" in (page.locator("main").text_content() or "")
    assert KWALE not in page.content() and "Ramisi" not in page.content()
    # The browser's only complaint is the refused page itself (its 403), no blocked script.
    assert all("403" in error for error in page.console_errors)


def test_an_import_shows_its_progress_and_then_the_error_report(
    live: Live, page: Any, make_user: Any, tmp_path: Path
) -> None:
    """An officer uploads a file with a bad number: the bar fills, nothing is imported and
    the bad row is named; a good file's bar fills and its contacts appear."""
    make_user("admin", email="officer@hmk.example")
    login(page, live, "officer@hmk.example")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "phone,language,county,ward,tags,consent\n"
        "0712000001,sw,Kitui,Mui,youth,consent.v1\n"
        "07123,sw,Kitui,Mui,,consent.v1\n",
        encoding="utf-8",
    )
    page.goto(f"{live.url}/admin/contacts/import")
    assert "Nothing is half-imported" in (page.locator("#format").text_content() or "")
    page.set_input_files("input[name=file]", str(bad))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#import-status[data-status=failed]", timeout=20_000)
    bar = page.locator("progress#import-bar")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    outcome = page.locator("#import-outcome").text_content() or ""
    assert "Nothing was imported" in outcome
    report = page.locator("table#import-errors").text_content() or ""
    assert "07123" in report and "Not a valid phone number." in report
    shot(page, "contacts_import_errors")

    good = tmp_path / "good.csv"
    good.write_text(
        "phone,language,county,ward,tags,consent\n"
        + "".join(f"07330{n:05d},kam,Kitui,Mui,farmers,consent.v1\n" for n in range(600)),
        encoding="utf-8",
    )
    page.goto(f"{live.url}/admin/contacts/import")
    page.set_input_files("input[name=file]", str(good))
    page.click("main form button[type=submit]")
    page.wait_for_selector("#import-status[data-status=done]", timeout=30_000)
    bar = page.locator("progress#import-bar")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "600"
    assert "Imported: 600 new contacts, 0 updated." in (
        page.locator("#import-outcome").text_content() or ""
    )
    shot(page, "contacts_import_done")
    page.click("text=Back to the contacts")
    expect(page.locator("#total")).to_contain_text("600 contacts")
    assert page.console_errors == []
