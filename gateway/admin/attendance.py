"""Attendance at platform meetings: per meeting (its code, its window, who was there and how
they were counted) and per member (how many meetings, and which), each as CSV too.

Numbers are masked on the pages; the CSV gives them in full to admins and coordinators and
masked to viewers, as the contacts export does. A coordinator sees their own counties only.
"""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.forms import in_ui
from gateway.contacts.models import Contact
from gateway.exports import csv_response
from gateway.extensions import db
from gateway.leaders import attendance
from gateway.meetings.models import Meeting
from gateway.phones import mask_phone
from gateway.platforms.models import Platform
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

READERS = (ADMIN, COORDINATOR, VIEWER)
MEETINGS_SHOWN = 20


def _platforms() -> list[Platform]:
    query = select(Platform).order_by(Platform.county, Platform.name)
    counties = principal().visible_counties()
    if counties is not None:
        query = query.where(Platform.county.in_(counties))
    return list(db.session.scalars(query))


def _platform_or_404(platform_id: int) -> Platform:
    platform = db.session.get(Platform, platform_id)
    if platform is None or not principal().sees_county(platform.county):
        abort(404)
    return platform


def _meeting_or_404(meeting_id: int) -> tuple[Meeting, Platform]:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.platform_id is None:
        abort(404)
    return meeting, _platform_or_404(meeting.platform_id)


def _phone(contact: Contact) -> str:
    return contact.phone if principal().has_role(ADMIN, COORDINATOR) else mask_phone(contact.phone)


@bp.route("/attendance")
@require_role(*READERS)
def attendance_index() -> str:
    platforms = _platforms()
    meetings = {
        p.id: list(
            db.session.scalars(
                select(Meeting)
                .where(Meeting.platform_id == p.id)
                .order_by(Meeting.starts_at.desc())
                .limit(MEETINGS_SHOWN)
            )
        )
        for p in platforms
    }
    counts = {m.id: len(attendance.of_meeting(m)) for found in meetings.values() for m in found}
    db.session.commit()  # meeting codes made on first need
    return render_template(
        "admin/attendance/index.html",
        platforms=platforms,
        meetings=meetings,
        counts=counts,
        code_of=attendance.code_of,
        in_ui=in_ui,
    )


@bp.route("/attendance/meetings/<int:meeting_id>")
@require_role(*READERS)
def attendance_meeting(meeting_id: int) -> str:
    meeting, platform = _meeting_or_404(meeting_id)
    code = attendance.code_of(meeting)
    db.session.commit()
    opens, closes = attendance.window(meeting)
    return render_template(
        "admin/attendance/meeting.html",
        meeting=meeting,
        platform=platform,
        code=code,
        opens=opens,
        closes=closes,
        rows=attendance.of_meeting(meeting),
        mask_phone=mask_phone,
        in_ui=in_ui,
    )


@bp.route("/attendance/meetings/<int:meeting_id>.csv")
@require_role(*READERS)
def attendance_meeting_csv(meeting_id: int) -> Response:
    meeting, _ = _meeting_or_404(meeting_id)
    rows = attendance.of_meeting(meeting)
    audit.record("attendance.export", "meeting", meeting.id, rows=len(rows))
    db.session.commit()
    return csv_response(
        f"meeting-{meeting.id}-attendance.csv",
        ("phone", "language", "county", "ward", "via", "recorded_by", "recorded_at"),
        (
            (_phone(c), c.language, c.county, c.ward, a.via, a.recorded_by, a.recorded_at)
            for a, c in rows
        ),
    )


@bp.route("/attendance/platforms/<int:platform_id>")
@require_role(*READERS)
def attendance_platform(platform_id: int) -> str:
    platform = _platform_or_404(platform_id)
    return render_template(
        "admin/attendance/platform.html",
        platform=platform,
        rows=attendance.per_member(platform),
        mask_phone=mask_phone,
    )


@bp.route("/attendance/platforms/<int:platform_id>.csv")
@require_role(*READERS)
def attendance_platform_csv(platform_id: int) -> Response:
    platform = _platform_or_404(platform_id)
    rows = attendance.per_member(platform)
    audit.record("attendance.export", "platform", platform.id, rows=len(rows))
    db.session.commit()
    return csv_response(
        f"platform-{platform.code}-attendance.csv",
        ("phone", "language", "county", "ward", "meetings_attended"),
        ((_phone(c), c.language, c.county, c.ward, n) for c, n in rows),
    )


@bp.route("/attendance/contacts/<int:contact_id>")
@require_role(*READERS)
def attendance_contact(contact_id: int) -> str:
    contact = db.session.get(Contact, contact_id)
    if contact is None or not principal().sees_county(contact.county):
        abort(404)
    rows = [
        (a, m)
        for a, m in attendance.of_contact(contact.id)
        if m.county is None or principal().sees_county(m.county)
    ]
    return render_template(
        "admin/attendance/contact.html",
        contact=contact,
        rows=rows,
        mask_phone=mask_phone,
        in_ui=in_ui,
    )
