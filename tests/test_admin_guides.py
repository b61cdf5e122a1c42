"""The admin UI's Guides and texts editor: checks like the message lint's shown as one types,
a saved excerpt or title served to USSD callers and SMS instead of the catalog's, the delay
for other processes, and who may edit."""

from __future__ import annotations

import html
import time

import factories
from sqlalchemy import select

from gateway.extensions import db
from gateway.guides import overrides
from gateway.guides.models import TextOverride

NUMBER = "+254712345678"
NEW_EXCERPT = (
    "EDITED: Before any mining licence is granted on community land, the company must get the "
    "consent of the owners and the county. Mining Act 2016, s. 37. Ask your county office for "
    "the licence file and write to them if nobody asked your village. Keep a copy of every "
    "letter and the date you sent it; go with your ward committee to the county offices."
)


def first_chapter(app):
    guide = next(iter(app.extensions["guides"].values()))
    return guide, guide.chapters[0]


def open_excerpt(phone, app, lang: str) -> str:
    guide, chapter = first_chapter(app)
    phone.lang = lang
    phone.dial()
    phone.choose(phone.text("ussd.main.learn", lang))
    phone.choose(phone.text(guide.title, lang))
    return phone.choose(phone.text(chapter.title, lang))


def test_an_edited_excerpt_is_what_ussd_and_sms_then_give(app, admin_as, phone, workers, emulator):
    """Does a saved excerpt (Kiswahili) reach a USSD caller's screen and the SMS of the whole
    excerpt, while English keeps its catalog text; and does going back restore it?"""
    factories.joined_contact(app, NUMBER, language="sw")
    guide, chapter = first_chapter(app)
    admin = admin_as("admin")
    listing = admin.get("/admin/guides?language=sw").get_data(as_text=True)
    assert html.escape(phone.text(chapter.title, "sw")) in listing
    assert "within 30 seconds" in listing
    path = f"/admin/guides/edit?key={chapter.text}&language=sw"
    saved = admin.post(path, {"key": chapter.text, "text": NEW_EXCERPT, "action": "save"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(TextOverride))
        assert (row.key, row.language, row.text) == (chapter.text, "sw", NEW_EXCERPT)

    screen = open_excerpt(phone, app, "sw")
    assert screen.startswith("CON EDITED: Before any mining licence")
    phone.press("1")  # send the whole excerpt by SMS
    workers.drain()
    [sms] = emulator.messages()
    assert sms["to"] == NUMBER and sms["text"] == NEW_EXCERPT
    with app.app_context():
        assert app.extensions["catalogs"].text(chapter.text, "en") != NEW_EXCERPT

    admin.post(path, {"key": chapter.text, "text": "", "action": "revert"})
    assert not open_excerpt(phone, app, "sw").startswith("CON EDITED")


def test_a_too_long_or_non_gsm_text_is_refused_with_the_reason(app, admin_as):
    """Are a chapter title over 28 characters, an excerpt over 4 SMS, a text a basic phone
    cannot show and a changed placeholder refused, saying why, live and on saving?"""
    guide, chapter = first_chapter(app)
    admin = admin_as("admin")
    title_path = f"/admin/guides/edit?key={chapter.title}&language=en"
    long_title = "A chapter title much too long for a menu"
    refused = admin.post(title_path, {"key": chapter.title, "text": long_title, "action": "save"})
    assert refused.status_code == 422
    assert f"Too long: {len(long_title)} characters, at most 28." in refused.get_data(as_text=True)
    live = admin.post(
        "/admin/guides/check",
        {"key": chapter.text, "text": "Haki \u2603 yetu " + "x" * 700},
        page=title_path,
    ).get_data(as_text=True)
    assert "Characters a basic phone cannot show (not GSM-7): \u2603" in live
    assert "at most 600." in live and "SMS, at most 4." in live
    fine = admin.post(
        "/admin/guides/check", {"key": chapter.title, "text": "Idhini ya jamii"}, page=title_path
    ).get_data(as_text=True)
    assert "Fits: it can be saved." in fine and "15 characters" in fine
    braces = admin.post(
        "/admin/guides/check", {"key": chapter.title, "text": "Idhini {county}"}, page=title_path
    ).get_data(as_text=True)
    assert "Placeholders county differ from English" in html.unescape(braces)
    with app.app_context():
        assert db.session.scalar(select(TextOverride)) is None


def test_other_processes_see_an_edit_within_the_refresh_delay(app, monkeypatch):
    """Does an overlay (another process's) keep serving what it read until REFRESH_S passes,
    then serve a row saved meanwhile, costing no query in between?"""
    guide, chapter = first_chapter(app)
    with app.app_context():
        catalogs = app.extensions["catalogs"]
        other = overrides.Overlay()
        catalogs.overlay = other
        before = catalogs.text(chapter.title, "en")
        db.session.add(TextOverride(language="en", key=chapter.title, text="Edited title"))
        db.session.commit()
        assert catalogs.text(chapter.title, "en") == before  # read less than 30 s ago
        now = time.monotonic()
        monkeypatch.setattr(overrides, "clock", lambda: now + overrides.REFRESH_S + 1)
        assert catalogs.text(chapter.title, "en") == "Edited title"


def test_only_an_admin_edits(app, admin_as):
    """Can a viewer read the guides but not save a text, and is a coordinator kept out?"""
    guide, chapter = first_chapter(app)
    viewer = admin_as("viewer")
    assert "Excerpt" in viewer.get("/admin/guides").get_data(as_text=True)
    path = f"/admin/guides/edit?key={chapter.title}&language=en"
    assert (
        viewer.post(path, {"key": chapter.title, "text": "Hi", "action": "save"}).status_code == 403
    )
    assert admin_as("coordinator").get("/admin/guides").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(TextOverride)) is None
