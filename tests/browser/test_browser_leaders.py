"""In a real browser on a phone-sized screen: an officer approves a platform leader's waiting
announcement with a Kiswahili translation, after the estimate, and the real worker process
sends it to the members (the translation to the Kiswahili speaker, the leader's words to the
English one); the attendance pages fit 390 px."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from factories import joined_contact
from werkzeug.security import generate_password_hash

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.leaders.attendance import CODE, code_of, record
from gateway.meetings.models import Meeting
from gateway.platforms.models import LEADER, Announcement, Membership, Platform
from gateway.sms.texts import with_optout_hint

from .conftest import Live, login, shot

PHONE = {"width": 390, "height": 844}
LEADER_PHONE, MEMBER_SW, MEMBER_EN = "+254711000300", "+254711000301", "+254711000302"
WORDS = "Water meeting on Saturday at 10am at the chief's camp in Mui, bring your water bills."
TRANSLATION = "Mkutano wa maji Jumamosi saa nne asubuhi kambi ya chifu Mui, leteni bili za maji."


def _texts(emulator: Any, phone: str, timeout_s: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        texts = [m["text"] for m in emulator.messages() if m["to"] == phone]
        if texts:
            return texts
        time.sleep(0.2)
    return []


def _fits(page: Any, path: str, live: Live) -> None:
    response = page.goto(live.url + path)
    assert response is not None and response.status == 200, path
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} scrolls sideways: {width} px wide"


def test_an_officer_approves_a_leaders_announcement_on_a_phone(
    live: Live, browser: Any, make_user: Any, emulator: Any
) -> None:
    leader = joined_contact(live.app, LEADER_PHONE, "en")
    swahili = joined_contact(live.app, MEMBER_SW, "sw")
    english = joined_contact(live.app, MEMBER_EN, "en")
    joined_contact(live.app, "+254711000309", "sw")  # in Kitui, in no platform
    with live.app.app_context():
        platform = Platform(
            name="Mui Basin Community Platform", code="MUI", county="Kitui", wards=["Mui"]
        )
        db.session.add(platform)
        db.session.flush()
        for contact in (leader, swahili, english):
            db.session.add(
                Membership(
                    platform_id=platform.id,
                    contact_id=contact,
                    role=LEADER if contact == leader else "member",
                    joined_via="admin",
                    pin_hash=generate_password_hash("2580") if contact == leader else None,
                )
            )
        meeting = Meeting(
            title={"en": "Mui Basin platform meeting on the coal blocks' water"},
            county="Kitui",
            platform_id=platform.id,
            place="Chief's camp, Mui",
            starts_at=utcnow() - timedelta(minutes=20),
        )
        db.session.add(meeting)
        db.session.flush()
        code_of(meeting)
        member = db.session.get(Contact, swahili)
        assert member is not None
        record(meeting, member, CODE, None)
        announcement = Announcement(
            platform_id=platform.id,
            leader_id=leader,
            text=WORDS,
            language="en",
            translations={},
            channel="sms",
        )
        db.session.add(announcement)
        db.session.commit()
        ids = {"platform": platform.id, "meeting": meeting.id, "announcement": announcement.id}
        expected_sw = with_optout_hint(TRANSLATION, "sw")
        expected_en = with_optout_hint(WORDS, "en")
    make_user("admin", email="officer@hmk.example", name="Wanjiru Officer")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live, "officer@hmk.example")
        _fits(page, "/admin/platforms/announcements", live)
        assert (
            page.locator(f"#estimate-{ids['announcement']}")
            .text_content()
            .startswith("Reaches 3 members")
        )
        page.fill("textarea[name=text_sw]", TRANSLATION)
        page.click("text=Save translations")
        page.wait_for_selector("text=Translations saved.")
        shot(page, "390-platform-announcements")
        page.click(f"#approve-{ids['announcement']}")
        page.wait_for_selector("#confirm-send")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert _texts(emulator, MEMBER_SW, timeout_s=1) == []  # the estimate sends nothing
        page.click("#confirm-send")
        page.wait_for_selector("text=Approved: it is going to 3 members.")
        assert _texts(emulator, MEMBER_SW) == [expected_sw]
        assert _texts(emulator, MEMBER_EN) == [expected_en]
        assert [m for m in emulator.messages() if m["to"] == "+254711000309"] == []
        for path in (
            "/admin/attendance",
            f"/admin/attendance/meetings/{ids['meeting']}",
            f"/admin/attendance/platforms/{ids['platform']}",
            f"/admin/attendance/contacts/{swahili}",
        ):
            _fits(page, path, live)
        shot(page, "390-attendance-contact")
        assert page.locator("#attended-count").text_content() == "Attended 1 platform meetings"
    finally:
        context.close()
