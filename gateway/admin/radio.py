"""Radio: the shows (a radio host sees only their own), creating and editing them (admin), the
host's live board inside the admin UI, and the show's studio link (made or revoked by the host
or an admin; :mod:`gateway.radio.studio`).

The board reads the same server-sent events as the studio's bare board
(:mod:`gateway.radio.board`, which lets a logged-in user who may see the show open its
stream) and marks messages through :func:`gateway.radio.feed.set_marks`, as the API's PATCH
does. Listeners' texts are untrusted: the board's script (``static/radio_board.js``) only ever
sets ``textContent``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from gateway.admin import bp
from gateway.admin.forms import form_errors
from gateway.admin.templating import t
from gateway.extensions import db
from gateway.numbers import whole_number
from gateway.polls.models import Poll
from gateway.radio.board import board_links
from gateway.radio.feed import item_of, note_marked, set_marks
from gateway.radio.models import RadioMessage, RadioShow
from gateway.radio.questions import VoiceQuestion, question_item, set_question_marks
from gateway.radio.schedule_form import IncompleteSlot, rows_of, schedule_of, schedule_rows
from gateway.radio.schemas import FeedItem, ShowIn
from gateway.radio.studio import host_deactivated, issue_link, revoke_link
from gateway.settings import current_settings
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, RADIO_HOST, VIEWER

MARKS: dict[str, dict[str, bool]] = {
    "star": {"starred": True},
    "unstar": {"starred": False},
    "hide": {"hidden": True},
    "show": {"hidden": False},
    "on_air": {"read_on_air": True},
    "off_air": {"read_on_air": False},
}


def visible_shows() -> list[RadioShow]:
    who = principal()
    shows = db.session.scalars(select(RadioShow).order_by(RadioShow.id))
    return [show for show in shows if who.owns_show(show.host)]


def _show(show_id: int) -> RadioShow:
    """The show, if the user may see it: 404 if there is none, 403 if it is another host's."""
    show = db.session.get(RadioShow, show_id)
    if show is None:
        abort(404)
    if not principal().owns_show(show.host):
        abort(403)
    return show


def _parse_schedule(form: Any) -> list[dict[str, object]]:
    """The schedule rows: a weekday by name, start and end in EAT (:mod:`schedule_form`)."""
    try:
        return schedule_of(form)
    except IncompleteSlot as incomplete:
        raise ma.ValidationError(
            {"schedule": [t("admin.radio.schedule_incomplete", n=incomplete.row)]}
        ) from None


def _form_values(form: Any) -> dict[str, Any]:
    """The show form as :class:`ShowIn` checks it (the API's own rules)."""
    poll = (form.get("poll_id") or "").strip()
    data: dict[str, Any] = {
        "station": form.get("station", "").strip(),
        "name": form.get("name", "").strip(),
        "host": form.get("host", "").strip().lower() or None,
        "keywords": [k.strip().upper() for k in form.get("keywords", "").split(",") if k.strip()],
        "shortcode": form.get("shortcode", "").strip() or None,
        "schedule": _parse_schedule(form),
        "poll_id": whole_number(poll, low=1) if poll else None,
    }
    if poll and data["poll_id"] is None:  # not a number any poll can have
        raise ma.ValidationError({"poll_id": [t("admin.radio.no_poll")]})
    loaded: dict[str, Any] = ShowIn().load(data)
    if not loaded["keywords"] and not loaded["shortcode"]:
        raise ma.ValidationError({"keywords": [t("admin.radio.needs_keyword")]})
    if loaded["poll_id"] is not None and db.session.get(Poll, loaded["poll_id"]) is None:
        raise ma.ValidationError({"poll_id": [t("admin.radio.no_poll")]})
    return loaded


@bp.route("/radio")
@require_role(ADMIN, RADIO_HOST, VIEWER)
def radio() -> str:
    return render_template("admin/radio/list.html", shows=visible_shows())


@bp.route("/radio/new", methods=["GET", "POST"])
@bp.route("/radio/<int:show_id>/edit", methods=["GET", "POST"])
@require_role(ADMIN, write=True)
def radio_edit(show_id: int | None = None) -> str | BaseResponse | tuple[str, int]:
    show = _show(show_id) if show_id is not None else None
    errors: list[str] = []
    if request.method == "POST":
        try:
            values = _form_values(request.form)
        except ma.ValidationError as error:
            errors = form_errors(error)
        else:
            if show is None:
                show = RadioShow(**values)
                db.session.add(show)
                db.session.flush()
                audit.record("radio.show_created", "radio_show", show.id, name=show.name)
            else:
                if (values["host"] or "") != (show.host or "").lower():
                    revoke_link(show)  # the old host's studio link is not the new host's
                for name, value in values.items():
                    setattr(show, name, value)
                audit.record("radio.show_updated", "radio_show", show.id, name=show.name)
            db.session.commit()
            flash(t("admin.radio.saved", name=show.name))
            return redirect(url_for("admin.radio"))
    form = request.form if request.method == "POST" else None
    polls = db.session.scalars(select(Poll).order_by(Poll.id.desc()).limit(50)).all()
    page = render_template(
        "admin/radio/edit.html",
        show=show,
        form=form,
        errors=errors,
        polls=polls,
        schedule_rows=rows_of(request.form)
        if form is not None
        else schedule_rows(show.schedule if show is not None else []),
    )
    return (page, 422) if errors else page


@bp.route("/radio/<int:show_id>")
@require_role(ADMIN, RADIO_HOST, VIEWER)
def radio_board(show_id: int) -> str:
    from gateway.admin.radio_studio import studio_context

    show = _show(show_id)
    return render_template(
        "admin/radio/board.html",
        show=show,
        stream_url=url_for("radio_board.stream", show_id=show.id),
        question_mark_url=url_for("admin.radio_question_mark", question_id=0),
        can_mark=principal().can_write,
        host_deactivated=host_deactivated(show.host),
        **studio_context(show),
    )


@bp.post("/radio/<int:show_id>/studio-link")
@require_role(ADMIN, RADIO_HOST, write=True)
def radio_studio_link(show_id: int) -> str | BaseResponse:
    """Make (``action=renew``) or revoke (``action=revoke``) the show's studio link, the
    board for the studio's screen with no login; a new link is shown once, here."""
    show = _show(show_id)
    action = request.form.get("action")
    if action == "revoke":
        revoke_link(show)
        audit.record("radio.board_link_revoked", "radio_show", show.id, name=show.name)
        db.session.commit()
        flash(t("admin.radio.link_revoked", name=show.name))
        return redirect(url_for("admin.radio_board", show_id=show.id))
    if action != "renew":
        abort(400)
    key = issue_link(show, current_settings().radio_link_days)
    audit.record("radio.board_link_made", "radio_show", show.id, name=show.name)
    db.session.commit()
    return render_template(
        "admin/radio/link.html",
        show=show,
        link=board_links(show.id, key)["board_url"],
        host_deactivated=host_deactivated(show.host),
    )


@bp.route("/radio/messages/<int:item_id>/mark", methods=["POST"])
@require_role(ADMIN, RADIO_HOST, write=True)
def radio_mark(item_id: int) -> BaseResponse:
    """Star, hide or mark as read on air a feed item of a show the user may see (the same
    function as the API's PATCH /api/v1/radio/messages/<id>)."""
    radio_message = db.session.get(RadioMessage, item_id)
    if radio_message is None:
        abort(404)
    _show(radio_message.show_id)
    mark = MARKS.get(request.form.get("mark", ""))
    if mark is None:
        abort(400)
    set_marks(
        radio_message,
        starred=mark.get("starred"),
        hidden=mark.get("hidden"),
        read_on_air=mark.get("read_on_air"),
    )
    audit.record(
        "radio.message_marked", "radio_message", radio_message.id, mark=request.form["mark"]
    )
    db.session.commit()
    note_marked(radio_message.show_id, radio_message.id)
    return jsonify(FeedItem().dump(item_of(radio_message)))


QUESTION_MARKS: dict[str, dict[str, bool]] = {
    "hide": {"hidden": True},
    "show": {"hidden": False},
    "on_air": {"played": True},
    "off_air": {"played": False},
}


@bp.route("/radio/questions/<int:question_id>/mark", methods=["POST"])
@require_role(ADMIN, RADIO_HOST, write=True)
def radio_question_mark(question_id: int) -> BaseResponse:
    """Mark a caller's recorded question of a show the user may see as played on air (or not),
    or hide it; the boards redraw it with their next stream answer."""
    question = db.session.get(VoiceQuestion, question_id)
    if question is None or question.show_id is None:
        abort(404)
    _show(question.show_id)
    mark = QUESTION_MARKS.get(request.form.get("mark", ""))
    if mark is None:
        abort(400)
    set_question_marks(question, hidden=mark.get("hidden"), played=mark.get("played"))
    audit.record("radio.question_marked", "voice_question", question.id, mark=request.form["mark"])
    db.session.commit()
    return jsonify(question_item(question))
