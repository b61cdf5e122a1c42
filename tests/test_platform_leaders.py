"""Platform leaders on a basic phone: the USSD leader menu behind a PIN (three wrong PINs lock
it for an hour), and SMS commands in English and Kiswahili, to announce to the platform's
members (within the monthly allowance at once, beyond it through the secretariat's approval),
take attendance (members texting the meeting's code in its window, or the leader's entries),
and verify a report from the platform's area; each action audited with the masked number.
Through the real path: Africa's Talking's callbacks, RQ workers, the emulator."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import Phone
from factories import joined_contact
from flask import Flask
from helpers import received, send_confirmed, text
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.leaders.attendance import code_of
from gateway.localized import when
from gateway.meetings.models import Meeting
from gateway.platforms.models import LEADER, Announcement, Attendance, Membership, Platform
from gateway.reports.cases import ReportEvent
from gateway.reports.models import Report
from gateway.sms.models import Message
from gateway.sms.texts import with_optout_hint
from gateway.users.models import AuditEvent

EAT = ZoneInfo("Africa/Nairobi")
PIN = "2580"
LEADER_SW, LEADER_EN = "+254711000100", "+254711000110"
MEMBER_EN, MEMBER_SW, MEMBER_KAM = "+254711000101", "+254711000102", "+254711000103"
OUTSIDER = "+254711000109"  # in Kitui, in no platform
REPORTER = "+254711000120"
MASKED_SW, MASKED_EN = "+2547••••••00", "+2547••••••10"


@pytest.fixture(autouse=True)
def daytime():
    """Broadcasts wait out the quiet hours: it is mid-morning in Nairobi (the clock ticks)."""
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=EAT), tick=True):
        yield


@pytest.fixture
def mui(app: Flask) -> dict[str, int]:
    """Mui Basin platform (Kitui, ward Mui; one announcement a month without approval): a
    Kiswahili and an English leader, members speaking English, Kiswahili and Kikamba; an
    outsider in Kitui; Kanziku, another platform, with a member of its own."""
    ids = {
        phone: joined_contact(app, phone, language)
        for phone, language in (
            (LEADER_SW, "sw"),
            (LEADER_EN, "en"),
            (MEMBER_EN, "en"),
            (MEMBER_SW, "sw"),
            (MEMBER_KAM, "kam"),
            (OUTSIDER, "en"),
            (REPORTER, "sw"),
        )
    }
    kanziku_member = joined_contact(app, "+254711000130", "sw", ward="Mutito")
    with app.app_context():
        platform = Platform(
            name="Mui Basin Community Platform",
            code="MUI",
            county="Kitui",
            wards=["Mui"],
            monthly_allowance=1,
        )
        kanziku = Platform(name="Kanziku Community Platform", code="KANZIKU", county="Kitui")
        db.session.add_all([platform, kanziku])
        db.session.flush()
        for phone in (LEADER_SW, LEADER_EN, MEMBER_EN, MEMBER_SW, MEMBER_KAM):
            leader = phone in (LEADER_SW, LEADER_EN)
            db.session.add(
                Membership(
                    platform_id=platform.id,
                    contact_id=ids[phone],
                    role=LEADER if leader else "member",
                    joined_via="admin",
                    pin_hash=generate_password_hash(PIN) if leader else None,
                )
            )
        db.session.add(
            Membership(platform_id=kanziku.id, contact_id=kanziku_member, joined_via="admin")
        )
        db.session.commit()
        return {"platform": platform.id, "kanziku": kanziku.id, **ids}


def _meeting(app: Flask, platform_id: int, starts: timedelta) -> tuple[int, str]:
    """A meeting of the platform starting ``starts`` from now; its id and attendance code."""
    with app.app_context():
        meeting = Meeting(
            title={"en": "Mui water meeting", "sw": "Mkutano wa maji Mui"},
            county="Kitui",
            platform_id=platform_id,
            ward="Mui",
            place="Chief's camp, Mui",
            starts_at=utcnow() + starts,
        )
        db.session.add(meeting)
        db.session.flush()
        code = code_of(meeting)
        db.session.commit()
        assert code is not None
        return meeting.id, code


def _report(app: Flask, reference: str, reporter: int | None, **fields: object) -> int:
    with app.app_context():
        values: dict[str, object] = {
            "category": "water",
            "county": "Kitui",
            "ward": "Mui",
            "description": "The river below the coal site is black.",
            "language": "sw",
            "channel": "ussd",
            "anonymous": reporter is None,
            **fields,
        }
        report = Report(reference=reference, contact_id=reporter, **values)
        db.session.add(report)
        db.session.commit()
        return report.id


def _leader_phone(at, app: Flask, number: str) -> Phone:
    return Phone(at, app, number)


def _open_menu(phone: Phone, label: str = "Leader menu", pin: str = PIN) -> str:
    phone.dial()
    phone.choose(label)
    return phone.press(pin)


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def _sms(at, workers, phone: str, body: str) -> None:
    response = at.sms(phone, body)
    assert response.status_code == 200
    workers.drain()


# -- Announcements ----------------------------------------------------------------------------


def test_an_announcement_by_sms_within_the_allowance_goes_to_the_members_only(
    app: Flask, at, workers, emulator, mui
) -> None:
    """Can a leader announce by SMS (TANGAZA, in Kiswahili) within the platform's allowance, the
    members getting it at once, in their language's chain or else as the leader wrote it, the
    leader told how many it reaches and what it costs, and nobody outside the platform?"""
    words = "Mkutano wa maji Jumamosi saa nne kambi ya chifu."
    _sms(at, workers, LEADER_SW, f"TANGAZA {words}")
    with app.app_context():
        announcement = db.session.scalars(select(Announcement)).one()
        assert (announcement.status, announcement.language, announcement.channel) == (
            "sent",
            "sw",
            "sms",
        )
        sw_text = with_optout_hint(words, "sw")
        en_text = with_optout_hint(words, "en")  # no English text: the leader's, as written
        kam_text = with_optout_hint(words, "kam")
        segments = Message.query.filter_by(phone=MEMBER_SW, kind="broadcast").one().segments
        cost = announcement_cost(app, announcement.broadcast_id)
    assert received(emulator, MEMBER_SW) == [sw_text]
    assert received(emulator, MEMBER_KAM) == [kam_text]
    assert received(emulator, MEMBER_EN) == [en_text]
    assert received(emulator, OUTSIDER) == [] and received(emulator, "+254711000130") == []
    answer = text(app, "sms.leader.announce.sent", "sw", members=5, segments=segments, cost=cost)
    assert answer in received(emulator, LEADER_SW)
    assert "wanachama 5" in answer  # in Kiswahili
    (event,) = _audit(app, "leader.announce")
    assert event.actor == f"leader {MASKED_SW}" and event.details["status"] == "sent"
    assert LEADER_SW not in str(event.details)
    assert workers.failed() == []


def announcement_cost(app: Flask, broadcast_id: int | None) -> str:
    from gateway.broadcasts.models import Broadcast

    broadcast = db.session.get(Broadcast, broadcast_id)
    assert broadcast is not None and broadcast.estimated_cost_kes is not None
    return f"{broadcast.estimated_cost_kes:.2f}"


def test_beyond_the_allowance_a_ussd_announcement_waits_and_approved_goes_with_translations(
    app: Flask, at, workers, emulator, mui, admin_as
) -> None:
    """Beyond the allowance, does an English leader's USSD announcement (estimate shown before
    it goes) wait for the secretariat, who add a Kiswahili translation and approve it after
    the estimate, so Kiswahili and Kikamba speakers get the translation and English speakers the
    leader's text?"""
    with app.app_context():
        platform = db.session.get(Platform, mui["platform"])
        assert platform is not None
        platform.monthly_allowance = 0
        db.session.commit()
    phone = _leader_phone(at, app, LEADER_EN)
    menu = _open_menu(phone)
    assert menu.startswith("CON Leader: Mui Basin Community Platform")
    phone.choose("Announce to members")
    words = "Water meeting Saturday 10am at the chief's camp."
    estimate = phone.press(words)
    assert "To 5 members, 1 SMS each, about KES" in estimate
    assert "The secretariat approves it first." in estimate
    done = phone.choose("Send")
    assert done == "END " + phone.text("ussd.leader.announce.pending", "en")
    workers.drain()
    assert emulator.messages() == []  # nothing sent before the secretariat approves
    with app.app_context():
        announcement = db.session.scalars(select(Announcement)).one()
        assert (announcement.status, announcement.channel) == ("pending", "ussd")

    admin = admin_as("admin")
    page = html.unescape(admin.get("/admin/platforms/announcements").get_data(as_text=True))
    assert words in page and MASKED_EN in page and LEADER_EN not in page
    assert "Reaches 5 members" in page
    path = f"/admin/platforms/announcements/{announcement.id}"
    translation = "Mkutano wa maji Jumamosi saa nne kambi ya chifu."
    admin.post(
        f"{path}/translations", {"text_sw": translation}, page="/admin/platforms/announcements"
    )
    asked = admin.post(f"{path}/approve", {}, page="/admin/platforms/announcements")
    shown = asked.get_data(as_text=True)
    assert 'name="estimate_token"' in shown and "Leader&#39;s announcement" in shown
    assert "Kiswahili" in shown or "Swahili" in shown
    workers.drain()
    assert emulator.messages() == []  # the estimate alone sends nothing
    send_confirmed(admin, f"{path}/approve", {}, page="/admin/platforms/announcements")
    workers.drain()
    with app.app_context():
        assert received(emulator, MEMBER_SW) == [with_optout_hint(translation, "sw")]
        assert received(emulator, MEMBER_KAM) == [with_optout_hint(translation, "kam")]
        assert received(emulator, MEMBER_EN) == [with_optout_hint(words, "en")]
        assert received(emulator, OUTSIDER) == []
        approved = db.session.get(Announcement, announcement.id)
        assert approved is not None and approved.status == "sent"
        assert approved.decided_by == "admin@hmk.example" or "@" in (approved.decided_by or "")
    assert [e.actor for e in _audit(app, "leader.announce")] == [f"leader {MASKED_EN}"]
    assert len(_audit(app, "platform_announcement.approve")) == 1
    assert workers.failed() == []


def test_a_rejected_announcement_is_not_sent_and_the_leader_is_told(
    app: Flask, at, workers, emulator, mui, admin_as
) -> None:
    """Is a second announcement in a month (beyond the allowance of one) kept pending, and when
    the secretariat rejects it, is nothing sent to the members and the leader told in
    Kiswahili?"""
    _sms(at, workers, LEADER_SW, "TANGAZA Mkutano wa kwanza Jumamosi.")
    _sms(at, workers, LEADER_SW, "TANGAZA Mkutano wa pili Jumapili.")
    with app.app_context():
        second = db.session.scalars(select(Announcement).order_by(Announcement.id.desc())).first()
        assert second is not None and second.status == "pending"
    assert any("kuidhinishwa" in m for m in received(emulator, LEADER_SW))
    admin = admin_as("admin")
    admin.post(
        f"/admin/platforms/announcements/{second.id}/reject",
        {},
        page="/admin/platforms/announcements",
    )
    workers.drain()
    assert all("pili" not in m for m in received(emulator, MEMBER_SW))
    assert received(emulator, LEADER_SW)[-1] == text(
        app, "sms.leader.announce.rejected", "sw", text="Mkutano wa pili Jumapili."
    )
    with app.app_context():
        rejected = db.session.get(Announcement, second.id)
        assert rejected is not None and rejected.status == "rejected"


# -- Attendance -------------------------------------------------------------------------------


def test_a_member_texting_the_meeting_code_during_the_meeting_is_counted(
    app: Flask, at, workers, emulator, mui
) -> None:
    """Is a member who texts the meeting's code (any case) during its window counted once and
    thanked in their language, and someone texting it after the window (or before) told when
    the window was, and not counted?"""
    meeting, code = _meeting(app, mui["platform"], timedelta(minutes=-30))
    late, late_code = _meeting(app, mui["platform"], timedelta(hours=-7))
    early, early_code = _meeting(app, mui["platform"], timedelta(hours=3))
    assert re.fullmatch(r"MUI\d+", code) and len({code, late_code, early_code}) == 3
    _sms(at, workers, MEMBER_SW, code.lower())
    _sms(at, workers, MEMBER_SW, code)
    _sms(at, workers, MEMBER_EN, late_code)
    _sms(at, workers, MEMBER_KAM, early_code)
    with app.app_context():
        rows = db.session.scalars(select(Attendance)).all()
        assert [(a.meeting_id, a.contact_id, a.via) for a in rows] == [
            (meeting, mui[MEMBER_SW], "code")
        ]
        late_meeting = db.session.get(Meeting, late)
        early_meeting = db.session.get(Meeting, early)
        assert late_meeting is not None and early_meeting is not None
        closed_at = when(late_meeting.starts_at + timedelta(hours=6), "sms.attend.closed", "en")
        opens_at = when(early_meeting.starts_at - timedelta(hours=1), "sms.attend.too_early", "kam")
    assert received(emulator, MEMBER_SW) == [
        text(app, "sms.attend.thanks", "sw", title="Mkutano wa maji Mui"),
        text(app, "sms.attend.already", "sw", title="Mkutano wa maji Mui"),
    ]
    assert received(emulator, MEMBER_EN) == [
        text(app, "sms.attend.closed", "en", title="Mui water meeting", when=closed_at)
    ]
    assert received(emulator, MEMBER_KAM) == [
        text(app, "sms.attend.too_early", "kam", title="Mkutano wa maji Mui", when=opens_at)
    ]


def test_a_leader_enters_attendance_by_sms_and_by_ussd_each_number_answered(
    app: Flask, at, workers, emulator, mui, admin_as
) -> None:
    """Can a leader enter who attended, by SMS (HUDHURIA code and numbers) and on USSD (one
    number or several a screen), each entry answered, counted once, kept with the leader's
    masked number, and shown per meeting and per member in the admin, with a CSV?"""
    meeting, code = _meeting(app, mui["platform"], timedelta(hours=-2))
    _sms(at, workers, LEADER_SW, f"HUDHURIA {code} 0711000101, 0711 000 102, 07abc")
    assert received(emulator, LEADER_SW) == [
        text(
            app,
            "sms.leader.attend.done",
            "sw",
            code=code,
            recorded=2,
            already=0,
            unreadable="07abc",
        )
    ]
    _sms(at, workers, LEADER_SW, "HUDHURIA KANZIKU1 0711000101")
    assert received(emulator, LEADER_SW)[-1] == text(
        app, "sms.leader.attend.unknown_code", "sw", code="KANZIKU1"
    )

    phone = _leader_phone(at, app, LEADER_EN)
    _open_menu(phone)
    phone.choose("Take attendance")
    phone.choose(code)
    assert phone.screen.startswith(f"CON Meeting {code}. Enter a member's phone number")
    answered = phone.press("0711000103")
    assert answered.startswith(f"CON {code}: 1 recorded, 0 already in. Not read: -.")
    answered = phone.press("0711000101,0711000109")
    assert answered.startswith(f"CON {code}: 1 recorded, 1 already in.")
    with app.app_context():
        rows = db.session.execute(
            select(Contact.phone, Attendance.via, Attendance.recorded_by)
            .join(Contact, Contact.id == Attendance.contact_id)
            .where(Attendance.meeting_id == meeting)
            .order_by(Attendance.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (MEMBER_EN, "leader", f"leader {MASKED_SW}"),
        (MEMBER_SW, "leader", f"leader {MASKED_SW}"),
        (MEMBER_KAM, "leader", f"leader {MASKED_EN}"),
        (OUTSIDER, "leader", f"leader {MASKED_EN}"),
    ]
    assert [e.actor for e in _audit(app, "leader.attendance")] == [
        f"leader {MASKED_SW}",
        f"leader {MASKED_EN}",
        f"leader {MASKED_EN}",
    ]

    admin = admin_as("admin")
    meeting_page = admin.get(f"/admin/meetings/{meeting}").get_data(as_text=True)
    assert f'id="attendance-link" href="/admin/attendance/meetings/{meeting}"' in meeting_page
    page = admin.get(f"/admin/attendance/meetings/{meeting}").get_data(as_text=True)
    assert "4 present" in page and code in page and MEMBER_EN not in page
    assert page.count('class="attendee"') == 4 and "+2547••••••01" in page
    csv = admin.get(f"/admin/attendance/meetings/{meeting}.csv").get_data(as_text=True)
    assert (
        csv.lstrip("\ufeff").splitlines()[0].startswith("phone,")
        and MEMBER_EN in csv
        and len(csv.splitlines()) == 5
    )
    second, _ = _meeting(app, mui["platform"], timedelta(hours=-1))
    _sms(at, workers, LEADER_SW, f"ATTEND {code_for(app, second)} 0711000101")
    members = admin.get(f"/admin/attendance/platforms/{mui['platform']}").get_data(as_text=True)
    counts = re.findall(
        r'<tr class="member"><td><a [^>]+>([^<]+)</a></td><td class="num">(\d+)', members
    )
    assert counts[0] == ("+2547••••••01", "2") and len(counts) == 4
    person = admin.get(f"/admin/attendance/contacts/{mui[MEMBER_EN]}").get_data(as_text=True)
    assert "Attended 2 platform meetings" in person and person.count('class="attended"') == 2


def code_for(app: Flask, meeting_id: int) -> str:
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting is not None
        code = code_of(meeting)
        db.session.commit()
        assert code is not None
        return code


# -- Verifying a report -----------------------------------------------------------------------


def test_a_leader_verifies_a_report_by_sms_and_the_reporter_is_told(
    app: Flask, at, workers, emulator, mui
) -> None:
    """Does THIBITISHA move a report from the platform's area to verified, text its reporter
    in their language, keep the leader's note in the case in the leader's (masked) name; does
    KATAA keep a note only; and are an unknown reference and a report from elsewhere answered
    clearly and left alone?"""
    verified = _report(app, "R-7K3M9P", mui[REPORTER])
    doubted = _report(app, "R-8K4N2Q", mui[REPORTER])
    elsewhere = _report(app, "R-9W5P3R", mui[REPORTER], county="Kwale", ward=None)
    _sms(at, workers, LEADER_SW, "THIBITISHA r-7k3m9p Nimeona maji meusi mwenyewe")
    _sms(at, workers, LEADER_SW, "KATAA R-8K4N2Q Mto ni safi leo")
    _sms(at, workers, LEADER_SW, "THIBITISHA R-2222222 sawa")
    _sms(at, workers, LEADER_SW, "VERIFY R-9W5P3R ok")
    assert received(emulator, REPORTER) == [
        text(app, "sms.report.status.verified", "sw", reference="R-7K3M9P")
    ]
    assert received(emulator, LEADER_SW) == [
        text(app, "sms.leader.verify.verified", "sw", reference="R-7K3M9P"),
        text(app, "sms.leader.verify.not_verified", "sw", reference="R-8K4N2Q"),
        text(app, "sms.leader.verify.unknown", "sw", reference="R-2222222"),
        text(app, "sms.leader.verify.elsewhere", "sw", reference="R-9W5P3R"),
    ]
    with app.app_context():
        statuses = {
            r.id: r.status
            for r in db.session.scalars(
                select(Report).where(Report.id.in_([verified, doubted, elsewhere]))
            )
        }
        assert statuses == {verified: "verified", doubted: "new", elsewhere: "new"}
        events = db.session.execute(
            select(
                ReportEvent.report_id, ReportEvent.kind, ReportEvent.actor, ReportEvent.text
            ).order_by(ReportEvent.id)
        ).all()
    actor = f"leader {MASKED_SW}"
    assert [tuple(e) for e in events] == [
        (verified, "status", actor, None),
        (verified, "note", actor, "Verified by the platform leader: Nimeona maji meusi mwenyewe"),
        (doubted, "note", actor, "Not verified by the platform leader: Mto ni safi leo"),
    ]
    assert [(e.actor, e.target_id) for e in _audit(app, "leader.verify")] == [
        (actor, str(verified))
    ]
    assert [(e.actor, e.target_id) for e in _audit(app, "leader.not_verified")] == [
        (actor, str(doubted))
    ]
    assert [e.actor for e in _audit(app, "report.status")] == [actor]


def test_a_leader_verifies_a_report_on_ussd(app: Flask, at, workers, emulator, mui) -> None:
    """Can an English leader verify a report on USSD (reference, Verified, a note), the
    reporter told, and is a reference of another area answered with an END screen?"""
    report = _report(app, "R-7K3M9P", mui[REPORTER])
    _report(app, "R-9W5P3R", None, county="Kwale", ward=None)
    phone = _leader_phone(at, app, LEADER_EN)
    _open_menu(phone)
    phone.choose("Verify a report")
    asked = phone.press("r7k3m9p")
    assert asked.startswith("CON Report R-7K3M9P (Water")
    phone.choose("Verified")
    done = phone.press("Saw the black water myself")
    assert done == "END " + phone.text("ussd.leader.verify.verified", "en", reference="R-7K3M9P")
    workers.drain()
    assert received(emulator, REPORTER) == [
        text(app, "sms.report.status.verified", "sw", reference="R-7K3M9P")
    ]
    with app.app_context():
        found = db.session.get(Report, report)
        assert found is not None and found.status == "verified"
    _open_menu(phone)
    phone.choose("Verify a report")
    elsewhere = phone.press("R-9W5P3R")
    assert elsewhere == "END " + phone.text(
        "ussd.leader.verify.elsewhere", "en", report_ref="R-9W5P3R"
    )


# -- The PIN, and who is a leader --------------------------------------------------------------


def test_three_wrong_pins_lock_the_leader_menu_for_an_hour(
    app: Flask, at, workers, emulator, mui
) -> None:
    """Do three wrong PINs in a row (in Kiswahili) lock the leader menu, saying until when,
    refuse the leader's SMS commands meanwhile, and does the right PIN open it again once the
    hour has passed?"""
    phone = _leader_phone(at, app, LEADER_SW)
    first = _open_menu(phone, "Kiongozi", pin="1111")
    assert first.startswith("CON " + phone.text("ussd.leader.pin_wrong", "sw", left=2))
    second = phone.press("2222")
    assert second.startswith("CON " + phone.text("ussd.leader.pin_wrong", "sw", left=1))
    locked = phone.press("3333")
    with app.app_context():
        membership = db.session.scalars(
            select(Membership).where(Membership.contact_id == mui[LEADER_SW])
        ).one()
        until = membership.locked_until
        assert until is not None
        assert timedelta(minutes=59) < until - utcnow() <= timedelta(hours=1)
        said = when(until, "ussd.leader.locked", "sw")
        said_by_sms = when(until, "sms.leader.locked", "sw")
    assert locked == "END " + phone.text("ussd.leader.locked", "sw", until=said)
    # Locked: even the right PIN is not asked for, and SMS commands wait.
    phone.dial()
    assert phone.choose("Kiongozi") == locked
    _sms(at, workers, LEADER_SW, "TANGAZA Mkutano Jumamosi.")
    assert received(emulator, LEADER_SW) == [
        text(app, "sms.leader.locked", "sw", until=said_by_sms)
    ]
    with app.app_context():
        assert db.session.scalars(select(Announcement)).all() == []
    assert [e.actor for e in _audit(app, "leader.locked")] == [f"leader {MASKED_SW}"]
    # The hour passes (moved by hand): the right PIN opens the menu.
    with app.app_context():
        membership = db.session.scalars(
            select(Membership).where(Membership.contact_id == mui[LEADER_SW])
        ).one()
        membership.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    menu = _open_menu(phone, "Kiongozi")
    assert menu.startswith("CON Kiongozi: Mui Basin Community Platform")
    assert "1. Tangaza kwa wanachama" in menu


def test_a_non_leader_has_no_leader_menu_and_a_command_gets_not_a_leader(
    app: Flask, at, workers, emulator, mui, admin_as
) -> None:
    """Does a member who leads nothing see no leader menu on USSD, and get a clear "not a
    leader" answer to a leader command by SMS, in their language, the SMS kept in the inbox?"""
    member = _leader_phone(at, app, MEMBER_SW)
    screen = member.dial()
    assert screen.startswith("CON Haki Madini Kenya") and member.option("Kiongozi") is None
    assert "Kiongozi" not in screen
    leader = _leader_phone(at, app, LEADER_SW)
    assert leader.dial().endswith("\n7. Kiongozi")  # joined: no Join line above it
    _sms(at, workers, MEMBER_SW, "TANGAZA Mkutano kesho")
    _sms(at, workers, OUTSIDER, "VERIFY R-7K3M9P yes")
    assert received(emulator, MEMBER_SW) == [text(app, "sms.leader.not_leader", "sw")]
    assert received(emulator, OUTSIDER) == [text(app, "sms.leader.not_leader", "en")]
    with app.app_context():
        kinds = db.session.scalars(
            select(Message.kind).where(Message.direction == "in").order_by(Message.id)
        ).all()
        assert kinds == ["inbox", "inbox"]
        assert db.session.scalars(select(Announcement)).all() == []
    inbox = admin_as("admin").get("/admin/inbox/rows").get_data(as_text=True)
    assert "TANGAZA Mkutano kesho" in inbox and "VERIFY R-7K3M9P yes" in inbox
    assert MEMBER_SW not in inbox and "+2547••••••02" in inbox


def test_an_english_leader_by_sms_and_a_swahili_leader_on_ussd(
    app: Flask, at, workers, emulator, mui
) -> None:
    """Are the English SMS commands (ANNOUNCE, REJECT, ATTEND) answered in English, and the
    leader menu on USSD in Kiswahili: the announcement's estimate saying it goes to the
    secretariat once the allowance is used, a report marked not verified with a note?"""
    report = _report(app, "R-7K3M9P", mui[REPORTER])
    _sms(at, workers, LEADER_EN, "ANNOUNCE Water meeting Saturday at 10am.")
    _sms(at, workers, LEADER_EN, "ATTEND")
    _sms(at, workers, LEADER_EN, "REJECT R-7K3M9P The river was clean when I went")
    with app.app_context():
        sent = db.session.scalars(select(Announcement)).one()
        assert sent.status == "sent" and sent.language == "en"
        cost = announcement_cost(app, sent.broadcast_id)
        hinted = with_optout_hint("Water meeting Saturday at 10am.", "en")
    # The replies, and the announcement itself (the leader is a member too; it goes out by its
    # own job, so its place among the replies is not fixed).
    assert sorted(received(emulator, LEADER_EN)) == sorted(
        [
            text(app, "sms.leader.announce.sent", "en", members=5, segments=1, cost=cost),
            text(app, "sms.leader.attend.usage", "en"),
            text(app, "sms.leader.verify.not_verified", "en", reference="R-7K3M9P"),
            hinted,
        ]
    )

    phone = _leader_phone(at, app, LEADER_SW)
    menu = _open_menu(phone, "Kiongozi")
    assert "2. Chukua mahudhurio" in menu and "3. Thibitisha ripoti" in menu
    phone.choose("Tangaza kwa wanachama")
    estimate = phone.press("Mkutano wa pili Jumapili saa nane.")
    assert estimate.startswith("CON Kwa wanachama 5, SMS 1 kila mmoja, takriban KES")
    assert "Sekretarieti italiidhinisha kwanza." in estimate and "1. Tuma\n2. Ghairi" in estimate
    assert phone.choose("Tuma") == "END " + phone.text("ussd.leader.announce.pending", "sw")
    _open_menu(phone, "Kiongozi")
    phone.choose("Thibitisha ripoti")
    phone.press("R-7K3M9P")
    phone.choose("Haijathibitishwa")
    done = phone.press("Sikuona tatizo")
    assert done == "END " + phone.text(
        "ussd.leader.verify.not_verified", "sw", reference="R-7K3M9P"
    )
    workers.drain()
    assert received(emulator, REPORTER) == []  # not verified: a note only, nobody texted
    with app.app_context():
        pending = db.session.scalars(select(Announcement).where(Announcement.status == "pending"))
        assert [(a.channel, a.language) for a in pending] == [("ussd", "sw")]
        notes = db.session.scalars(
            select(ReportEvent.text).where(ReportEvent.report_id == report).order_by(ReportEvent.id)
        ).all()
        assert notes == [
            "Not verified by the platform leader: The river was clean when I went",
            "Not verified by the platform leader: Sikuona tatizo",
        ]
        found = db.session.get(Report, report)
        assert found is not None and found.status == "new"


def test_attendance_and_announcements_are_in_the_persons_export(
    app: Flask, at, workers, emulator, mui
) -> None:
    """Does a person's data export (FUTA) hold the meetings they were counted at, and a
    leader's the announcements they wrote, which after deletion no longer name them?"""
    from gateway.contacts.export import collect
    from gateway.contacts.service import anonymise

    _meeting_id, code = _meeting(app, mui["platform"], timedelta(minutes=-10))
    _sms(at, workers, MEMBER_EN, code)
    _sms(at, workers, LEADER_SW, "TANGAZA Mkutano wa maji leo.")
    with app.app_context():
        member = db.session.get(Contact, mui[MEMBER_EN])
        leader = db.session.get(Contact, mui[LEADER_SW])
        assert member is not None and leader is not None
        attended = collect(member)["meeting_attendance"]
        assert [(row["meeting"]["en"], row["via"]) for row in attended] == [
            ("Mui water meeting", "code")
        ]
        written = collect(leader)["platform_announcements"]
        assert [(row["text"], row["status"]) for row in written] == [
            ("Mkutano wa maji leo.", "sent")
        ]
        anonymise(leader)
        db.session.commit()
        announcement = db.session.scalars(select(Announcement)).one()
        assert announcement.leader_id is None


def test_the_demo_gives_each_platform_with_a_leader_an_announcement_to_approve(
    app: Flask, runner, mui
) -> None:
    """Does ``make run``'s demo content put one leader's announcement in the approval queue of
    each platform that has a leader (Mui, not Kanziku), once however often it is loaded?"""
    assert "rows added" in runner.invoke(args=["demo", "load"]).output
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        waiting = db.session.execute(
            select(Announcement.platform_id, Announcement.leader_id, Announcement.status)
        ).all()
    assert [tuple(row) for row in waiting] == [(mui["platform"], mui[LEADER_SW], "pending")]


def test_a_poll_cannot_take_a_leader_commands_word_as_its_keyword(api) -> None:
    """Is a poll keyword that is a leader command's word (TANGAZA, VERIFY...) refused, as the
    gateway's other keywords are, so that no poll is shadowed by the leaders' route?"""
    closes = (datetime.now(EAT) + timedelta(days=1)).isoformat()
    for word in ("TANGAZA", "verify", "Hudhuria", "KATAA"):
        response = api.post(
            "/polls",
            json={
                "keyword": word,
                "question": {"en": "Was the EIA meeting held in your ward?"},
                "options": [{"en": "Yes"}, {"en": "No"}],
                "county": "Kitui",
                "closes_at": closes,
            },
        )
        assert response.status_code == 400, (word, response.json)
        assert "own SMS keywords" in str(response.json["errors"]["json"]["keyword"])
