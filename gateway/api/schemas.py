"""The API's request and response schemas (they also generate the OpenAPI document)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app

from gateway.contacts.wordings import WORDINGS, accepted_wordings, known_wording
from gateway.i18n import catalogs
from gateway.phones import InvalidPhone, normalise_phone


class Phone(ma.fields.String):
    """A phone number in any form Kenyans write it, read as E.164."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_phone(raw)
        except InvalidPhone as exc:
            raise ma.ValidationError("Not a valid phone number; write it like 0712345678.") from exc


def _known_language(code: str) -> None:
    known = [lang.code for lang in catalogs().languages()]
    if code not in known:
        raise ma.ValidationError(f"Unknown language; use one of: {', '.join(known)}.")


def _known_county(name: str) -> None:
    counties: tuple[str, ...] = current_app.extensions["counties"]
    if name not in counties:
        raise ma.ValidationError(f"Unknown county; use one of: {', '.join(counties)}.")


class Wording(ma.fields.String):
    """A consent wording the gateway knows (:mod:`gateway.contacts.wordings`), as its version."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        version = known_wording(super()._deserialize(value, attr, data, **kwargs))
        if version is None:
            raise ma.ValidationError(f"Unknown consent wording; use one of: {accepted_wordings()}.")
        return version


class ConsentIn(ma.Schema):
    channel = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 16),
        metadata={"description": "How consent was given, e.g. `meeting`, `paper_form`, `api`."},
    )
    wording_version = Wording(
        required=True,
        metadata={
            "description": "Which wording the person agreed to: one the gateway knows, "
            "`consent.v1` (the USSD join question) or `sms.join` (texting JOIN).",
            "enum": list(WORDINGS),
        },
    )
    wording_text = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=2000),
        metadata={"description": "The words the person saw or heard."},
    )


class ContactIn(ma.Schema):
    phone = Phone(required=True, metadata={"example": "+254712345678"})
    language = ma.fields.String(load_default=None, validate=_known_language)
    county = ma.fields.String(load_default=None, validate=_known_county)
    ward = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    consent = ma.fields.Nested(ConsentIn, load_default=None)


class ContactUpdate(ma.Schema):
    language = ma.fields.String(validate=_known_language)
    county = ma.fields.String(validate=_known_county)
    ward = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    consent = ma.fields.Nested(ConsentIn)
    opted_out = ma.fields.Boolean(
        metadata={"description": "`true` stops every message to this contact at once."}
    )


class ConsentEventOut(ma.Schema):
    action = ma.fields.String()
    channel = ma.fields.String()
    wording_version = ma.fields.String(allow_none=True)
    wording_text = ma.fields.String(allow_none=True)
    language = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()


class ContactOut(ma.Schema):
    id = ma.fields.Integer()
    phone = ma.fields.String()
    language = ma.fields.String(allow_none=True)
    county = ma.fields.String(allow_none=True)
    ward = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    consent_at = ma.fields.AwareDateTime(allow_none=True)
    consent_channel = ma.fields.String(allow_none=True)
    consent_wording = ma.fields.String(allow_none=True)
    opted_out_at = ma.fields.AwareDateTime(allow_none=True)
    has_consent = ma.fields.Boolean()
    consent_events = ma.fields.List(ma.fields.Nested(ConsentEventOut))


class MessageOut(ma.Schema):
    id = ma.fields.Integer()
    direction = ma.fields.String(metadata={"description": "`in` or `out`."})
    kind = ma.fields.String(attribute="listed_kind")
    phone = ma.fields.String()
    text = ma.fields.String()
    language = ma.fields.String(allow_none=True)
    encoding = ma.fields.String(metadata={"description": "`GSM-7` or `UCS-2`."})
    segments = ma.fields.Integer()
    status = ma.fields.String()
    error = ma.fields.String(allow_none=True)
    provider_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    delivered_at = ma.fields.AwareDateTime(allow_none=True)
    failed_at = ma.fields.AwareDateTime(allow_none=True)


class MessageQuery(ma.Schema):
    phone = Phone(required=True)
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))
