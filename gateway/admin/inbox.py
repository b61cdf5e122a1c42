"""The Inbox pages: every free-text SMS no route took and every question recorded by phone,
newest first, filtered, new ones appearing as they arrive (htmx polls the rows, as the import
progress does); and each contact's conversation: the thread with statuses, a reply box with the
text's encoding, segments and cost as one types and saved replies in the contact's language,
mark handled, assign, internal notes. Sending to one person by number is here too.

Rules are the contacts' (a coordinator sees their counties only) and the reports' (a sensitive
SMS is for admins only: :mod:`gateway.inbox.items`). Replies go through the one-person send
path (:func:`gateway.sms.texts.reply_text`), never to someone who opted out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.broadcast_composer import phone_pages
from gateway.admin.contacts import _contact_or_abort
from gateway.admin.templating import t
from gateway.areas import areas
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.inbox import conversation as conv
from gateway.inbox.items import PAGE, Filters, inbox_items
from gateway.inbox.models import Conversation, SavedReply
from gateway.numbers import whole_number
from gateway.phones import mask_phone
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER, User

READERS = (ADMIN, COORDINATOR, VIEWER)
WRITERS = (ADMIN, COORDINATOR)


def _before() -> datetime | None:
    """The ``before`` of an older page: the time of the last item of the page before it."""
    try:
        found = datetime.fromisoformat(request.args.get("before", ""))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def _list_context() -> dict[str, Any]:
    who = principal()
    filters = Filters.from_args(request.args)
    before = _before()
    items = inbox_items(who, filters, before)
    users = dict(db.session.execute(select(User.id, User.name)).all())
    older = items[-1].created_at.isoformat() if len(items) == PAGE else None
    return {"items": items, "filters": filters, "users": users, "before": before, "older": older}


@bp.route("/inbox")
@require_role(*READERS)
def inbox() -> str:
    who = principal()
    return render_template(
        "admin/inbox/list.html",
        counties=[c for c in areas() if who.sees_county(c)],
        languages=catalogs().languages(),
        **_list_context(),
    )


@bp.route("/inbox/rows")
@require_role(*READERS)
def inbox_rows() -> str:
    """The list's rows, polled by the page: new items appear within seconds."""
    return render_template("admin/inbox/_rows.html", **_list_context())


def _assignees(contact: Contact) -> list[User]:
    """Active admins, and active coordinators of the contact's county."""
    users = db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(WRITERS)).order_by(User.name)
    )
    return [u for u in users if u.role == ADMIN or contact.county in (u.counties or [])]


def _saved_replies() -> list[SavedReply]:
    return list(db.session.scalars(select(SavedReply).order_by(SavedReply.name)))


def _saved_text(saved: SavedReply, language: str) -> str:
    texts = saved.texts or {}
    for code in catalogs().chain(language):
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")


def _estimate_context(text: str) -> dict[str, Any]:
    found = conv.estimate(text)
    return {"estimate": found, "pages": phone_pages(found.text, found.info)}


@bp.route("/inbox/contacts/<int:contact_id>")
@require_role(*READERS)
def conversation(contact_id: int) -> str:
    who = principal()
    contact = _contact_or_abort(contact_id)
    found = db.session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    text = ""
    saved_id = whole_number(request.args.get("saved", ""))
    saved = db.session.get(SavedReply, saved_id) if saved_id else None
    if saved is not None:
        text = _saved_text(saved, contact.language or "en")
    return render_template(
        "admin/inbox/conversation.html",
        contact=contact,
        phone=mask_phone(contact.phone),
        entries=conv.thread(contact, who.is_admin),
        conv=found,
        assignee=db.session.get(User, found.assigned_to_id)
        if found and found.assigned_to_id
        else None,
        assignees=_assignees(contact),
        saved_replies=_saved_replies(),
        saved=saved,
        text=text,
        text_max=conv.TEXT_MAX,
        can_write=who.can_write,
        can_reply=contact.opted_out_at is None,
        **_estimate_context(text),
    )


@bp.route("/inbox/contacts/<int:contact_id>/thread")
@require_role(*READERS)
def conversation_thread(contact_id: int) -> str:
    """The thread alone, polled by the page: statuses move as delivery reports come."""
    contact = _contact_or_abort(contact_id)
    return render_template(
        "admin/inbox/_thread.html",
        contact=contact,
        entries=conv.thread(contact, principal().is_admin),
    )


@bp.post("/inbox/estimate")
@require_role(*READERS)
def inbox_estimate() -> str:
    return render_template(
        "admin/inbox/_estimate.html", **_estimate_context(request.form.get("text", ""))
    )


def _back(contact: Contact) -> Response:
    return redirect(url_for("admin.conversation", contact_id=contact.id))


@bp.post("/inbox/contacts/<int:contact_id>/reply")
@require_role(*WRITERS, write=True)
def conversation_reply(contact_id: int) -> Response:
    contact = _contact_or_abort(contact_id)
    try:
        message = conv.send_text(contact, request.form.get("text", ""), kind=conv.KIND_REPLY)
    except conv.SendRefused as refused:
        db.session.rollback()
        flash(t(f"admin.inbox.refused.{refused.reason}", max=conv.TEXT_MAX), "error")
        return _back(contact)
    if request.form.get("handled") == "1":
        conv.mark_handled(contact, principal().user_id)
    db.session.commit()  # the send job is enqueued after this commit
    flash(t("admin.inbox.reply_queued", phone=mask_phone(message.phone), count=message.segments))
    return _back(contact)


@bp.post("/inbox/contacts/<int:contact_id>/handled")
@require_role(*WRITERS, write=True)
def conversation_handled(contact_id: int) -> Response:
    contact = _contact_or_abort(contact_id)
    handled = request.form.get("handled", "1") == "1"
    conv.mark_handled(contact, principal().user_id, handled)
    db.session.commit()
    flash(t("admin.inbox.handled_done" if handled else "admin.inbox.reopened"))
    return _back(contact)


@bp.post("/inbox/contacts/<int:contact_id>/assign")
@require_role(*WRITERS, write=True)
def conversation_assign(contact_id: int) -> Response:
    contact = _contact_or_abort(contact_id)
    raw = request.form.get("user_id", "")
    user = None
    if raw:
        user_id = whole_number(raw)
        user = db.session.get(User, user_id) if user_id else None
        if user is None or user not in _assignees(contact):
            abort(400)
    if conv.assign(contact, user):
        db.session.commit()
        flash(t("admin.inbox.assigned", name=user.name) if user else t("admin.inbox.unassigned"))
    return _back(contact)


@bp.post("/inbox/contacts/<int:contact_id>/note")
@require_role(*WRITERS, write=True)
def conversation_note(contact_id: int) -> Response:
    contact = _contact_or_abort(contact_id)
    if conv.add_note(contact, principal().user_id, request.form.get("note", "")) is not None:
        db.session.commit()
        flash(t("admin.inbox.note_saved"))
    return _back(contact)
