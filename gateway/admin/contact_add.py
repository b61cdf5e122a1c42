"""Adding one contact from a form, and the ward choices of a county (for the forms' ward lists).

The form takes what a row of the CSV import takes and checks it by the same rules
(:func:`gateway.contacts.import_rows.check_row`): a number in any common Kenyan form, a
language and county as people write them, a ward of that county, tags, and consent only with a
wording the gateway knows (left empty, none is recorded). A coordinator adds contacts to their
own counties only. A number the gateway holds already is refused, with a link to that contact
when the officer may open it (a coordinator is not told which county holds it). Audited.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.admin import bp
from gateway.admin.contacts import READERS, _choices
from gateway.admin.templating import t, ui_language
from gateway.areas import areas
from gateway.contacts.import_rows import COLUMNS, Row, check_row
from gateway.contacts.imports import set_tags
from gateway.contacts.models import Contact
from gateway.contacts.service import record_consent
from gateway.contacts.wordings import accepted_wordings, wordings_in
from gateway.extensions import db
from gateway.phones import InvalidPhone, mask_phone, normalise_phone
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR

ADD_CHANNEL = "admin"


def _form(
    values: dict[str, str], problems: list[str], existing: Contact | None, status: int
) -> Any:
    who = principal()
    return (
        render_template(
            "admin/contacts/new.html",
            values=values,
            problems=problems,
            existing=existing,
            wordings=wordings_in(ui_language()),
            **_choices(who),
        ),
        status,
    )


def _held(values: dict[str, str]) -> Contact | None:
    """The contact already holding the form's number, if any (and the number is valid)."""
    try:
        phone = normalise_phone(values.get("phone", ""))
    except InvalidPhone:
        return None
    return db.session.scalar(select(Contact).where(Contact.phone == phone))


def _create(row: Row) -> Contact | None:
    """The new contact (not committed), or None if its number was taken meanwhile."""
    contact = Contact(phone=row.phone, language=row.language, county=row.county, ward=row.ward)
    try:
        with db.session.begin_nested():
            db.session.add(contact)
    except IntegrityError:
        return None  # the same number added at the same moment: the caller finds it held
    set_tags(contact, row.tags, keep_others=False)
    if row.consent is not None:
        record_consent(
            contact,
            channel=ADD_CHANNEL,
            wording_version=row.consent,
            wording_text=None,
            language=contact.language,
        )
    audit.record(
        "contact.create",
        "contact",
        contact.id,
        phone=mask_phone(contact.phone),
        language=row.language,
        county=row.county,
        ward=row.ward,
        tags=row.tags,
        consent=row.consent,
    )
    return contact


@bp.route("/contacts/new", methods=["GET", "POST"])
@require_role(ADMIN, COORDINATOR, write=True)
def add_contact() -> Any:
    """The form (GET), and adding the contact it describes (POST)."""
    if request.method == "GET":
        return _form({}, [], None, 200)
    values = {name: request.form.get(name, "").strip()[:200] for name in COLUMNS}
    held = _held(values)
    if held is not None:
        return _duplicate(values, held)
    row, problems = check_row(values, principal())
    if row is None:
        lines = [_problem_line(p) for p in problems]
        return _form(values, lines, None, 400)
    contact = _create(row)
    if contact is None:
        db.session.rollback()
        again = _held(values)
        return _duplicate(values, again) if again is not None else _form(values, [], None, 400)
    db.session.commit()
    flash(t("admin.contacts.add.done", phone=mask_phone(contact.phone)), "ok")
    return redirect(url_for("admin.contact", contact_id=contact.id))


def _duplicate(values: dict[str, str], held: Contact) -> Any:
    """Refuse a number held already: a link to it for an officer who may open it."""
    who = principal()
    visible = held.anonymised_at is None and who.sees_county(held.county)
    if visible:
        return _form(values, [t("admin.contacts.add.exists")], held, 409)
    return _form(values, [t("admin.contacts.add.exists_elsewhere")], None, 409)


def _problem_line(line: dict[str, Any]) -> str:
    column = t(f"admin.contacts.{line['column']}")
    why = t(f"admin.contacts.why.{line['reason']}", row="", accepted=accepted_wordings())
    return f"{column}: {why}"


@bp.route("/contacts/wards")
@require_role(*READERS)
def ward_options() -> str:
    """A form's ward ``<select>`` for the county chosen (htmx swaps it in when the county
    changes): that county's wards, or every visible county's, grouped, when none is chosen.
    ``blank`` names the empty choice ("any" in the list's filters)."""
    return render_template(
        "admin/contacts/_wards.html",
        counties=[c for c in areas().values() if principal().sees_county(c.name)],
        county=request.args.get("county", "").strip()[:64],
        ward=request.args.get("ward", "").strip()[:64],
        blank=t("admin.contacts.any") if request.args.get("filter") else "–",
    )
