"""Community platforms: the list, a new platform, and a platform's page (its name, code, county,
wards and monthly announcement allowance; its mining sites; its members, added by number or
removed; its leaders, each with a PIN the secretariat sets).

Admins change platforms; coordinators (their counties' only) and viewers read them. Every
change is audited, with numbers masked and never a PIN. A PIN is stored only as its hash
(``werkzeug.security.generate_password_hash``), which the leader menu checks.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.security import generate_password_hash
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.templating import t
from gateway.areas import areas
from gateway.contacts.models import Contact
from gateway.contacts.service import get_or_create_contact
from gateway.extensions import db
from gateway.phones import InvalidPhone, mask_phone, normalise_phone
from gateway.platforms.models import LEADER, MEMBER, Membership, MiningSite, Platform
from gateway.platforms.service import join, members_of
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

READERS = (ADMIN, COORDINATOR, VIEWER)
CODE = re.compile(r"[A-Z][A-Z0-9]{1,15}")  # what members text after JOIN: MUI, KANZIKU
PIN = re.compile(r"\d{4,6}")
ALLOWANCE_MAX = 100


def _platform(platform_id: int) -> Platform:
    found = db.session.get(Platform, platform_id)
    if found is None or not principal().sees_county(found.county):  # a coordinator's counties
        abort(404)
    return found


def _counts() -> dict[int, int]:
    rows = db.session.execute(
        select(Membership.platform_id, func.count()).group_by(Membership.platform_id)
    )
    return {int(p): int(n) for p, n in rows}


def _list(values: MultiDict[str, str] | None, errors: list[str], status: int) -> Any:
    query = select(Platform).order_by(Platform.county, Platform.name)
    visible = principal().visible_counties()
    if visible is not None:  # a coordinator: their counties' platforms
        query = query.where(Platform.county.in_(visible))
    rows = db.session.scalars(query).all()
    page = render_template(
        "admin/platforms/list.html",
        rows=rows,
        members=_counts(),
        counties=list(areas()),
        values=values or MultiDict(),
        errors=errors,
        can_edit=principal().is_admin,
    )
    return page, status


def _page(platform: Platform, errors: list[str] | None = None, status: int = 200, **kw: Any) -> Any:
    county = areas().get(platform.county)
    page = render_template(
        "admin/platforms/show.html",
        platform=platform,
        members=members_of(platform),
        counties=list(areas()),
        wards=county.wards if county else (),
        errors=errors or [],
        can_edit=principal().is_admin,
        leader=LEADER,
        **kw,
    )
    return page, status


def _read(form: MultiDict[str, str], platform: Platform | None) -> tuple[dict[str, Any], list[str]]:
    """The platform's fields from the form, and what is wrong with them."""
    errors = []
    name = form.get("name", "").strip()[:120]
    code = form.get("code", "").strip().upper()
    county = form.get("county", "").strip()
    known = areas().get(county)
    wards = [w for w in form.getlist("wards") if known and w in known.wards]
    allowance = form.get("monthly_allowance", "0").strip() or "0"
    if not name:
        errors.append(t("admin.platforms.error_name"))
    if not CODE.fullmatch(code):
        errors.append(t("admin.platforms.error_code"))
    if known is None:
        errors.append(t("admin.platforms.error_county"))
    if not allowance.isdigit() or int(allowance) > ALLOWANCE_MAX:
        errors.append(t("admin.platforms.error_allowance", maximum=ALLOWANCE_MAX))
    others = select(Platform.id).where(Platform.id != (platform.id if platform else 0))
    if name and db.session.scalar(others.where(func.lower(Platform.name) == name.lower())):
        errors.append(t("admin.platforms.error_name_taken", name=name))
    if code and db.session.scalar(others.where(func.upper(Platform.code) == code)):
        errors.append(t("admin.platforms.error_code_taken", code=code))
    fields = {
        "name": name,
        "code": code,
        "county": county,
        "wards": wards,
        "monthly_allowance": int(allowance) if allowance.isdigit() else 0,
    }
    return fields, errors


@bp.route("/platforms")
@require_role(*READERS)
def platforms() -> Any:
    return _list(None, [], 200)


@bp.post("/platforms")
@require_role(ADMIN, write=True)
def platform_create() -> Any:
    fields, errors = _read(request.form, None)
    if errors:
        return _list(request.form, errors, 400)
    platform = Platform(**fields)
    db.session.add(platform)
    db.session.flush()
    audit.record("platform.create", "platform", platform.id, **fields)
    db.session.commit()
    flash(t("admin.platforms.created", name=platform.name))
    return redirect(url_for("admin.platform", platform_id=platform.id))


@bp.route("/platforms/<int:platform_id>")
@require_role(*READERS)
def platform(platform_id: int) -> Any:
    return _page(_platform(platform_id))


@bp.post("/platforms/<int:platform_id>")
@require_role(ADMIN, write=True)
def platform_update(platform_id: int) -> Any:
    found = _platform(platform_id)
    fields, errors = _read(request.form, found)
    if errors:
        return _page(found, errors, 400)
    for name, value in fields.items():
        setattr(found, name, value)
    audit.record("platform.update", "platform", found.id, **fields)
    db.session.commit()
    flash(t("admin.platforms.saved", name=found.name))
    return redirect(url_for("admin.platform", platform_id=found.id))


def _site_fields(form: MultiDict[str, str]) -> tuple[dict[str, Any], list[str]]:
    fields = {
        "name": form.get("site_name", "").strip()[:120],
        "mineral": form.get("mineral", "").strip()[:64],
        "licence_holder": form.get("licence_holder", "").strip()[:255] or None,
        "licence_number": form.get("licence_number", "").strip()[:64] or None,
        "ward": form.get("site_ward", "").strip()[:64] or None,
    }
    errors = [] if fields["name"] and fields["mineral"] else [t("admin.platforms.error_site")]
    return fields, errors


@bp.post("/platforms/<int:platform_id>/sites")
@bp.post("/platforms/<int:platform_id>/sites/<int:site_id>")
@require_role(ADMIN, write=True)
def platform_site_save(platform_id: int, site_id: int | None = None) -> Any:
    """Add a mining site, or change one."""
    found = _platform(platform_id)
    fields, errors = _site_fields(request.form)
    if errors:
        return _page(found, errors, 400)
    site = next((s for s in found.sites if s.id == site_id), None) if site_id else MiningSite()
    if site is None:
        abort(404)
    for name, value in fields.items():
        setattr(site, name, value)
    if site_id is None:
        found.sites.append(site)
    db.session.flush()
    audit.record("platform.site_save", "platform", found.id, site=site.id, **fields)
    db.session.commit()
    return redirect(url_for("admin.platform", platform_id=found.id, _anchor="sites"))


@bp.post("/platforms/<int:platform_id>/sites/<int:site_id>/delete")
@require_role(ADMIN, write=True)
def platform_site_delete(platform_id: int, site_id: int) -> Response:
    found = _platform(platform_id)
    site = next((s for s in found.sites if s.id == site_id), None)
    if site is not None:
        audit.record("platform.site_delete", "platform", found.id, site=site.id, name=site.name)
        found.sites.remove(site)
        db.session.commit()
    return redirect(url_for("admin.platform", platform_id=found.id, _anchor="sites"))


@bp.post("/platforms/<int:platform_id>/members")
@require_role(ADMIN, write=True)
def platform_member_add(platform_id: int) -> Any:
    found = _platform(platform_id)
    typed = request.form.get("phone", "")
    try:
        phone = normalise_phone(typed)
    except InvalidPhone as problem:
        return _page(
            found, [t("admin.platforms.error_phone", problem=str(problem))], 400, typed=typed
        )
    contact = get_or_create_contact(phone)
    membership, new = join(found, contact, via="admin")
    masked = mask_phone(phone)
    if new:
        audit.record("platform.member_add", "platform", found.id, phone=masked)
    db.session.commit()
    flash(
        t("admin.platforms.member_added" if new else "admin.platforms.member_already", phone=masked)
    )
    return redirect(url_for("admin.platform", platform_id=found.id, _anchor="members"))


def _membership(platform: Platform, membership_id: int) -> Membership:
    found = db.session.get(Membership, membership_id)
    if found is None or found.platform_id != platform.id:
        abort(404)
    return found


def _masked_member(membership: Membership) -> str:
    contact = db.session.get(Contact, membership.contact_id)
    return mask_phone(contact.phone) if contact else ""


@bp.post("/platforms/<int:platform_id>/members/<int:membership_id>/remove")
@require_role(ADMIN, write=True)
def platform_member_remove(platform_id: int, membership_id: int) -> Response:
    found = _platform(platform_id)
    membership = _membership(found, membership_id)
    masked = _masked_member(membership)
    audit.record("platform.member_remove", "platform", found.id, phone=masked, role=membership.role)
    db.session.delete(membership)
    db.session.commit()
    flash(t("admin.platforms.member_removed", phone=masked))
    return redirect(url_for("admin.platform", platform_id=found.id, _anchor="members"))


@bp.post("/platforms/<int:platform_id>/members/<int:membership_id>/leader")
@require_role(ADMIN, write=True)
def platform_leader_set(platform_id: int, membership_id: int) -> Any:
    """Make a member a leader with a new PIN (or give a leader a new one): a new PIN clears the
    wrong tries and the lock, since the leader was told the new one by the secretariat."""
    found = _platform(platform_id)
    membership = _membership(found, membership_id)
    pin = request.form.get("pin", "").strip()
    if not PIN.fullmatch(pin):
        return _page(found, [t("admin.platforms.error_pin")], 400)
    was = membership.role
    membership.role = LEADER
    membership.pin_hash = generate_password_hash(pin)
    membership.failed_pins = 0
    membership.locked_until = None
    masked = _masked_member(membership)
    action = "platform.leader_pin" if was == LEADER else "platform.leader_make"
    audit.record(action, "platform", found.id, phone=masked)
    db.session.commit()
    flash(t("admin.platforms.leader_set", phone=masked))
    return redirect(url_for("admin.platform", platform_id=found.id, _anchor="members"))


@bp.post("/platforms/<int:platform_id>/members/<int:membership_id>/member")
@require_role(ADMIN, write=True)
def platform_leader_end(platform_id: int, membership_id: int) -> Response:
    """A leader back to a member: the role and its PIN go."""
    found = _platform(platform_id)
    membership = _membership(found, membership_id)
    membership.role, membership.pin_hash = MEMBER, None
    membership.failed_pins, membership.locked_until = 0, None
    masked = _masked_member(membership)
    audit.record("platform.leader_end", "platform", found.id, phone=masked)
    db.session.commit()
    flash(t("admin.platforms.leader_ended", phone=masked))
    return redirect(url_for("admin.platform", platform_id=found.id, _anchor="members"))
