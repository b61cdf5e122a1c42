"""The consultation form read and checked: its fields per language, the draft, the audience, the
window in East Africa Time, and the clause rows (added, changed, renumbered, removed).

Each problem is kept by the name of the field it is about, so the page shows it beside that
field (and in the list at the top); a clause summary is checked by the clause lint
(:mod:`gateway.consultations.lint`) in every language given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import request
from sqlalchemy import func, select

from gateway.admin.forms import eat_value, language_codes, per_language
from gateway.admin.templating import t, ui_language
from gateway.api.fields import Keyword, keyword_user
from gateway.areas import areas
from gateway.consultations.lint import summary_problems
from gateway.consultations.models import Clause, Comment, Consultation, Position
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.numbers import whole_number
from gateway.platforms.models import Platform
from gateway.settings import current_settings

BLANK_CLAUSE_ROWS = 3  # empty rows under the clauses, to add new ones
MAX_CLAUSE_ROWS = 60
_URL = re.compile(r"https?://\S+")


@dataclass
class ClauseRow:
    row: int  # the form's row, for the field names
    id: int | None
    number: int
    reference: str
    summary: dict[str, str]
    remove: bool


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


def _row_count() -> int:
    return min(whole_number(request.form.get("clause_rows", "")) or 0, MAX_CLAUSE_ROWS)


def _read_clause(row: int, own: set[int], seen: set[int]) -> ClauseRow | None:
    """Clause row ``row`` as posted; None for a blank row (left for adding one)."""
    prefix = f"clause{row}"
    clause_id = whole_number(request.form.get(f"{prefix}_id", ""))
    if clause_id not in own or clause_id in seen:
        clause_id = None  # not one of this consultation's clauses: a new one
    reference = request.form.get(f"{prefix}_reference", "").strip()
    summary = per_language(f"{prefix}_summary")
    if clause_id is None and not reference and not summary:
        return None
    number = whole_number(request.form.get(f"{prefix}_number", "").strip(), low=1, high=999)
    remove = request.form.get(f"{prefix}_remove") == "on"
    return ClauseRow(row, clause_id, number or 0, reference, summary, remove)


def _clause_rows(form: ConsultationForm, consultation: Consultation | None) -> None:
    own = {c.id for c in consultation.clauses} if consultation else set()
    seen: set[int] = set()
    for row in range(1, _row_count() + 1):
        clause = _read_clause(row, own, seen)
        if clause is not None:
            form.clauses.append(clause)
            seen.add(clause.id or 0)
    # A clause of the consultation the form did not post keeps its number.
    numbers = (
        {c.number for c in consultation.clauses if c.id not in seen} if consultation else set()
    )
    loaded = catalogs()
    for clause in form.clauses:
        prefix = f"clause{clause.row}"
        if clause.remove:
            continue
        if not clause.number:
            form.refuse(f"{prefix}_number", t("admin.consultations.clause_number"))
        elif clause.number in numbers:
            form.refuse(
                f"{prefix}_number", t("admin.consultations.clause_number_twice", n=clause.number)
            )
        numbers.add(clause.number)
        if not clause.reference:
            form.refuse(f"{prefix}_reference", t("admin.problem.required"))
        elif len(clause.reference) > 64:
            form.refuse(f"{prefix}_reference", t("admin.problem.too_long", max=64))
        if not clause.summary:
            form.refuse(f"{prefix}_summary", t("admin.consultations.summary_required"))
        for code, text in clause.summary.items():
            for problem in summary_problems(
                text, clause.reference, clause.number or 1, loaded, code
            ):
                form.refuse(f"{prefix}_summary_{code}", problem.text(loaded, ui_language()))
    _refuse_removing_answered(form)


def _refuse_removing_answered(form: ConsultationForm) -> None:
    """A clause people answered keeps their positions and comments: it cannot be removed."""
    for clause in form.clauses:
        if not (clause.remove and clause.id):
            continue
        answered = db.session.scalar(
            select(func.count()).select_from(Position).where(Position.clause_id == clause.id)
        ) or db.session.scalar(
            select(func.count()).select_from(Comment).where(Comment.clause_id == clause.id)
        )
        if answered:
            form.refuse(f"clause{clause.row}_remove", t("admin.consultations.clause_answered"))


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
    _clause_rows(form, consultation)
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
    by_id = {c.id: c for c in consultation.clauses}
    kept = [row for row in form.clauses if not row.remove]
    removed = [by_id[row.id] for row in form.clauses if row.remove and row.id in by_id]
    for gone in removed:
        consultation.clauses.remove(gone)
    # Numbers are unique per consultation: move the kept ones out of the way first, so that
    # swapping clauses 1 and 2 never meets itself half done.
    for row in kept:
        if row.id in by_id:
            by_id[row.id].number = -row.row
    db.session.flush()
    for row in kept:
        clause: Clause | None = by_id.get(row.id) if row.id else None
        if clause is None:
            clause = Clause(consultation_id=consultation.id, number=row.number)
            consultation.clauses.append(clause)
        clause.number, clause.reference, clause.summary = row.number, row.reference, row.summary
    db.session.flush()
    consultation.clauses.sort(key=lambda c: c.number)
    changed["clauses"] = [row.number for row in kept]
    if removed:
        changed["clauses_removed"] = [gone.reference for gone in removed]
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


def clause_rows_of(consultation: Consultation | None) -> list[dict[str, Any]]:
    """The clause rows the form shows: the consultation's clauses, then blank ones."""
    rows: list[dict[str, Any]] = []
    for clause in consultation.clauses if consultation else []:
        row: dict[str, Any] = {
            "id": clause.id,
            "number": clause.number,
            "reference": clause.reference,
        }
        row.update({f"summary_{code}": text for code, text in clause.summary.items()})
        rows.append(row)
    start = max((r["number"] for r in rows), default=0)
    rows += [
        {"id": "", "number": start + n, "reference": ""} for n in range(1, BLANK_CLAUSE_ROWS + 1)
    ]
    return rows


def posted_clause_rows() -> list[dict[str, Any]]:
    """The clause rows as posted, to show the form again with what was typed."""
    rows = []
    for n in range(1, _row_count() + 1):
        prefix = f"clause{n}_"
        rows.append(
            {
                key.removeprefix(prefix): value
                for key, value in request.form.items()
                if key.startswith(prefix)
            }
        )
    return rows
