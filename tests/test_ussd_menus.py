"""Every branch of the USSD menu, in English and Kiswahili, through /at/ussd."""

from __future__ import annotations

import factories
import pytest
from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.guides.models import GuideSubscription
from gateway.meetings.models import Rsvp
from gateway.polls.models import PollOption, Vote
from gateway.reports.models import Report
from gateway.sms.models import Message

NUMBER = "+254712345678"
LANGUAGES = pytest.mark.parametrize("lang", ["en", "sw"])


@pytest.fixture
def caller(phone, app, request):
    """A caller who joined the Kitui platform (ward Mui), in the test's language."""
    callspec = getattr(request.node, "callspec", None)
    lang = callspec.params.get("lang", "en") if callspec else "en"
    factories.joined_contact(app, NUMBER, language=lang)
    phone.lang = lang
    phone.dial()
    return phone


def go(caller, *keys: str) -> str:
    """Choose the options named by text keys, one screen after another, in the caller's
    language."""
    for key in keys:
        caller.choose(caller.text(key, caller.lang))
    return caller.screen


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@LANGUAGES
def test_learn_a_guide_page_through_it_and_get_it_by_sms(caller, app, workers, emulator, lang):
    """Can a caller open a guide chapter, page through the excerpt with 98 and 0, and have the
    whole excerpt sent by SMS in their language."""
    guides = app.extensions["guides"]
    guide = next(iter(guides.values()))
    chapter = guide.chapters[0]
    screen = go(caller, "ussd.main.learn")
    assert caller.text(guide.title, lang) in screen
    caller.choose(caller.text(guide.title, lang))
    caller.choose(caller.text(chapter.title, lang))
    first_page = caller.screen
    excerpt = caller.text(chapter.text, lang)
    assert first_page.split("\n")[0][4:] in excerpt  # the excerpt's opening words
    assert "98. " in first_page and f"1. {caller.text('ussd.learn.send_sms', lang)}" in first_page
    second_page = caller.press("98")
    assert second_page != first_page and second_page.split("\n")[0][4:] in excerpt
    assert caller.press("0") == first_page
    caller.press("1")
    assert caller.ended and caller.screen[4:] == caller.text("ussd.learn.sent", lang)
    workers.drain()
    [sms] = emulator.messages()
    assert sms["to"] == NUMBER and sms["text"] == excerpt


@LANGUAGES
def test_meetings_in_my_county_and_rsvp(caller, app, lang):
    """Does a Kitui caller see Kitui's meetings and national dialogues (not other counties',
    past or cancelled ones), with the time in East Africa Time, and can they RSVP, changing
    their answer later."""
    ids = factories.meetings(app)
    screen = go(caller, "ussd.main.meetings")
    title = "Mui platform meeting" if lang == "en" else "Mkutano wa jukwaa la Mui"
    assert title in screen
    assert ("National dialogue" if lang == "en" else "Mazungumzo ya kitaifa") in screen
    for hidden in ("Ramisi", "Last month", "Cancelled"):
        assert hidden not in screen
    detail = caller.choose(title)
    assert "Mui Primary School" in detail and detail.rstrip().endswith(
        f"2. {caller.text('common.no', lang)}\n0. {caller.text('nav.back', lang)}"
    )
    with app.app_context():
        from gateway.meetings.models import Meeting

        meeting = db.session.get(Meeting, ids["kitui"])
        eat = meeting.starts_at.astimezone(app.config["GATEWAY"].timezone)
    assert eat.strftime("%H:%M") in detail  # shown in Nairobi time, not UTC
    caller.press("1")
    assert caller.ended and "Mui Primary School" in caller.screen
    caller.dial()
    go(caller, "ussd.main.meetings")
    caller.choose(title)
    caller.press("2")
    assert caller.screen[4:] == caller.text("ussd.meeting.noted", lang)
    with app.app_context():
        rsvps = db.session.scalars(select(Rsvp)).all()
        assert [(r.meeting_id, r.attending, r.channel) for r in rsvps] == [
            (ids["kitui"], False, "ussd")
        ]


def test_no_meetings_says_so(caller, app):
    """Is a caller told plainly when no meeting is planned in their county."""
    screen = go(caller, "ussd.main.meetings")
    assert "No meetings are planned in Kitui yet" in screen and "0. Back" in screen


@LANGUAGES
def test_vote_in_an_open_poll_and_change_the_vote(caller, app, lang):
    """Can a caller vote in an open poll in their language, and does a later vote replace the
    earlier one (one vote per person)."""
    ids = factories.polls(app)
    screen = go(caller, "ussd.main.polls")
    question = "Should the county" if lang == "en" else "Je, kaunti ichapishe"
    assert screen.count(question) == 1  # the Kwale-only and the closed poll are not offered
    caller.choose(question)
    assert "EIA" in caller.screen and "3. " in caller.screen
    caller.press("2")
    no = "No" if lang == "en" else "Hapana"
    assert caller.ended and no in caller.screen
    caller.dial()
    go(caller, "ussd.main.polls")
    caller.choose(question)
    caller.press("1")
    with app.app_context():
        votes = db.session.scalars(select(Vote)).all()
        assert len(votes) == 1 and votes[0].poll_id == ids["open"]
        assert db.session.get(PollOption, votes[0].option_id).position == 1


def test_no_open_polls_says_so(caller):
    """Is a caller told plainly when there is no poll to vote in."""
    assert "There are no open polls" in go(caller, "ussd.main.polls")


@LANGUAGES
def test_report_a_problem_anonymously(caller, app, lang):
    """Can a caller report harassment anonymously and get a reference number; is the report
    saved before the last screen, flagged sensitive, and without a link to them."""
    go(caller, "ussd.main.report", "report.category.security")
    assert caller.screen.startswith(f"CON {caller.text('ussd.report.ward', lang)}")
    caller.choose("Nuu")
    assert caller.text("ussd.report.describe", lang) in caller.screen
    caller.press("ab")  # too short: the same screen with a hint
    assert caller.text("ussd.report.describe_hint", lang) in caller.screen
    caller.press("Guards beat a herder near the pit")
    caller.press("1")  # stay anonymous
    summary = caller.screen
    assert caller.text("report.category.security", lang) in summary and "Nuu:" in summary
    caller.press("1")
    assert caller.ended
    with app.app_context():
        [report] = db.session.scalars(select(Report)).all()
        assert report.reference in caller.screen
        assert (report.category, report.sensitive, report.anonymous) == ("security", True, True)
        assert report.contact_id is None
        assert (report.county, report.ward) == ("Kitui", "Nuu")
        assert report.description == "Guards beat a herder near the pit"


def test_a_named_report_keeps_the_contact_and_a_cancelled_one_is_not_saved(caller, app):
    """Is a report kept with its sender when they choose not to be anonymous, and is nothing
    saved when they cancel at the last step."""
    go(caller, "ussd.main.report", "report.category.water")
    caller.choose("Mui")
    caller.press("River water smells of oil", "2")
    assert "Anonymous: No" in caller.screen
    caller.press("2")
    assert caller.ended and "not sent" in caller.screen
    assert count(app, Report) == 0
    caller.dial()
    go(caller, "ussd.main.report", "report.category.water")
    caller.choose("Mui")
    caller.press("River water smells of oil", "2", "1")
    with app.app_context():
        [report] = db.session.scalars(select(Report)).all()
        contact = db.session.scalar(select(Contact).where(Contact.phone == NUMBER))
        assert report.contact_id == contact.id and not report.sensitive


def test_a_caller_with_no_county_is_asked_where(phone, app):
    """Is a first-time caller reporting a problem asked for the county, then the ward."""
    phone.lang = "en"
    phone.dial()
    phone.choose("English")
    go(phone, "ussd.main.report", "report.category.land")
    assert phone.screen.startswith("CON Which county is it in?")
    phone.choose("Kwale")
    phone.choose("Ramisi")
    phone.press("Fenced our farms without compensation", "2", "1")
    with app.app_context():
        [report] = db.session.scalars(select(Report)).all()
        assert (report.county, report.ward, report.category) == ("Kwale", "Ramisi", "land")


@LANGUAGES
def test_settings_area_and_guide_subscriptions(caller, app, lang):
    """Can a caller move to another county and ward, and switch a guide's weekly SMS on and
    off."""
    go(caller, "ussd.main.settings", "ussd.settings.area")
    caller.choose("Kwale")
    caller.choose("Ramisi")
    assert caller.ended and "Ramisi, Kwale" in caller.screen
    caller.dial()
    go(caller, "ussd.main.settings", "ussd.settings.subscriptions")
    off = caller.text("ussd.settings.off", lang)
    assert f"({off})" in caller.screen
    caller.press("1")
    assert caller.ended
    caller.dial()
    go(caller, "ussd.main.settings", "ussd.settings.subscriptions")
    assert f"({caller.text('ussd.settings.on', lang)})" in caller.screen.split("\n")[1]
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == NUMBER))
        assert (contact.county, contact.ward) == ("Kwale", "Ramisi")
        [sub] = db.session.scalars(select(GuideSubscription)).all()
        assert sub.active and sub.contact_id == contact.id


def test_stop_all_messages_from_ussd(caller, app, workers, emulator):
    """Does 'Stop all messages' opt the caller out at once and send only its confirmation."""
    go(caller, "ussd.main.settings", "ussd.settings.stop")
    caller.press("1")
    assert caller.ended and "no more SMS" in caller.screen
    workers.drain()
    [confirmation] = emulator.messages()
    assert "JOIN" in confirmation["text"]
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == NUMBER))
        assert contact.opted_out_at is not None and contact.opt_out_channel == "ussd"


def test_delete_my_data_from_ussd(caller, app, at):
    """Does 'Delete my data' (after a confirmation) remove the number and message texts."""
    at.sms(NUMBER, "Maji ni machafu")
    go(caller, "ussd.main.settings", "ussd.settings.delete")
    caller.press("2")  # No: back to settings, nothing deleted
    assert caller.screen.startswith("CON My settings")
    caller.choose("Delete my data")
    caller.press("1")
    assert caller.ended and "deleted" in caller.screen
    with app.app_context():
        assert db.session.scalar(select(Contact).where(Contact.phone == NUMBER)) is None
        assert db.session.scalars(select(Message.text)).all() == [""]


@LANGUAGES
def test_help_pages_through_and_back(caller, lang):
    """Is the help text readable in pages with 98, and does 0 go back to the menu."""
    first = go(caller, "ussd.main.help")
    assert "Haki Madini Kenya (HMK)" in first and "98. " in first
    pages = [first]
    while "98. " in caller.screen:
        pages.append(caller.press("98"))
    assert len(pages) >= 2 and "*384*123#" in pages[-1]
    for _ in pages:
        caller.press("0")
    assert caller.screen.startswith("CON Haki Madini Kenya\n")


@pytest.mark.parametrize("settings_overrides", [{"reply_limit_per_hour": 4}], ids=["4-an-hour"])
def test_excerpts_by_sms_stop_at_the_reply_limit_with_one_notice(
    caller, app, at, workers, emulator, admin_as
):
    """Ten "Send this to me by SMS" in an hour bring the excerpt as often as the hourly reply
    limit allows, then one notice that replies are paused, and nothing more; STOP's
    confirmation still goes. The dashboard shows what those automatic SMS cost beside the
    broadcasts' spend."""
    guide = next(iter(app.extensions["guides"].values()))
    excerpt = caller.text(guide.chapters[0].text, "en")
    for _ in range(10):
        caller.dial()
        go(caller, "ussd.main.learn")
        caller.choose(caller.text(guide.title, "en"))
        caller.choose(caller.text(guide.chapters[0].title, "en"))
        caller.press("1")
        assert caller.ended
    workers.drain()
    notice = caller.text("sms.reply_limit", "en", code="*384*123#")
    sent = [m for m in emulator.messages() if m["to"] == NUMBER]
    assert [m["text"] for m in sent] == [excerpt] * 4 + [notice]
    at.sms(NUMBER, "STOP")
    workers.drain()
    assert emulator.messages()[-1]["text"] == caller.text("sms.stop", "en", code="*384*123#")
    with app.app_context():
        refused = count(app, Message, Message.error == "ReplyLimit")
        cost = db.session.scalar(select(func.sum(Message.cost)).where(Message.automatic))
    assert refused == 6 and cost > 0
    page = admin_as("admin").get("/admin/").get_data(as_text=True)
    assert f"Broadcasts KES 0.00 · automatic replies KES {cost:,.2f}" in page
