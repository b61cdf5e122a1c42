"""Changing a contact from their page: language, county, ward and tags, and recording the
consent they gave (on a paper form, at a meeting) with one of the wordings the gateway knows.

A save changes only what the officer changed. The form shows the contact's values as they are,
even one that is not on the lists it offers (a ward the person gave that ``flows/areas.yaml``
does not have, such as the demo contacts' Mutito), marked "not on the list"; sent back as it
was, such a value is kept. Only a value the officer changes must be on the lists. Recording
consent never undoes an opt-out (as the import): that is the person's own act.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from gateway.admin import bp
from gateway.admin.contacts import _contact_or_abort
from gateway.admin.templating import t
from gateway.areas import areas
from gateway.contacts.import_rows import TAG_LENGTH, parse_tags
from gateway.contacts.imports import set_tags, tags_of
from gateway.contacts.models import Contact
from gateway.contacts.service import record_consent
from gateway.contacts.wordings import accepted_wordings, known_wording
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.phones import mask_phone
from gateway.users import audit
from gateway.users.access import Principal, principal, require_role
from gateway.users.models import ADMIN, COORDINATOR


def _problem(
    item: Contact,
    who: Principal,
    language: str | None,
    county: str | None,
    ward: str | None,
    tags: list[str],
    consent: str | None,
) -> str | None:
    """The key of what is wrong with the change, if anything."""
    known = areas()
    languages = {lang.code for lang in catalogs().languages()}
    if language not in (None, item.language) and language not in languages:
        return "admin.contacts.why.language"
    if county not in (None, item.county) and county not in known:
        return "admin.contacts.why.county"
    if not who.sees_county(county):
        return "admin.contacts.why.not_your_county"
    kept = (county, ward) == (item.county, item.ward)  # the ward as it was, listed or not
    listed = county in known and ward in known[county or ""].wards
    if ward is not None and not kept and not listed:
        return "admin.contacts.why.ward"
    if any(len(tag) > TAG_LENGTH for tag in tags):
        return "admin.contacts.why.tag_length"
    if consent is not None and known_wording(consent) is None:
        return "admin.contacts.why.consent"
    return None


def _record_consent(item: Contact, consent: str | None) -> str | None:
    """Record the consent chosen on the form (none: as it is); the version recorded, if any."""
    version = known_wording(consent) if consent is not None else None
    if version is None or item.opted_out_at is not None:
        return None
    if item.consent_at is not None and item.consent_wording == version:
        return None  # recorded already
    record_consent(
        item, channel="admin", wording_version=version, wording_text=None, language=item.language
    )
    return version


@bp.route("/contacts/<int:contact_id>/edit", methods=["POST"])
@require_role(ADMIN, COORDINATOR, write=True)
def edit_contact(contact_id: int) -> BaseResponse:
    """Change a contact's language, county, ward and tags."""
    item = _contact_or_abort(contact_id)
    form = request.form
    language = form.get("language", "").strip() or None
    county = form.get("county", "").strip() or None
    ward = form.get("ward", "").strip() or None
    tags = parse_tags(form.get("tags", ""))
    consent = form.get("consent", "").strip() or None
    problem = _problem(item, principal(), language, county, ward, tags, consent)
    if problem is not None:
        flash(t(problem, value="", accepted=accepted_wordings()), "error")
        return redirect(url_for("admin.contact", contact_id=item.id))
    before = {
        "language": item.language,
        "county": item.county,
        "ward": item.ward,
        "tags": tags_of(item.id),
        "consent": item.consent_wording,
    }
    item.language, item.county, item.ward = language, county, ward
    set_tags(item, tags, keep_others=False)
    recorded = _record_consent(item, consent)
    after = {"language": language, "county": county, "ward": ward, "tags": sorted(tags)}
    if recorded is not None:
        after["consent"] = recorded
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit.record("contact.update", "contact", item.id, phone=mask_phone(item.phone), **changed)
    db.session.commit()
    flash(t("admin.contacts.saved"), "ok")
    if consent is not None and item.opted_out_at is not None:
        flash(t("admin.contacts.why.opted_out"), "warning")
    return redirect(url_for("admin.contact", contact_id=item.id))
