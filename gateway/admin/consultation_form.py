"""The consultation form read and checked: its fields per language, the draft, the audience and
the window in East Africa Time (the clause rows are :mod:`.consultation_clauses`').

Each problem is kept by the name of the field it is about, so the page shows it beside that
field (and in the list at the top).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import request

from gateway.admin.consultation_clauses import ClauseRow, apply_clauses, read_clauses
from gateway.admin.forms import eat_value, language_codes, per_language
from gateway.admin.templating import t
from gateway.api.fields import Keyword, keyword_user
from gateway.areas import areas
from gateway.consultations.models import Consultation
from gateway.extensions import db
from gateway.platforms.models import Platform
from gateway.settings import current_settings

_URL = re.compile(r"https?://\S+")


@dataclass
class ConsultationForm:
    values: dict[str, Any] = field(default_factory=dict)
    clauses: list[ClauseRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def refuse(self, name: str, text: str) -> None:
        self.errors[name] = f"{self.errors[name]} {text}" if name in self.errors else text


def _text(form: ConsultationForm, name: str, limit: int, required: bool = True) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        form.refuse(name, t("admin.problem.required"))
    elif len(value) > limit:
        form.refuse(name, t("admin.problem.too_long", max=limit))
    return value


def _moment(form: ConsultationForm, name: str) -> datetime | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        form.refuse(name, t("admin.problem.required"))
        return None
    try:
        typed = datetime.fromisoformat(raw)
    except ValueError:
        form.refuse(name, t("admin.problem.datetime"))
        return None
    return typed.replace(tzinfo=current_settings().timezone).astimezone(UTC)


def _keyword(form: ConsultationForm, consultation: Consultation | None) -> str:
    raw = request.form.get("keyword", "").strip()
    try:
        keyword = str(Keyword(required=True).deserialize(raw))
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, list) else [str(error)]
        form.refuse("keyword", " ".join(map(str, messages)))
        return raw.upper()
    taken = keyword_user(keyword)
    if taken is not None and (consultation is None or taken != f"consultation {consultation.id}"):
        form.refuse("keyword", t("admin.consultations.keyword_taken", keyword=keyword, by=taken))
    return keyword


def _audience(form: ConsultationForm) -> dict[str, object]:
    known = areas()
    counties = [c for c in request.form.getlist("counties") if c]
    wards = [w for w in request.form.getlist("wards") if w]
    for county in counties:
        if county not in known:
            form.refuse("counties", t("admin.consultations.unknown_county", county=county))
    places = [known[c] for c in counties if c in known] or list(known.values())
    for ward in wards:
        if not any(ward in county.wards for county in places):
            form.refuse("wards", t("admin.consultations.unknown_ward", ward=ward))
    platforms: list[int] = []
    for raw in request.form.getlist("platforms"):
        if raw.isdigit() and db.session.get(Platform, int(raw)) is not None:
            platforms.append(int(raw))
        elif raw:
            form.refuse("platforms", t("admin.consultations.unknown_platform", platform=raw))
    chosen = {"counties": counties, "wards": wards, "platforms": platforms}
    return {name: values for name, values in chosen.items() if values}


def read_form(consultation: Consultation | None) -> ConsultationForm:
    """The posted form, checked against ``consultation`` (None: a new one)."""
    form = ConsultationForm()
    values = form.values
    values["title"] = per_language("title")
    if not values["title"]:
        form.refuse("title", t("admin.consultations.title_required"))
    for code, text in values["title"].items():
        if len(text) > 120:
            form.refuse(f"title_{code}", t("admin.problem.too_long", max=120))
    values["description"] = per_language("description")
    for code, text in values["description"].items():
        if len(text) > 500:
            form.refuse(f"description_{code}", t("admin.problem.too_long", max=500))
    values["keyword"] = _keyword(form, consultation)
    values["draft_name"] = _text(form, "draft_name", 255)
    values["issuing_body"] = _text(form, "issuing_body", 255)
    values["draft_url"] = _text(form, "draft_url", 500, required=False) or None
    if values["draft_url"] and not _URL.fullmatch(values["draft_url"]):
        form.refuse("draft_url", t("admin.consultations.draft_url_invalid"))
    values["addressed_to"] = _text(form, "addressed_to", 255, required=False)
    values["submitted_by"] = _text(form, "submitted_by", 255)
    values["audience"] = _audience(form)
    values["opens_at"] = _moment(form, "opens_at")
    values["closes_at"] = _moment(form, "closes_at")
    opens, closes = values["opens_at"], values["closes_at"]
    if opens and closes and closes <= opens:
        form.refuse("closes_at", t("admin.consultations.closes_before_opens"))
    form.clauses = read_clauses(consultation, form.refuse)
    return form


def apply_form(consultation: Consultation, form: ConsultationForm) -> dict[str, object]:
    """Write a checked form into ``consultation`` (added to the session, flushed); what
    changed, for the audit log."""
    changed: dict[str, object] = {}
    for name, value in form.values.items():
        if getattr(consultation, name, None) != value:
            changed[name] = value if name in ("keyword", "audience") else True
            setattr(consultation, name, value)
    if consultation.id is None:
        db.session.add(consultation)
        db.session.flush()
    changed.update(apply_clauses(consultation, form.clauses))
    return changed


def filled(consultation: Consultation) -> dict[str, Any]:
    """A consultation as the form's fields (the clause rows come from its clauses)."""
    form: dict[str, Any] = {
        "keyword": consultation.keyword,
        "draft_name": consultation.draft_name,
        "issuing_body": consultation.issuing_body,
        "draft_url": consultation.draft_url or "",
        "addressed_to": consultation.addressed_to,
        "submitted_by": consultation.submitted_by,
        "opens_at": eat_value(consultation.opens_at),
        "closes_at": eat_value(consultation.closes_at),
    }
    for code in language_codes():
        form[f"title_{code}"] = consultation.title.get(code, "")
        form[f"description_{code}"] = (consultation.description or {}).get(code, "")
    return form
