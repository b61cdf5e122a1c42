"""Commitments by duty bearers, followed up from the ground: the list (by duty bearer, status,
county, overdue), a new one or a change (:mod:`gateway.commitments.edit` checks it), its
follow-up rounds with the answers by ward and round, sending a pending round after its estimate
is confirmed, the status set with the community's answers beside it, and the scorecard per duty
bearer with its CSV (:mod:`gateway.admin.scorecard`). Admins write; coordinators read their
counties; viewers read.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.duty_bearers import bearers
from gateway.admin.forms import in_ui, per_language
from gateway.admin.send_estimate import confirm_page, confirmed
from gateway.admin.templating import t
from gateway.areas import areas
from gateway.commitments import answers, followup
from gateway.commitments.edit import WHAT_MAX, Checked, check_commitment
from gateway.commitments.models import (
    OPEN,
    STATUSES,
    VERDICTS,
    Commitment,
    DutyBearer,
    FollowUpRound,
)
from gateway.commitments.scorecard import latest_answers
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.meetings.models import Meeting
from gateway.platforms.models import Platform
from gateway.settings import current_settings
from gateway.users import audit
from gateway.users.access import Principal, principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

READERS = (ADMIN, COORDINATOR, VIEWER)


def visible(who: Principal) -> Select[Any]:
    """The commitments ``who`` may read, soonest due first: a coordinator's counties only."""
    query: Select[Any] = select(Commitment).order_by(Commitment.due_on, Commitment.id)
    counties = who.visible_counties()
    if counties is not None:
        query = query.where(Commitment.county.in_(counties))
    return query


def _commitment_or_404(commitment_id: int) -> Commitment:
    found: Commitment | None = db.session.scalar(
        visible(principal()).where(Commitment.id == commitment_id)
    )
    if found is None:
        abort(404)
    return found


def _arg(name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


@bp.route("/commitments")
@require_role(*READERS)
def commitments() -> str:
    who = principal()
    known = bearers()
    chosen = {
        "duty_bearer": _arg("duty_bearer", [str(b.id) for b in known]),
        "status": _arg("status", STATUSES),
        "county": _arg("county", list(areas())),
        "overdue": request.args.get("overdue") == "1",
    }
    query = visible(who)
    if chosen["duty_bearer"]:
        query = query.where(Commitment.duty_bearer_id == int(str(chosen["duty_bearer"])))
    if chosen["status"]:
        query = query.where(Commitment.status == chosen["status"])
    if chosen["county"]:
        query = query.where(Commitment.county == chosen["county"])
    today = followup.today(current_settings())
    if chosen["overdue"]:
        query = query.where(Commitment.status == OPEN, Commitment.due_on < today)
    rows = list(db.session.scalars(query.limit(500)))
    return render_template(
        "admin/commitments/list.html",
        rows=rows,
        names={b.id: b.name for b in known},
        bearers=known,
        statuses=STATUSES,
        counties=list(areas()),
        chosen=chosen,
        today=today,
        in_ui=in_ui,
        can_write=who.is_admin and who.can_write,
    )


# -- a new commitment, or a change -------------------------------------------------------


def _form_page(
    commitment: Commitment | None, problems: dict[str, str], code: int = 200
) -> tuple[str, int]:
    form: dict[str, Any] = dict(request.form)
    if commitment is not None and request.method == "GET":
        form = {
            "duty_bearer_id": str(commitment.duty_bearer_id),
            "county": commitment.county or "",
            "platform_id": str(commitment.platform_id or ""),
            "meeting_id": str(commitment.meeting_id or ""),
            "made_at_event": commitment.made_at_event or "",
            "made_on": commitment.made_on.isoformat(),
            "due_on": commitment.due_on.isoformat(),
            "source": commitment.source,
            "public": "on" if commitment.public else "",
            **{f"what_{code}": text for code, text in commitment.what.items()},
        }
    wards = (
        request.form.getlist("wards")
        if request.method == "POST"
        else (commitment.wards if commitment else [])
    )
    return (
        render_template(
            "admin/commitments/form.html",
            commitment=commitment,
            form=form,
            wards=wards,
            problems=[t(key) for key in dict.fromkeys(problems.values())],
            bearers=bearers(),
            areas=areas(),
            platforms=db.session.scalars(select(Platform).order_by(Platform.name)).all(),
            meetings=db.session.scalars(
                select(Meeting).order_by(Meeting.starts_at.desc()).limit(100)
            ).all(),
            languages=catalogs().languages(),
            what_max=WHAT_MAX,
            in_ui=in_ui,
        ),
        code,
    )


def _checked() -> Checked:
    return check_commitment(
        request.form,
        per_language("what"),
        [w for w in request.form.getlist("wards") if w],
        [language.code for language in catalogs().languages()],
    )


@bp.route("/commitments/new")
@require_role(ADMIN, write=True)
def commitment_new() -> tuple[str, int]:
    return _form_page(None, {})


@bp.post("/commitments")
@require_role(ADMIN, write=True)
def commitment_create() -> Response | tuple[str, int]:
    checked = _checked()
    if checked.problems:
        return _form_page(None, checked.problems, 422)
    commitment = Commitment(**checked.values)
    db.session.add(commitment)
    db.session.flush()
    audit.record("commitment.create", "commitment", commitment.id, county=commitment.county)
    db.session.commit()
    flash(t("admin.commitments.saved"))
    return redirect(url_for("admin.commitment_detail", commitment_id=commitment.id))


@bp.route("/commitments/<int:commitment_id>/edit")
@require_role(ADMIN, write=True)
def commitment_edit(commitment_id: int) -> tuple[str, int]:
    return _form_page(_commitment_or_404(commitment_id), {})


@bp.post("/commitments/<int:commitment_id>")
@require_role(ADMIN, write=True)
def commitment_update(commitment_id: int) -> Response | tuple[str, int]:
    commitment = _commitment_or_404(commitment_id)
    checked = _checked()
    if checked.problems:
        return _form_page(commitment, checked.problems, 422)
    for name, value in checked.values.items():
        setattr(commitment, name, value)
    audit.record("commitment.update", "commitment", commitment.id)
    db.session.commit()
    flash(t("admin.commitments.saved"))
    return redirect(url_for("admin.commitment_detail", commitment_id=commitment.id))


# -- one commitment: its rounds, answers and status ----------------------------------------


@bp.route("/commitments/<int:commitment_id>")
@require_role(*READERS)
def commitment_detail(commitment_id: int) -> str:
    commitment = _commitment_or_404(commitment_id)
    rounds = followup.rounds(commitment.id)
    by_round = answers.tally_by_round(commitment.id)
    who = principal()
    return render_template(
        "admin/commitments/detail.html",
        commitment=commitment,
        bearer=db.session.get(DutyBearer, commitment.duty_bearer_id),
        platform=db.session.get(Platform, commitment.platform_id)
        if commitment.platform_id
        else None,
        meeting=db.session.get(Meeting, commitment.meeting_id) if commitment.meeting_id else None,
        rounds=rounds,
        by_round={r.id: by_round.get(r.id, dict.fromkeys(VERDICTS, 0)) for r in rounds},
        by_ward={r.id: answers.tally_by_ward(r.id) for r in rounds},
        by_platform={r.id: answers.tally_by_platform(r.id) for r in rounds},
        no_platform=answers.NO_PLATFORM,
        latest=latest_answers(commitment.id),
        verdicts=VERDICTS,
        statuses=STATUSES,
        today=followup.today(current_settings()),
        in_ui=in_ui,
        can_write=who.is_admin and who.can_write,
    )


def _back(commitment: Commitment) -> Response:
    return redirect(url_for("admin.commitment_detail", commitment_id=commitment.id))


@bp.post("/commitments/<int:commitment_id>/rounds/<int:round_id>/send")
@require_role(ADMIN, write=True)
def commitment_round_send(commitment_id: int, round_id: int) -> Response | tuple[str, int]:
    """Send a pending round, once the officer has confirmed its estimate."""
    commitment = _commitment_or_404(commitment_id)
    found = db.session.get(FollowUpRound, round_id)
    if found is None or found.commitment_id != commitment.id:
        abort(404)
    if found.status != followup.PENDING or commitment.status != OPEN:
        flash(t("admin.commitments.round_not_pending"), "error")
        return _back(commitment)
    estimate = followup.round_estimate(found)
    if not confirmed(estimate):  # nothing is sent before the officer has seen what it costs
        return confirm_page(
            estimate,
            title=t("admin.estimate.commitment_round", number=found.number),
            action=url_for(
                "admin.commitment_round_send", commitment_id=commitment.id, round_id=found.id
            ),
            back=url_for("admin.commitment_detail", commitment_id=commitment.id),
        )
    found.recipients = estimate.recipients
    followup.confirm_round(found)
    db.session.commit()  # the send job is enqueued after this commit
    flash(t("admin.commitments.round_sending", n=estimate.recipients))
    return _back(commitment)


@bp.post("/commitments/<int:commitment_id>/status")
@require_role(ADMIN, write=True)
def commitment_status(commitment_id: int) -> Response:
    """The secretariat's verdict (kept, partly, not kept, withdrawn; or open again)."""
    commitment = _commitment_or_404(commitment_id)
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400)
    if status != commitment.status:
        audit.record(
            "commitment.status", "commitment", commitment.id, before=commitment.status, after=status
        )
        commitment.status = status
        commitment.status_set_by = principal().name
        commitment.status_set_at = utcnow()
        if status != OPEN:  # a round waiting to be confirmed is not asked any more
            for pending in followup.rounds(commitment.id):
                if pending.status == followup.PENDING:
                    pending.status = followup.SKIPPED
        db.session.commit()
        flash(t("admin.commitments.status_saved", status=t(f"admin.commitments.status.{status}")))
    return _back(commitment)
