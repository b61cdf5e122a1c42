"""The admin UI's CSV import of contacts: the upload (checked, then imported by a worker job),
its progress bar (polled by htmx) and its per-row error report. A coordinator sees only their
own imports."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from gateway.admin import bp
from gateway.admin.auth import takes_upload
from gateway.admin.templating import t, ui_language
from gateway.areas import areas
from gateway.contacts.import_rows import MAX_ROWS
from gateway.contacts.imports import FINISHED, run_import
from gateway.contacts.models import ContactImport
from gateway.contacts.wordings import wordings_in
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.queues import DEFAULT, enqueue_after_commit
from gateway.users import audit
from gateway.users.access import Principal, principal, require_role
from gateway.users.models import ADMIN, COORDINATOR

MAX_UPLOAD = 5 * 1024 * 1024


def _import_or_abort(import_id: int) -> ContactImport:
    who = principal()
    item = db.session.get(ContactImport, import_id)
    if item is None:
        abort(404)
    if not who.is_admin and item.user_id != who.user_id:
        abort(403)  # a coordinator sees their own imports only (the report names rows)
    return item


@bp.route("/contacts/import", methods=["GET", "POST"])
@takes_upload(MAX_UPLOAD + 64 * 1024)  # the file and the form around it
@require_role(ADMIN, COORDINATOR, write=True)
def import_contacts() -> str | BaseResponse | tuple[str, int]:
    who = principal()
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(MAX_UPLOAD + 1) if upload is not None else b""
        problem = None
        if not data:
            problem = "admin.contacts.import.no_file"
        elif len(data) > MAX_UPLOAD:
            problem = "admin.contacts.import.too_big"
        else:
            try:
                content = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                problem = "admin.contacts.import.not_utf8"
        if problem is not None:
            flash(t(problem), "error")
            return _form(who), 400
        name = (upload.filename if upload is not None else None) or "contacts.csv"
        item = ContactImport(user_id=who.user_id, filename=name[:255], content=content)
        db.session.add(item)
        db.session.flush()
        audit.record("contact.import_upload", "contact_import", item.id, filename=item.filename)
        enqueue_after_commit(
            db.session,
            DEFAULT,
            run_import,
            item.id,
            job_id=f"contact-import-{item.id}",
        )
        db.session.commit()
        return redirect(url_for("admin.contact_import", import_id=item.id))
    return _form(who)


def _form(who: Principal) -> str:
    """The upload form, with the consent wordings the import takes and their words (as the
    catalogs hold them, in the user's language or its fallback)."""
    loaded = catalogs()
    languages = [
        (lang.code, loaded.language_name(lang.code, ui_language())) for lang in loaded.languages()
    ]
    return render_template(
        "admin/contacts/import.html",
        recent=_recent(who),
        wordings=wordings_in(ui_language()),
        languages=languages,
        counties=areas(),
    )


# The template's rows show each column filled as the import reads it; the header is what counts.
TEMPLATE = (
    "phone,language,county,ward,tags,consent\r\n"
    "0712345678,sw,Kitui,Mui,youth;farmers,consent.v1\r\n"
    "+254733000111,Kikamba,Kitui,,,\r\n"
    "0722000333,English,Taita-Taveta,Mwatate,women,\r\n"
)


@bp.route("/contacts/import/template.csv")
@require_role(ADMIN, COORDINATOR)
def contacts_template() -> Response:
    """A file to fill in: the columns the import reads and a few rows as examples."""
    return Response(
        "\ufeff" + TEMPLATE,  # the BOM: Excel then opens it as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=contacts-template.csv"},
    )


def _recent(who: Principal) -> list[ContactImport]:
    query = select(ContactImport).order_by(ContactImport.id.desc()).limit(10)
    if not who.is_admin:
        query = query.where(ContactImport.user_id == who.user_id)
    return list(db.session.scalars(query))


@bp.route("/contacts/import/<int:import_id>")
@require_role(ADMIN, COORDINATOR)
def contact_import(import_id: int) -> str:
    item = _import_or_abort(import_id)
    return render_template(
        "admin/contacts/import_status.html", item=item, finished=FINISHED, max_rows=MAX_ROWS
    )


@bp.route("/contacts/import/<int:import_id>/progress")
@require_role(ADMIN, COORDINATOR)
def contact_import_progress(import_id: int) -> str:
    """The progress bar (and, once finished, the report): htmx polls it every second."""
    item = _import_or_abort(import_id)
    return render_template("admin/contacts/_progress.html", item=item, finished=FINISHED)
