"""Send to one person: from a contact's page or by number, with the text's encoding, segments
and cost shown as one types (before sending), and the consent checks of a broadcast
(:func:`gateway.contacts.service.messageable`): a number the gateway does not know, or someone
who never consented or opted out, gets nothing."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.inbox import WRITERS, _estimate_context
from gateway.admin.templating import t
from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact
from gateway.extensions import db
from gateway.inbox import conversation as conv
from gateway.numbers import whole_number
from gateway.phones import mask_phone, normalise_phone
from gateway.users.access import principal, require_role


def _contact(raw_id: str, number: str) -> Contact | None:
    """The contact chosen by id (a contact's page) or by number, if the user may see it."""
    found: Contact | None = None
    contact_id = whole_number(raw_id)
    if contact_id:
        found = db.session.get(Contact, contact_id)
    elif number:
        try:
            found = find_contact(normalise_phone(number))
        except ValueError:
            return None
    if found is None or found.anonymised_at is not None:
        return None
    return found if principal().sees_county(found.county) else None


@bp.route("/inbox/send", methods=["GET", "POST"])
@require_role(*WRITERS, write=True)
def inbox_send() -> Response | str:
    form = request.form if request.method == "POST" else request.args
    contact_id, number = form.get("contact", ""), form.get("number", "").strip()[:32]
    text = form.get("text", "")
    chosen = _contact(contact_id, number) if (contact_id or number) else None
    if request.method == "POST":
        if chosen is None:
            flash(t("admin.inbox.refused.unknown"), "error")
        else:
            try:
                message = conv.send_text(chosen, text, kind=conv.KIND_DIRECT)
            except conv.SendRefused as refused:
                db.session.rollback()
                flash(t(f"admin.inbox.refused.{refused.reason}", max=conv.TEXT_MAX), "error")
            else:
                db.session.commit()
                flash(
                    t(
                        "admin.inbox.reply_queued",
                        phone=mask_phone(message.phone),
                        count=message.segments,
                    )
                )
                return redirect(url_for("admin.conversation", contact_id=chosen.id))
    return render_template(
        "admin/inbox/send.html",
        chosen=chosen,
        phone=mask_phone(chosen.phone) if chosen else "",
        number=number,
        text=text,
        text_max=conv.TEXT_MAX,
        **_estimate_context(text),
    )
