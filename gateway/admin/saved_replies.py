"""Saved replies: texts the secretariat keeps ready, per language, picked in a conversation's
reply box (in the contact's language, or its fallback). Admins keep them; everyone may pick."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.inbox.conversation import TEXT_MAX
from gateway.inbox.models import SavedReply
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

NAME_MAX = 80


@bp.route("/inbox/saved-replies")
@require_role(ADMIN, COORDINATOR, VIEWER)
def saved_replies() -> str:
    rows = db.session.scalars(select(SavedReply).order_by(SavedReply.name)).all()
    return render_template(
        "admin/inbox/saved_replies.html",
        rows=rows,
        languages=catalogs().languages(),
        can_edit=principal().is_admin,
        text_max=TEXT_MAX,
    )


@bp.post("/inbox/saved-replies")
@require_role(ADMIN, write=True)
def saved_reply_save() -> Response:
    """Add a saved reply, or change the one named so."""
    name = request.form.get("name", "").strip()[:NAME_MAX]
    texts = {
        lang.code: text
        for lang in catalogs().languages()
        if (text := request.form.get(f"text_{lang.code}", "").strip()[:TEXT_MAX])
    }
    if not name or not texts:
        flash(t("admin.saved_replies.incomplete"), "error")
        return redirect(url_for("admin.saved_replies"))
    found = db.session.scalar(select(SavedReply).where(SavedReply.name == name))
    if found is None:
        found = SavedReply(name=name, texts=texts)
        db.session.add(found)
    else:
        found.texts = texts
    db.session.flush()
    audit.record("saved_reply.save", "saved_reply", found.id, name=name, languages=sorted(texts))
    db.session.commit()
    flash(t("admin.saved_replies.saved", name=name))
    return redirect(url_for("admin.saved_replies"))


@bp.post("/inbox/saved-replies/<int:reply_id>/delete")
@require_role(ADMIN, write=True)
def saved_reply_delete(reply_id: int) -> Response:
    found = db.session.get(SavedReply, reply_id)
    if found is not None:
        audit.record("saved_reply.delete", "saved_reply", found.id, name=found.name)
        db.session.delete(found)
        db.session.commit()
    return redirect(url_for("admin.saved_replies"))
