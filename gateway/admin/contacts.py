"""The admin UI's contacts pages: the list (search, filters, paging, CSV export), a contact's
page (consent history, messages, votes, reports, RSVPs; opt out, delete). Editing is in
:mod:`gateway.admin.contact_edit`, the CSV import in :mod:`gateway.admin.contact_imports`.

A coordinator sees only the contacts of their counties: every query goes through
:func:`_visible`, and a contact of another county gives 403. Opting out and deleting use the
same services as STOP and the API's DELETE (:mod:`gateway.contacts.service`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, exists, false, func, select
from werkzeug.wrappers import Response as BaseResponse

from gateway.admin import bp
from gateway.admin.templating import t, ui_language
from gateway.areas import areas
from gateway.contacts.export import collect
from gateway.contacts.import_rows import COLUMNS, EXPORT_ONLY
from gateway.contacts.imports import tags_of
from gateway.contacts.models import ConsentEvent, Contact, ContactTag
from gateway.contacts.service import anonymise, opt_out
from gateway.contacts.wordings import wordings_in
from gateway.exports import csv_response
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.meetings.models import Meeting, Rsvp
from gateway.numbers import MAX_ID, is_digits, query_number
from gateway.phones import mask_phone
from gateway.polls.models import Poll, PollOption, Vote
from gateway.reports.models import Report
from gateway.sms.models import Message
from gateway.users import audit
from gateway.users.access import Principal, principal, require_role
from gateway.users.models import ADMIN, COORDINATOR, VIEWER

PAGE_SIZE = 50
DETAIL_ROWS = 100  # messages (and votes, RSVPs) shown on a contact's page, newest first
READERS = (ADMIN, COORDINATOR, VIEWER)
FILTERS = ("q", "county", "ward", "language", "consent", "opted_out", "tag")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    county: str = ""
    ward: str = ""
    language: str = ""
    consent: str = ""  # "yes", "no" or ""
    opted_out: str = ""  # "yes", "no" or ""
    tag: str = ""

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        return cls(**{name: (args.get(name) or "").strip()[:64] for name in FILTERS})

    def args(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FILTERS if getattr(self, name)}


def _visible(who: Principal) -> Select[Any]:
    """The contacts ``who`` may see (never the anonymised ones)."""
    query: Select[Any] = select(Contact).where(Contact.anonymised_at.is_(None))
    counties = who.visible_counties()
    if counties is not None:
        query = query.where(Contact.county.in_(counties))
    return query


def _digits(text: str) -> str:
    digits = "".join(char for char in text if is_digits(char))
    if digits.startswith("0"):  # a number typed the Kenyan way: 0712... is +254712...
        digits = "254" + digits[1:]
    return digits


def filtered(who: Principal, filters: Filters) -> Select[Any]:
    """The contacts ``who`` sees that match ``filters``, newest first."""
    query = _visible(who)
    if filters.q:
        digits = _digits(filters.q)
        if not digits:
            return query.where(false())  # no digits: nothing to match (contacts have no names)
        query = query.where(Contact.phone.contains(digits, autoescape=True))
    if filters.county:
        query = query.where(Contact.county == filters.county)
    if filters.ward:
        query = query.where(Contact.ward == filters.ward)
    if filters.language:
        query = query.where(Contact.language == filters.language)
    if filters.consent == "yes":
        query = query.where(Contact.consent_at.is_not(None), Contact.opted_out_at.is_(None))
    elif filters.consent == "no":
        query = query.where((Contact.consent_at.is_(None)) | (Contact.opted_out_at.is_not(None)))
    if filters.opted_out == "yes":
        query = query.where(Contact.opted_out_at.is_not(None))
    elif filters.opted_out == "no":
        query = query.where(Contact.opted_out_at.is_(None))
    if filters.tag:
        query = query.where(
            exists().where(
                ContactTag.contact_id == Contact.id, ContactTag.tag == filters.tag.lower()
            )
        )
    return query.order_by(Contact.id.desc())


def _tags_by_contact(ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if ids:
        rows = db.session.execute(
            select(ContactTag.contact_id, ContactTag.tag)
            .where(ContactTag.contact_id.in_(ids))
            .order_by(ContactTag.tag)
        )
        for contact_id, tag in rows:
            found.setdefault(contact_id, []).append(tag)
    return found


def _choices(who: Principal) -> dict[str, Any]:
    """What the filter and edit forms offer: counties (a coordinator's own), wards, languages,
    tags in use."""
    counties = [c for c in areas().values() if who.sees_county(c.name)]
    tags_query = select(ContactTag.tag).distinct().order_by(ContactTag.tag)
    if who.visible_counties() is not None:
        tags_query = tags_query.where(
            ContactTag.contact_id.in_(_visible(who).with_only_columns(Contact.id))
        )
    return {
        "counties": counties,
        "wards": sorted({w for c in counties for w in c.wards}),
        "languages": catalogs().languages(),
        "all_tags": list(db.session.scalars(tags_query.limit(200))),
    }


@bp.route("/contacts/")
@require_role(*READERS)
def contacts() -> str:
    who = principal()
    filters = Filters.from_args(request.args)
    page = query_number(request.args, "page", 1, low=1, high=MAX_ID // PAGE_SIZE)
    query = filtered(who, filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    pages = max(1, -(-(total or 0) // PAGE_SIZE))
    return render_template(
        "admin/contacts/list.html",
        rows=rows,
        tags=_tags_by_contact([c.id for c in rows]),
        filters=filters,
        args=filters.args(),
        page=page,
        pages=pages,
        total=total or 0,
        **_choices(who),
    )


@bp.route("/contacts/export")
@require_role(*READERS)
def export_contacts() -> BaseResponse:
    """The filtered list as a CSV file, audited: numbers in full (as the import reads them) for
    admins and coordinators, masked for viewers."""
    who = principal()
    full = who.has_role(ADMIN, COORDINATOR)
    filters = Filters.from_args(request.args)
    rows = list(db.session.scalars(filtered(who, filters)))
    tags = _tags_by_contact([c.id for c in rows])
    audit.record("contact.export", "contact", None, rows=len(rows), filters=filters.args())
    db.session.commit()
    header = (*COLUMNS, *EXPORT_ONLY)
    return csv_response(
        "contacts.csv",
        header,
        (
            (
                c.phone if full else mask_phone(c.phone),
                c.language,
                c.county,
                c.ward,
                ";".join(tags.get(c.id, [])),
                c.consent_wording,
                c.created_at,
                c.consent_at,
                c.consent_channel,
                c.opted_out_at,
            )
            for c in rows
        ),
    )


def _contact_or_abort(contact_id: int) -> Contact:
    """The contact, 404 if there is none (or it was deleted), 403 if of another county."""
    who = principal()
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.anonymised_at is not None:
        abort(404)
    if not who.sees_county(contact.county):
        abort(403)
    return contact


def _title(texts: dict[str, str] | None) -> str:
    texts = texts or {}
    language = principal().language
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


@bp.route("/contacts/<int:contact_id>")
@require_role(*READERS)
def contact(contact_id: int) -> str:
    who = principal()
    item = _contact_or_abort(contact_id)
    messages = db.session.scalars(
        select(Message)
        .where(Message.contact_id == item.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(DETAIL_ROWS)
    ).all()
    votes = db.session.execute(
        select(Vote, Poll, PollOption)
        .join(Poll, Poll.id == Vote.poll_id)
        .join(PollOption, PollOption.id == Vote.option_id)
        .where(Vote.contact_id == item.id)
        .order_by(Vote.voted_at.desc())
        .limit(DETAIL_ROWS)
    ).all()
    reports = [
        report
        for report in db.session.scalars(
            select(Report)
            .where(Report.contact_id == item.id, Report.anonymous.is_(False))
            .order_by(Report.created_at.desc())
        )
        if who.sees_report(report.county, report.sensitive)
    ]
    rsvps = db.session.execute(
        select(Rsvp, Meeting)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .where(Rsvp.contact_id == item.id)
        .order_by(Rsvp.answered_at.desc())
        .limit(DETAIL_ROWS)
    ).all()
    events = db.session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.contact_id == item.id)
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
    ).all()
    return render_template(
        "admin/contacts/detail.html",
        contact=item,
        phone=item.phone if who.has_role(ADMIN, COORDINATOR) else mask_phone(item.phone),
        tags=tags_of(item.id),
        events=events,
        messages=messages,
        votes=[(v, p, _title(p.question), _title(o.label)) for v, p, o in votes],
        reports=reports,
        rsvps=[(r, m, _title(m.title)) for r, m in rsvps],
        can_write=who.can_write,
        wordings=wordings_in(ui_language()),
        **_choices(who),
    )


@bp.route("/contacts/<int:contact_id>/opt-out", methods=["POST"])
@require_role(ADMIN, COORDINATOR, write=True)
def opt_out_contact(contact_id: int) -> BaseResponse:
    """Stop every message to the contact, as their STOP would."""
    item = _contact_or_abort(contact_id)
    if opt_out(item, channel="admin"):
        audit.record("contact.opt_out", "contact", item.id, phone=mask_phone(item.phone))
        db.session.commit()
        flash(t("admin.contacts.opted_out_done"), "ok")
    else:
        flash(t("admin.contacts.opted_out_already"), "warning")
    return redirect(url_for("admin.contact", contact_id=item.id))


@bp.route("/contacts/<int:contact_id>/export.json")
@require_role(ADMIN)
def export_contact(contact_id: int) -> Response:
    """Everything held about the contact, as a JSON download (their right of access)."""
    item = _contact_or_abort(contact_id)
    held = collect(item)
    audit.record("contact.export", "contact", item.id, phone=mask_phone(item.phone))
    db.session.commit()
    return Response(
        json.dumps(held, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="contact-{item.id}.json"'},
    )


@bp.route("/contacts/<int:contact_id>/delete", methods=["POST"])
@require_role(ADMIN, COORDINATOR, write=True)
def delete_contact(contact_id: int) -> BaseResponse:
    """Forget who the contact is (the API's DELETE): number and texts go, counts stay."""
    item = _contact_or_abort(contact_id)
    masked = mask_phone(item.phone)
    anonymise(item)
    audit.record("contact.delete", "contact", item.id, phone=masked)
    db.session.commit()
    flash(t("admin.contacts.deleted", phone=masked), "ok")
    return redirect(url_for("admin.contacts"))
