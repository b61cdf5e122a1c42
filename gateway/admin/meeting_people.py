"""A meeting's people: who answered yes or no and who was reached and has not answered, on the
meeting's page (masked numbers linking to the contact) and as CSV files; and the reminder to
those who have not answered, shown with its texts, segments and cost before it is sent.

A coordinator sees and reminds the people of their own counties only. The CSV gives numbers in
full to admins and coordinators, masked to viewers, as the contacts export does.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.forms import in_ui
from gateway.admin.meetings import READERS, WRITERS, _meeting_or_404
from gateway.admin.templating import t
from gateway.exports import csv_response
from gateway.extensions import db
from gateway.meetings.models import Meeting
from gateway.meetings.nudge import enqueue_nudge, preview
from gateway.meetings.people import GROUPS, people
from gateway.phones import mask_phone
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR

SHOWN = 100  # per group on the page; the CSV has everyone


def people_context(meeting: Meeting) -> dict[str, Any]:
    """What the meeting's page shows of its people (see ``admin/meetings/_people.html``)."""
    who = principal()
    return {
        "people": {group: people(meeting, who, group, limit=SHOWN + 1) for group in GROUPS},
        "people_shown": SHOWN,
        "mask_phone": mask_phone,
    }


@bp.route("/meetings/<int:meeting_id>/people.csv")
@require_role(*READERS)
def meeting_people_csv(meeting_id: int) -> Response:
    meeting = _meeting_or_404(meeting_id)
    group = request.args.get("group", "")
    if group not in GROUPS:
        abort(404)
    who = principal()
    full = who.has_role(ADMIN, COORDINATOR)
    rows = people(meeting, who, group)
    audit.record("meeting.people_export", "meeting", meeting.id, group=group, rows=len(rows))
    db.session.commit()
    return csv_response(
        f"meeting-{meeting.id}-{group}.csv",
        ("phone", "language", "county", "ward", "answer", "answered_at", "channel"),
        (
            (
                p.contact.phone if full else mask_phone(p.contact.phone),
                p.contact.language,
                p.contact.county,
                p.contact.ward,
                group,
                p.answered_at,
                p.channel,
            )
            for p in rows
        ),
    )


@bp.route("/meetings/<int:meeting_id>/remind")
@require_role(*WRITERS, write=True)
def meeting_remind_preview(meeting_id: int) -> str:
    """What the reminder would send, to how many, at what cost: nothing goes from here."""
    meeting = _meeting_or_404(meeting_id)
    shown = preview(meeting, principal())
    return render_template("admin/meetings/remind.html", meeting=meeting, p=shown, in_ui=in_ui)


@bp.post("/meetings/<int:meeting_id>/remind")
@require_role(*WRITERS, write=True)
def meeting_remind(meeting_id: int) -> Response:
    meeting = _meeting_or_404(meeting_id)
    who = principal()
    shown = preview(meeting, who)
    back = redirect(url_for("admin.meeting_detail", meeting_id=meeting.id))
    if not shown.open:
        flash(t("admin.meetings.remind_closed"), "error")
        return back
    if request.form.get("confirm") != "yes":
        return redirect(url_for("admin.meeting_remind_preview", meeting_id=meeting.id))
    if shown.recipients == 0:
        flash(t("admin.meetings.remind_nobody"), "warning")
        return back
    if shown.over_budget:  # as a broadcast: nothing goes past the month's budget
        flash(t("admin.meetings.remind_over_budget"), "error")
        return redirect(url_for("admin.meeting_remind_preview", meeting_id=meeting.id))
    enqueue_nudge(meeting, who)
    audit.record(
        "meeting.remind_unanswered",
        "meeting",
        meeting.id,
        recipients=shown.recipients,
        cost_kes=str(shown.cost_kes),
    )
    db.session.commit()  # the job is enqueued after this commit
    flash(t("admin.meetings.remind_queued", n=shown.recipients))
    return back
