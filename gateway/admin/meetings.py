"""Meetings: community platform meetings (a county) and national dialogues (every county).

Creating, moving and cancelling go through :mod:`gateway.meetings.notices`, as the API does
(its schemas check the form), so the alerts, reminders and notices are the same. Times are
typed and shown in East Africa Time. A coordinator sees and changes their counties' meetings.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.forms import eat_input, eat_value, form_errors, in_ui, per_language
from gateway.admin.send_estimate import confirm_page, confirmed
from gateway.admin.templating import t
from gateway.areas import areas
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.meetings.api import MeetingIn, MeetingUpdate
from gateway.meetings.estimate import creation_estimate, move_estimate
from gateway.meetings.models import Meeting, Rsvp
from gateway.meetings.notices import (
    WITHDRAWN_AS,
    MeetingClosed,
    cancel,
    create_meeting,
    message_counts,
    reschedule,
    rsvp_counts,
)
from gateway.platforms.service import platform_choices, platform_names
from gateway.users import audit
from gateway.users.access import Principal, principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

READERS = (ADMIN, COORDINATOR, VIEWER)
WRITERS = (ADMIN, COORDINATOR)


def _no_blanks(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "")}


# Meetings.


def visible_meetings(who: Principal) -> Any:
    query = select(Meeting).order_by(Meeting.starts_at.desc())
    counties = who.visible_counties()
    if counties is not None:
        query = query.where(Meeting.county.in_(counties))
    return query


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not principal().sees_county(meeting.county):
        abort(404)
    return meeting


def _counties(who: Principal) -> list[str]:
    counties: tuple[str, ...] = current_app.extensions["counties"]
    return [c for c in counties if who.sees_county(c)]


@bp.route("/meetings")
@require_role(*READERS)
def meetings() -> str:
    who = principal()
    rows = list(db.session.scalars(visible_meetings(who).limit(200)))
    rsvps: dict[int, dict[str, int]] = {m.id: {"yes": 0, "no": 0} for m in rows}
    for meeting_id, attending, count in db.session.execute(
        select(Rsvp.meeting_id, Rsvp.attending, func.count())
        .where(Rsvp.meeting_id.in_(list(rsvps)))
        .group_by(Rsvp.meeting_id, Rsvp.attending)
    ):
        rsvps[meeting_id]["yes" if attending else "no"] = count
    return render_template(
        "admin/meetings/list.html",
        rows=rows,
        rsvps=rsvps,
        can_write=who.can_write,
        in_ui=in_ui,
    )


def _new_form(errors: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    who = principal()
    return (
        render_template(
            "admin/meetings/new.html",
            languages=catalogs().languages(),
            counties=_counties(who),
            wards={name: county.wards for name, county in areas().items()},
            national=who.visible_counties() is None,
            platforms=platform_choices(),
            form=request.form,
            errors=errors or [],
        ),
        status,
    )


@bp.route("/meetings/new")
@require_role(*WRITERS, write=True)
def meeting_new() -> tuple[str, int]:
    return _new_form()


@bp.post("/meetings")
@require_role(*WRITERS, write=True)
def meeting_create() -> Response | tuple[str, int]:
    who = principal()
    raw = _no_blanks(
        {
            "ward": request.form.get("ward", "").strip(),
            "place": request.form.get("place", "").strip(),
            "starts_at": eat_input("starts_at"),
        }
    )
    raw["title"] = per_language("title")
    raw["agenda"] = per_language("agenda")
    raw["county"] = request.form.get("county") or None
    raw["platform_id"] = request.form.get("platform_id") or None
    try:
        data = MeetingIn().load(raw)
    except ma.ValidationError as error:
        return _new_form(form_errors(error), 422)
    if not who.sees_county(data["county"]):
        abort(403)
    found = creation_estimate(data)
    if not confirmed(found):  # nothing is sent before the officer has seen what it costs
        return confirm_page(
            found,
            title=t("admin.estimate.meeting_create"),
            action=url_for("admin.meeting_create"),
            back=url_for("admin.meeting_new"),
        )
    meeting = create_meeting(**data)
    audit.record(
        "meeting.create",
        "meeting",
        meeting.id,
        county=meeting.county,
        platform_id=meeting.platform_id,
        starts_at=meeting.starts_at.isoformat(),
    )
    db.session.commit()  # the announcement job is enqueued after this commit
    flash(t("admin.meetings.created"))
    return redirect(url_for("admin.meeting_detail", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>")
@require_role(*READERS)
def meeting_detail(meeting_id: int, errors: list[str] | None = None) -> str:
    from gateway.admin.meeting_people import people_context  # which imports this module

    meeting = _meeting_or_404(meeting_id)
    return render_template(
        "admin/meetings/detail.html",
        meeting=meeting,
        platform_name=platform_names([meeting.platform_id])[0] if meeting.platform_id else "",
        in_ui=in_ui,
        rsvps=rsvp_counts(meeting.id),
        messages=message_counts(meeting.id),
        withdrawn_as=WITHDRAWN_AS.values(),
        starts_value=eat_value(meeting.starts_at),
        can_write=principal().can_write,
        errors=errors or [],
        **people_context(meeting),
    )


@bp.post("/meetings/<int:meeting_id>/reschedule")
@require_role(*WRITERS, write=True)
def meeting_reschedule(meeting_id: int) -> Response | tuple[str, int]:
    meeting = _meeting_or_404(meeting_id)
    before = {"starts_at": meeting.starts_at.isoformat(), "place": meeting.place}
    raw: dict[str, Any] = {}
    starts = request.form.get("starts_at", "").strip()
    if starts and starts != eat_value(meeting.starts_at):  # only what changed counts
        raw["starts_at"] = eat_input("starts_at")
    place = request.form.get("place", "").strip()
    if place and place != meeting.place:
        raw["place"] = place
    if not raw:
        flash(t("admin.meetings.unchanged"), "warning")
        return redirect(url_for("admin.meeting_detail", meeting_id=meeting.id))
    try:
        data = MeetingUpdate().load(raw)
    except ma.ValidationError as error:
        return meeting_detail(meeting_id, form_errors(error)), 422
    if meeting.status == "scheduled":
        found = move_estimate(meeting, starts_at=data.get("starts_at"), place=data.get("place"))
        if not confirmed(found):
            return confirm_page(
                found,
                title=t("admin.estimate.meeting_move"),
                action=url_for("admin.meeting_reschedule", meeting_id=meeting.id),
                back=url_for("admin.meeting_detail", meeting_id=meeting.id),
            )
    try:
        changed = reschedule(meeting, starts_at=data.get("starts_at"), place=data.get("place"))
    except MeetingClosed:
        flash(t("admin.meetings.closed"), "error")
        return redirect(url_for("admin.meeting_detail", meeting_id=meeting.id))
    if changed:
        audit.record(
            "meeting.reschedule",
            "meeting",
            meeting.id,
            before=before,
            after={"starts_at": meeting.starts_at.isoformat(), "place": meeting.place},
        )
        db.session.commit()
        flash(t("admin.meetings.rescheduled"))
    return redirect(url_for("admin.meeting_detail", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/cancel")
@require_role(*WRITERS, write=True)
def meeting_cancel(meeting_id: int) -> Response:
    meeting = _meeting_or_404(meeting_id)
    if cancel(meeting):
        audit.record("meeting.cancel", "meeting", meeting.id)
        db.session.commit()
        flash(t("admin.meetings.cancelled"))
    return redirect(url_for("admin.meeting_detail", meeting_id=meeting.id))
