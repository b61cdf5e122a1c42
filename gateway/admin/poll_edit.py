"""Changing a poll (question, options, window) from the admin UI until its first vote; after
it, a clear refusal. Checked as a new poll is (:class:`gateway.polls.api.PollIn`)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.forms import eat_input, eat_value, form_errors, per_language
from gateway.admin.polls import MAX_OPTIONS, _poll_or_404
from gateway.admin.templating import t
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.polls.api import PollIn
from gateway.polls.edit import PollHasVotes, as_input, edit_poll, has_votes
from gateway.polls.models import Poll
from gateway.users import audit
from gateway.users.access import require_role
from gateway.users.models import ADMIN


def _filled(poll: Poll) -> dict[str, str]:
    """The poll as the form's fields."""
    form: dict[str, str] = {
        "keyword": poll.keyword,
        "county": poll.county or "",
        "opens_at": eat_value(poll.opens_at),
        "closes_at": eat_value(poll.closes_at),
        "send_results": "on" if poll.send_results else "",
    }
    for code, text in poll.question.items():
        form[f"question_{code}"] = text
    for option in poll.options:
        for code, label in option.label.items():
            form[f"option{option.position}_{code}"] = label
        form[f"option{option.position}_voice"] = option.voice_number or ""
    return form


def _form(poll: Poll, form: Any, errors: list[str] | None = None, code: int = 200) -> Any:
    return (
        render_template(
            "admin/polls/new.html",
            languages=catalogs().languages(),
            counties=current_app.extensions["counties"],
            max_options=MAX_OPTIONS,
            form=form,
            errors=errors or [],
            poll=poll,
        ),
        code,
    )


def _refused(poll: Poll) -> Response:
    flash(t("admin.polls.edit_refused"), "error")
    return redirect(url_for("admin.poll_detail", poll_id=poll.id))


@bp.route("/polls/<int:poll_id>/edit")
@require_role(ADMIN, write=True)
def poll_edit(poll_id: int) -> Any:
    poll = _poll_or_404(poll_id)
    if has_votes(poll):
        return _refused(poll)
    return _form(poll, _filled(poll))


@bp.post("/polls/<int:poll_id>/edit")
@require_role(ADMIN, write=True)
def poll_update(poll_id: int) -> Any:
    poll = _poll_or_404(poll_id)
    if has_votes(poll):
        return _refused(poll)
    given = [(n, per_language(f"option{n}")) for n in range(1, MAX_OPTIONS + 1)]
    kept = [(n, labels) for n, labels in given if labels]
    raw: dict[str, Any] = {
        **as_input(poll),
        "question": per_language("question"),
        "options": [labels for _, labels in kept],
        "voice_numbers": [request.form.get(f"option{n}_voice", "") for n, _ in kept],
        "send_results": request.form.get("send_results") == "on",
    }
    for name in ("opens_at", "closes_at"):
        typed = eat_input(name)
        if typed:
            raw[name] = typed
    try:
        data = PollIn().load(raw)
    except ma.ValidationError as error:
        return _form(poll, {**request.form, "keyword": poll.keyword}, form_errors(error), 422)
    try:
        changed = edit_poll(poll, data)
    except PollHasVotes:
        db.session.rollback()
        return _refused(poll)
    if changed:
        audit.record("poll.edit", "poll", poll.id, changed=changed)
        db.session.commit()
        flash(t("admin.polls.edited"))
    return redirect(url_for("admin.poll_detail", poll_id=poll.id))
