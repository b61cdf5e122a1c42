"""The leader menu, for the USSD flow (flows/main.yaml, "Leader menu"): shown only to a
platform leader, opened by their PIN; announce, take attendance, verify a report.

The session keeps ``leader_pin`` = "ok" once the PIN was right; the menu's screens are reached
only through that check. The PIN itself is dropped from the session as soon as it is checked.
When no leader is found (the USSD lint draws every screen with no database rows), the views give
the longest values the screens may show.
"""

from __future__ import annotations

from sqlalchemy import select

from gateway.extensions import db
from gateway.leaders import announce, attendance, verify
from gateway.leaders.access import (
    MAX_FAILURES,
    check_pin,
    leadership,
    locked_until,
    platform_of,
)
from gateway.localized import pick, when
from gateway.meetings.models import Meeting
from gateway.platforms.models import Membership, Platform
from gateway.reports.models import Report
from gateway.ussd.engine import Context, Item
from gateway.ussd.registry import action, condition, source, view

OK = "ok"
LONG_NAME = "Kanziku Limestone Community Platform (Mutito)"
LABEL_LIMIT = 40


def _membership(ctx: Context) -> Membership | None:
    return leadership(ctx.contact)


def _platform(ctx: Context) -> Platform | None:
    membership = _membership(ctx)
    return platform_of(membership) if membership else None


def _opened(ctx: Context) -> bool:
    return ctx.data.get("leader_pin") == OK and _membership(ctx) is not None


@condition("is_leader")
def is_leader(ctx: Context) -> bool:
    return _membership(ctx) is not None


@condition("leader_locked")
def leader_locked(ctx: Context) -> bool:
    membership = _membership(ctx)
    return membership is not None and locked_until(membership) is not None


@condition("leader_pin_ok")
def leader_pin_ok(ctx: Context) -> bool:
    return _opened(ctx)


@action("check_leader_pin")
def check_leader_pin(ctx: Context) -> None:
    pin = ctx.data.pop("pin", "")
    membership = _membership(ctx)
    if membership is None:
        return
    found = check_pin(membership, ctx.contact, pin)
    ctx.data["leader_pin"] = OK if found.ok else "no"
    ctx.data["leader_tries"] = str(found.tries_left)


@view("leader_tries")
def leader_tries(ctx: Context) -> dict[str, object]:
    return {"left": ctx.data.get("leader_tries", str(MAX_FAILURES - 1))}


@view("leader_lock")
def leader_lock(ctx: Context) -> dict[str, object]:
    membership = _membership(ctx)
    until = locked_until(membership) if membership else None
    return {
        "until": when(until, ctx.screen_text, ctx.language) if until else "Alhamisi 31 Des, 10:00"
    }


@view("leader_platform")
def leader_platform(ctx: Context) -> dict[str, object]:
    platform = _platform(ctx)
    return {"platform": _short(platform.name if platform else LONG_NAME)}


def _short(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# -- 1. Announce -----------------------------------------------------------------------------


@view("leader_announce_estimate")
def announce_estimate(ctx: Context) -> dict[str, object]:
    platform = _platform(ctx)
    if platform is None or not _opened(ctx):
        return {"members": 100000, "segments": 2, "cost": "100000.00", "route": _route(ctx, False)}
    text = ctx.data.get("announcement", "")
    found = announce.estimate_for(platform, {ctx.language: text}, ctx.language)
    return {
        "members": found.recipients,
        "segments": max((e.segments for e in found.languages), default=1),
        "cost": f"{found.cost_kes:.2f}",
        "route": _route(ctx, announce.within_allowance(platform)),
    }


def _route(ctx: Context, now: bool) -> str:
    return ctx.text("ussd.leader.announce.now" if now else "ussd.leader.announce.approval")


@action("leader_announce")
def leader_announce(ctx: Context) -> None:
    membership = _membership(ctx)
    if membership is None or not _opened(ctx):
        return
    made = announce.submit(membership, ctx.contact, ctx.data.get("announcement", ""), "ussd")
    ctx.data["announced"] = made.status


@condition("announcement_sent")
def announcement_sent(ctx: Context) -> bool:
    return ctx.data.get("announced") == announce.SENT


# -- 2. Attendance ---------------------------------------------------------------------------


@source("leader_meetings")
def leader_meetings(ctx: Context) -> list[Item]:
    platform = _platform(ctx)
    if platform is None or not _opened(ctx):
        return []
    chain = ctx.catalogs.chain(ctx.language)
    items = []
    for meeting in attendance.recent_meetings(platform):
        day = when(meeting.starts_at, ctx.screen_text, ctx.language, pattern="d MMM")
        label = f"{day} {attendance.code_of(meeting)} {pick(meeting.title, chain)}"
        items.append(Item(str(meeting.id), _short(label)))
    return items


def _meeting(ctx: Context) -> Meeting | None:
    platform = _platform(ctx)
    if platform is None:
        return None
    meeting = db.session.get(Meeting, int(ctx.data.get("meeting_id", "0") or 0))
    if meeting is None or meeting.platform_id != platform.id:
        return None
    return meeting


@view("leader_meeting")
def leader_meeting(ctx: Context) -> dict[str, object]:
    meeting = _meeting(ctx)
    code = (attendance.code_of(meeting) if meeting else None) or "KANZIKU12"
    return {"meeting_code": code}


@action("leader_attend")
def leader_attend(ctx: Context) -> None:
    meeting = _meeting(ctx)
    numbers = ctx.data.pop("numbers", "")
    if meeting is None or not _opened(ctx):
        return
    entered = attendance.enter(meeting, numbers, ctx.contact, "ussd")
    ctx.data["attend_recorded"] = str(len(entered.recorded))
    ctx.data["attend_already"] = str(len(entered.already))
    ctx.data["attend_unreadable"] = ", ".join(entered.unreadable)[:40] or "-"


@view("leader_attended")
def leader_attended(ctx: Context) -> dict[str, object]:
    meeting = _meeting(ctx)
    return {
        "meeting_code": (attendance.code_of(meeting) if meeting else None) or "KANZIKU12",
        "recorded": ctx.data.get("attend_recorded", "100"),
        "already": ctx.data.get("attend_already", "100"),
        "unreadable": ctx.data.get("attend_unreadable", "x" * 40),
    }


# -- 3. Verify a report ------------------------------------------------------------------------


@action("leader_find_report")
def leader_find_report(ctx: Context) -> None:
    platform = _platform(ctx)
    if platform is None or not _opened(ctx):
        ctx.data["report_found"] = verify.Found.UNKNOWN.value
        return
    found, report = verify.find(platform, ctx.data.get("report_ref", ""))
    ctx.data["report_found"] = found.value
    ctx.data["report_ref"] = (
        report.reference if report else verify.normal_reference(ctx.data.get("report_ref", ""))[:16]
    )


@view("leader_report_ref")
def leader_report_ref(ctx: Context) -> dict[str, object]:
    return {"report_ref": ctx.data.get("report_ref") or "R-7K3M9P"}


@condition("report_found")
def report_found(ctx: Context) -> bool:
    return ctx.data.get("report_found") == verify.Found.OK.value


@condition("report_elsewhere")
def report_elsewhere(ctx: Context) -> bool:
    return ctx.data.get("report_found") == verify.Found.ELSEWHERE.value


@view("leader_report")
def leader_report(ctx: Context) -> dict[str, object]:
    report = _report(ctx)
    if report is None:
        return {"reference": "R-7K3M9P", "category": ctx.text("report.category.security")}
    return {
        "reference": report.reference,
        "category": ctx.text(f"report.category.{report.category}"),
    }


def _report(ctx: Context) -> Report | None:
    platform = _platform(ctx)
    ref = ctx.data.get("report_ref", "")
    if platform is None or not ref:
        return None
    report: Report | None = db.session.scalar(select(Report).where(Report.reference == ref))
    if report is None or not verify.in_area(platform, report):
        return None
    return report


def _decide(ctx: Context, verified: bool) -> None:
    report = _report(ctx)
    if report is None or not _opened(ctx):
        return
    verify.decide(report, ctx.contact, verified, ctx.data.get("note", ""), channel="ussd")


@action("leader_verified")
def leader_verified(ctx: Context) -> None:
    _decide(ctx, True)


@action("leader_not_verified")
def leader_not_verified(ctx: Context) -> None:
    _decide(ctx, False)
