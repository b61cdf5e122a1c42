"""The consultation form's clause rows: read and checked (number, reference, a summary per
language that the clause lint passes, :mod:`gateway.consultations.lint`), then written: added,
changed, renumbered, removed (never one people answered).

A row carries the clause's id; a clause the form did not post keeps its number, so a new row
may not take it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import func, select

from gateway.admin.forms import per_language
from gateway.admin.templating import t, ui_language
from gateway.consultations.lint import summary_problems
from gateway.consultations.models import Clause, Comment, Consultation, Position
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.numbers import whole_number

BLANK_CLAUSE_ROWS = 3  # empty rows under the clauses, to add new ones
MAX_CLAUSE_ROWS = 60
Refuse = Callable[[str, str], None]  # (field name, problem)


@dataclass
class ClauseRow:
    row: int  # the form's row, for the field names
    id: int | None
    number: int
    reference: str
    summary: dict[str, str]
    remove: bool


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


def read_clauses(consultation: Consultation | None, refuse: Refuse) -> list[ClauseRow]:
    """The clause rows posted, each problem given to ``refuse`` by its field's name."""
    own = {c.id for c in consultation.clauses} if consultation else set()
    seen: set[int] = set()
    clauses: list[ClauseRow] = []
    for row in range(1, _row_count() + 1):
        clause = _read_clause(row, own, seen)
        if clause is not None:
            clauses.append(clause)
            seen.add(clause.id or 0)
    # A clause of the consultation the form did not post keeps its number.
    numbers = (
        {c.number for c in consultation.clauses if c.id not in seen} if consultation else set()
    )
    loaded = catalogs()
    for clause in clauses:
        prefix = f"clause{clause.row}"
        if clause.remove:
            continue
        if not clause.number:
            refuse(f"{prefix}_number", t("admin.consultations.clause_number"))
        elif clause.number in numbers:
            refuse(
                f"{prefix}_number", t("admin.consultations.clause_number_twice", n=clause.number)
            )
        numbers.add(clause.number)
        if not clause.reference:
            refuse(f"{prefix}_reference", t("admin.problem.required"))
        elif len(clause.reference) > 64:
            refuse(f"{prefix}_reference", t("admin.problem.too_long", max=64))
        if not clause.summary:
            refuse(f"{prefix}_summary", t("admin.consultations.summary_required"))
        for code, text in clause.summary.items():
            for problem in summary_problems(
                text, clause.reference, clause.number or 1, loaded, code
            ):
                refuse(f"{prefix}_summary_{code}", problem.text(loaded, ui_language()))
    _refuse_removing_answered(clauses, refuse)
    return clauses


def _refuse_removing_answered(clauses: list[ClauseRow], refuse: Refuse) -> None:
    """A clause people answered keeps their positions and comments: it cannot be removed."""
    for clause in clauses:
        if not (clause.remove and clause.id):
            continue
        answered = db.session.scalar(
            select(func.count()).select_from(Position).where(Position.clause_id == clause.id)
        ) or db.session.scalar(
            select(func.count()).select_from(Comment).where(Comment.clause_id == clause.id)
        )
        if answered:
            refuse(f"clause{clause.row}_remove", t("admin.consultations.clause_answered"))


def apply_clauses(consultation: Consultation, rows: list[ClauseRow]) -> dict[str, object]:
    """Write checked clause rows into ``consultation`` (flushed); what changed, for the audit
    log."""
    changed: dict[str, object] = {}
    by_id = {c.id: c for c in consultation.clauses}
    kept = [row for row in rows if not row.remove]
    removed = [by_id[row.id] for row in rows if row.remove and row.id in by_id]
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
