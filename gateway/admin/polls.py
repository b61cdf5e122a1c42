"""Polls: the list, a new poll (question and options per language, keyword, open and close in
East Africa Time, county), sending its question by SMS, and live results as SVG bars by option
and by county, ward, language and channel, with the CSV the API serves.

Validation is the API's (:class:`gateway.polls.api.PollIn`), and the results and CSV come from
:mod:`gateway.polls.results`. A radio host sees only the polls of their own shows.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.forms import eat_input, form_errors, in_ui, per_language
from gateway.admin.send_estimate import confirm_page, confirmed, panel
from gateway.admin.templating import t, tn
from gateway.api.fields import keyword_user
from gateway.exports import csv_response
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.platforms.service import platform_choices, platform_names
from gateway.polls.api import PollIn
from gateway.polls.estimate import question_estimate, results_estimate
from gateway.polls.models import Poll, Vote
from gateway.polls.notices import (
    PollClosed,
    enqueue_question,
    not_yet_asked,
    question_send_time,
)
from gateway.polls.results import (
    CSV_HEADER,
    RESULT_DIMENSIONS,
    poll_results,
    results_rows,
    status,
)
from gateway.radio.models import RadioShow
from gateway.tallies import DIMENSIONS
from gateway.users import audit
from gateway.users.access import Principal, principal, require_role
from gateway.users.models import ADMIN, RADIO_HOST, VIEWER

READERS = (ADMIN, RADIO_HOST, VIEWER)
MAX_OPTIONS = 5


def visible_polls(who: Principal) -> Select[Any]:
    """The polls ``who`` may read, newest first: a radio host's are their shows' polls."""
    query: Select[Any] = select(Poll).order_by(Poll.opens_at.desc(), Poll.id.desc())
    if who.role == RADIO_HOST:
        own = select(RadioShow.poll_id).where(
            RadioShow.poll_id.is_not(None), func.lower(RadioShow.host) == who.name.lower()
        )
        query = query.where(Poll.id.in_(own))
    return query


def _poll_or_404(poll_id: int) -> Poll:
    poll: Poll | None = db.session.scalar(visible_polls(principal()).where(Poll.id == poll_id))
    if poll is None:
        abort(404)
    return poll


@bp.route("/polls")
@require_role(*READERS)
def polls() -> str:
    who = principal()
    rows = list(db.session.scalars(visible_polls(who).limit(200)))
    votes = dict(
        db.session.execute(
            select(Vote.poll_id, func.count())
            .where(Vote.poll_id.in_([p.id for p in rows]))
            .group_by(Vote.poll_id)
        ).all()
    )
    return render_template(
        "admin/polls/list.html",
        rows=rows,
        votes=votes,
        status=status,
        in_ui=in_ui,
        can_create=who.is_admin,
    )


def _new_form(errors: list[str] | None = None, code: int = 200) -> tuple[str, int]:
    from flask import current_app

    return (
        render_template(
            "admin/polls/new.html",
            languages=catalogs().languages(),
            counties=current_app.extensions["counties"],
            platforms=platform_choices(),
            max_options=MAX_OPTIONS,
            form=request.form,
            errors=errors or [],
        ),
        code,
    )


@bp.route("/polls/new")
@require_role(ADMIN, write=True)
def poll_new() -> tuple[str, int]:
    return _new_form()


@bp.post("/polls")
@require_role(ADMIN, write=True)
def poll_create() -> Response | tuple[str, int]:
    given = [(n, per_language(f"option{n}")) for n in range(1, MAX_OPTIONS + 1)]
    kept = [(n, labels) for n, labels in given if labels]
    raw: dict[str, Any] = {
        "keyword": request.form.get("keyword", "").strip(),
        "question": per_language("question"),
        "options": [labels for _, labels in kept],
        "voice_numbers": [request.form.get(f"option{n}_voice", "") for n, _ in kept],
        "county": request.form.get("county") or None,
        "platform_id": request.form.get("platform_id") or None,
        "closes_at": eat_input("closes_at"),
        "send_results": request.form.get("send_results") == "on",
    }
    opens = eat_input("opens_at")
    if opens:
        raw["opens_at"] = opens
    if raw["closes_at"] is None:
        del raw["closes_at"]
    try:
        data = PollIn().load(raw)
    except ma.ValidationError as error:
        return _new_form(form_errors(error), 422)
    taken = keyword_user(data["keyword"])
    if taken is not None:
        return _new_form([t("admin.polls.keyword_taken", keyword=data["keyword"], by=taken)], 409)
    poll = Poll.from_input(data)
    db.session.add(poll)
    db.session.flush()
    audit.record(
        "poll.create",
        "poll",
        poll.id,
        keyword=poll.keyword,
        county=poll.county,
        platform_id=poll.platform_id,
    )
    db.session.commit()
    flash(t("admin.polls.created", keyword=poll.keyword))
    return redirect(url_for("admin.poll_detail", poll_id=poll.id))


@bp.route("/polls/<int:poll_id>")
@require_role(*READERS)
def poll_detail(poll_id: int) -> str:
    poll = _poll_or_404(poll_id)
    results = poll_results(poll)
    labels = {o.position: in_ui(o.label) for o in poll.options}
    people = db.session.scalar(
        select(func.count()).select_from(not_yet_asked(poll).order_by(None).subquery())
    )
    return render_template(
        "admin/polls/detail.html",
        poll=poll,
        platform_name=platform_names([poll.platform_id])[0] if poll.platform_id else "",
        results=results,
        labels=labels,
        dimensions=RESULT_DIMENSIONS if results["by"]["platform"] else DIMENSIONS,
        in_ui=in_ui,
        audience=people or 0,
        # What the results SMS will cost at close, to the voters so far.
        results_sms=panel(results_estimate(poll))
        if poll.send_results and poll.results_sent_at is None
        else None,
        can_send=principal().is_admin,
    )


@bp.route("/polls/<int:poll_id>/results.csv")
@require_role(*READERS)
def poll_csv(poll_id: int) -> Any:
    poll = _poll_or_404(poll_id)
    return csv_response(f"poll-{poll.keyword.lower()}-results.csv", CSV_HEADER, results_rows(poll))


@bp.post("/polls/<int:poll_id>/public")
@require_role(ADMIN, write=True)
def poll_public(poll_id: int) -> Response:
    """Show the poll's results on the public site, or stop showing them (aggregates only; the
    site's pages are cached for up to GATEWAY_PUBLIC_CACHE_SECONDS)."""
    poll = _poll_or_404(poll_id)
    poll.public = request.form.get("public") == "1"
    audit.record("poll.public", "poll", poll.id, public=poll.public)
    db.session.commit()
    flash(t("admin.public.shown" if poll.public else "admin.public.hidden"))
    return redirect(url_for("admin.poll_detail", poll_id=poll.id))


@bp.post("/polls/<int:poll_id>/send")
@require_role(ADMIN, write=True)
def poll_send(poll_id: int) -> Response | tuple[str, int]:
    poll = _poll_or_404(poll_id)
    try:
        question_send_time(poll)
    except PollClosed:
        flash(t("admin.polls.closed"), "error")
        return redirect(url_for("admin.poll_detail", poll_id=poll.id))
    found = question_estimate(poll)
    if not confirmed(found):  # nothing is sent before the officer has seen what it costs
        return confirm_page(
            found,
            title=t("admin.estimate.poll_send", keyword=poll.keyword),
            action=url_for("admin.poll_send", poll_id=poll.id),
            back=url_for("admin.poll_detail", poll_id=poll.id),
        )
    try:
        sends_at = enqueue_question(poll)
    except PollClosed:
        flash(t("admin.polls.closed"), "error")
        return redirect(url_for("admin.poll_detail", poll_id=poll.id))
    people = db.session.scalar(
        select(func.count()).select_from(not_yet_asked(poll).order_by(None).subquery())
    )
    audit.record("poll.send", "poll", poll.id, audience=people, sends_at=sends_at.isoformat())
    db.session.commit()  # the question job is enqueued after this commit
    flash(tn("admin.polls.sending", people or 0, n=people or 0))
    return redirect(url_for("admin.poll_detail", poll_id=poll.id))
