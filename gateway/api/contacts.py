"""``/api/v1/contacts``: create (with consent), read, update, delete (anonymise), and export
everything held about one number (admin tokens only)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from gateway.api import ApiBlueprint
from gateway.api.fields import fail
from gateway.api.schemas import ContactIn, ContactOut, ContactUpdate
from gateway.api.scope import ADMIN, ADMIN_ONLY, COORDINATOR, STAFF, forbid, roles
from gateway.contacts.export import PARTS, collect
from gateway.contacts.models import ConsentEvent, Contact
from gateway.contacts.service import anonymise, find_contact, opt_out, record_consent
from gateway.extensions import db, utcnow
from gateway.phones import InvalidPhone, mask_phone, normalise_phone
from gateway.users import audit
from gateway.users.access import principal

blp = ApiBlueprint(
    "contacts",
    __name__,
    url_prefix="/contacts",
    read=STAFF,
    write=(ADMIN, COORDINATOR),
    description="People the gateway talks to, and their consent.",
)


def _contact_or_404(phone: str) -> Contact:
    try:
        e164 = normalise_phone(phone)
    except InvalidPhone:
        fail(
            400,
            message=f"'{phone[:32]}' is not a phone number.",
            errors={"path": {"phone": ["Not a valid phone number."]}},
        )
    contact = find_contact(e164)
    if (
        contact is None
        or contact.anonymised_at is not None
        or not principal().sees_county(contact.county)
    ):
        fail(404, message=f"No contact with the number {e164}.")
    return contact


def _consent(contact: Contact, consent: dict[str, Any]) -> None:
    record_consent(
        contact,
        channel=consent["channel"],
        wording_version=consent["wording_version"],
        wording_text=consent.get("wording_text"),
        language=contact.language,
    )


@blp.route("")
class Contacts(MethodView):
    @blp.arguments(ContactIn)
    @blp.response(201, ContactOut)
    @blp.alt_response(
        409,
        description="A contact with this number exists already (in a county the token sees; "
        "for another county's number a coordinator gets the answer a new number gets, and "
        "nothing changes).",
    )
    def post(self, data: dict[str, Any]) -> Contact:
        """Create a contact, recording their consent if it is given."""
        if not principal().sees_county(data["county"]):
            forbid(f"may not add contacts in {data['county']}.")
        held = find_contact(data["phone"])
        if held is not None and not principal().sees_county(held.county):
            return _as_if_created(held.id, data)
        if held is not None:
            fail(
                409,
                message=f"A contact with the number {data['phone']} exists already; "
                "update it with PATCH.",
            )
        contact = Contact(
            phone=data["phone"], language=data["language"], county=data["county"], ward=data["ward"]
        )
        db.session.add(contact)
        if data["consent"]:
            _consent(contact, data["consent"])
        db.session.commit()
        return contact


def _as_if_created(contact_id: int, data: dict[str, Any]) -> Contact:
    """The answer a coordinator gets for a number another county holds: the contact as if it
    had been created from ``data``, changing nothing (not added to the session), so no one
    learns which numbers the counties they do not see hold."""
    now = utcnow()
    contact = Contact(
        id=contact_id,
        phone=data["phone"],
        language=data["language"],
        county=data["county"],
        ward=data["ward"],
        created_at=now,
        consent_events=[],
    )
    consent = data["consent"]
    if consent:
        contact.consent_at, contact.consent_channel = now, consent["channel"]
        contact.consent_wording = consent["wording_version"]
        event = ConsentEvent(
            action="granted",
            channel=consent["channel"],
            wording_version=consent["wording_version"],
            wording_text=consent.get("wording_text"),
            language=data["language"],
            created_at=now,
        )
        contact.consent_events = [event]
    return contact


@blp.route("/<string:phone>")
class ContactByPhone(MethodView):
    @blp.response(200, ContactOut)
    @blp.alt_response(404, description="No contact with this number.")
    def get(self, phone: str) -> Contact:
        """Get one contact by phone number (any common Kenyan format)."""
        return _contact_or_404(phone)

    @blp.arguments(ContactUpdate)
    @blp.response(200, ContactOut)
    @blp.alt_response(404, description="No contact with this number.")
    def patch(self, data: dict[str, Any], phone: str) -> Contact:
        """Change a contact's language or area, record consent, or opt them out."""
        contact = _contact_or_404(phone)
        if "county" in data and not principal().sees_county(data["county"]):
            forbid(f"may not move contacts to {data['county']}.")
        for name in ("language", "county", "ward"):
            if name in data:
                setattr(contact, name, data[name])
        if "consent" in data:
            _consent(contact, data["consent"])
        if data.get("opted_out"):
            opt_out(contact, channel="api")
        db.session.commit()
        return contact

    @blp.response(204)
    @blp.alt_response(404, description="No contact with this number.")
    def delete(self, phone: str) -> None:
        """Delete a contact's personal data: the number and message texts go, counts stay."""
        anonymise(_contact_or_404(phone))
        db.session.commit()


ContactExport = ma.Schema.from_dict(
    {
        "contact": ma.fields.Dict(),
        **{name: ma.fields.List(ma.fields.Raw()) for name in PARTS},
    },
    name="ContactExport",
)


@blp.route("/<string:phone>/export")
@roles(read=ADMIN_ONLY)
class ContactExportByPhone(MethodView):
    @blp.response(200, ContactExport)
    @blp.alt_response(404, description="No contact with this number.")
    def get(self, phone: str) -> dict[str, Any]:
        """Everything held about one number (the person's right of access): the contact,
        consent events, messages in and out, votes, survey answers, RSVPs, reports naming them
        (not anonymous ones), radio messages, guide subscriptions, tags. Audited."""
        contact = _contact_or_404(phone)
        held = collect(contact)
        audit.record("contact.export", "contact", contact.id, phone=mask_phone(contact.phone))
        db.session.commit()
        return held
