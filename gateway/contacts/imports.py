"""Importing contacts from a CSV file, in a worker, all or nothing.

The file has a header row naming its columns (any order, any case; only ``phone`` is required):

- ``phone``: the number in any common Kenyan form (``0712345678``, ``+254712345678``).
- ``language``: ``en``, ``sw`` or ``kam``.
- ``county`` and ``ward``: as in ``flows/areas.yaml`` (a ward must be one of its county's).
- ``tags``: labels separated by ``;`` (``youth;farmers``); added to the contact's tags.
- ``consent``: the version of the consent wording the person agreed to (``consent.v1``); left
  empty, no consent is recorded. Consent is recorded with the channel ``import``.

A cell may start with an apostrophe (as the export writes ``'+254712345678`` so that Excel
keeps it as text): it is dropped.

The rule is "nothing half-imported": every row is checked first, and if any row is bad the
import changes nothing and its report names each bad row (its number, the column, the value and
why). A good file creates the contacts that are new and updates those that exist (an empty
cell leaves the contact's value as it is). An import never undoes an opt-out: a contact who sent
STOP stays opted out, and the report says so for their row.

The work is resumable and safe to run twice: rows are written in batches, each committed with
the count of rows done, so a job that runs again continues after the last committed batch, and
one that finds the import finished does nothing. An exported file imports back as it is (its
extra columns, such as ``created_at``, are passed over).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from flask import g
from sqlalchemy import delete, select

from gateway.areas import areas
from gateway.contacts.models import Contact, ContactImport, ContactTag
from gateway.contacts.service import record_consent
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.phones import InvalidPhone, mask_phone, normalise_phone
from gateway.users.access import Principal
from gateway.users.models import User

COLUMNS = ("phone", "language", "county", "ward", "tags", "consent")
# Columns the export adds, which an import of an exported file passes over.
EXPORT_ONLY = ("created_at", "consent_at", "consent_channel", "opted_out_at")
MAX_ROWS = 50_000
BATCH = 200
TAG_LENGTH = 40
WORDING_LENGTH = 64
IMPORT_CHANNEL = "import"

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = (DONE, FAILED)


@dataclass
class Row:
    """One good row, ready to write."""

    number: int  # the line's row number in the file, the header being row 1
    phone: str
    language: str | None = None
    county: str | None = None
    ward: str | None = None
    tags: list[str] = field(default_factory=list)
    consent: str | None = None


def _problem(number: int, column: str, value: str, reason: str) -> dict[str, Any]:
    """A line of the error report; ``reason`` names the text ``admin.contacts.why.<reason>``."""
    return {"row": number, "column": column, "value": value[:80], "reason": reason}


def parse_tags(text: str) -> list[str]:
    """``"youth; Farmers"`` as ``["youth", "farmers"]``: separated by ``;`` or ``,``,
    lower case, each once."""
    seen: list[str] = []
    for part in text.replace(",", ";").split(";"):
        tag = part.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def set_tags(contact: Contact, tags: list[str], *, keep_others: bool) -> None:
    """Give ``contact`` these tags (added to its others when ``keep_others``, else only these)."""
    current = set(
        db.session.scalars(select(ContactTag.tag).where(ContactTag.contact_id == contact.id))
    )
    if not keep_others and current - set(tags):
        db.session.execute(
            delete(ContactTag).where(
                ContactTag.contact_id == contact.id, ContactTag.tag.not_in(tags)
            )
        )
    for tag in tags:
        if tag not in current:
            db.session.add(ContactTag(contact_id=contact.id, tag=tag))


def tags_of(contact_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(ContactTag.tag)
            .where(ContactTag.contact_id == contact_id)
            .order_by(ContactTag.tag)
        )
    )


def _unquoted(cell: str) -> str:
    """A cell without the apostrophe that keeps Excel from reading it as a formula or number
    (an export's ``'+254712345678``, or one typed by hand)."""
    text = cell.strip()
    return text[1:].strip() if text.startswith("'") else text


def check(content: str, who: Principal | None) -> tuple[list[Row], list[dict[str, Any]]]:
    """Every row of the file checked: the good rows and the report of bad ones."""
    text = content.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        return [], [_problem(1, "phone", "", "no_header")]
    if "phone" not in header:
        return [], [_problem(1, "phone", ",".join(header), "no_header")]
    unknown = [name for name in header if name not in COLUMNS + EXPORT_ONLY]
    if unknown:
        return [], [_problem(1, unknown[0], unknown[0], "unknown_column")]
    languages = {lang.code for lang in catalogs().languages()}
    counties = areas()
    visible = who.visible_counties() if who is not None else None
    rows: list[Row] = []
    problems: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    try:
        lines = list(reader)
    except csv.Error:
        return [], [_problem(1, "phone", "", "not_csv")]
    if len(lines) > MAX_ROWS:
        return [], [_problem(MAX_ROWS + 2, "phone", "", "too_many")]
    for number, cells in enumerate(lines, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        values = {
            name: _unquoted(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)
        }
        bad = len(problems)
        raw_phone = values["phone"]
        phone = ""
        try:
            phone = normalise_phone(raw_phone)
        except InvalidPhone:
            problems.append(_problem(number, "phone", raw_phone, "phone"))
        if phone and phone in first_row:
            problem = _problem(number, "phone", mask_phone(phone), "duplicate")
            problems.append({**problem, "first": first_row[phone]})
        elif phone:
            first_row[phone] = number
        language = values.get("language", "").lower() or None
        if language is not None and language not in languages:
            problems.append(_problem(number, "language", language, "language"))
        county_text = values.get("county", "")
        county = next((c for c in counties if c.lower() == county_text.lower()), None)
        if county_text and county is None:
            problems.append(_problem(number, "county", county_text, "county"))
        elif county is not None and visible is not None and county not in visible:
            problems.append(_problem(number, "county", county_text, "not_your_county"))
        elif county is None and visible is not None:
            problems.append(_problem(number, "county", "", "county_needed"))
        ward_text = values.get("ward", "")
        ward = None
        if ward_text:
            if county is None:
                if county_text == "":
                    problems.append(_problem(number, "ward", ward_text, "ward_without_county"))
            else:
                wards = counties[county].wards
                ward = next((w for w in wards if w.lower() == ward_text.lower()), None)
                if ward is None:
                    problems.append(_problem(number, "ward", ward_text, "ward"))
        tags = parse_tags(values.get("tags", ""))
        long_tag = next((tag for tag in tags if len(tag) > TAG_LENGTH), None)
        if long_tag is not None:
            problems.append(_problem(number, "tags", long_tag, "tag_length"))
        consent = values.get("consent", "") or None
        if consent is not None and len(consent) > WORDING_LENGTH:
            problems.append(_problem(number, "consent", consent, "consent_length"))
        if len(problems) == bad:
            rows.append(Row(number, phone, language, county, ward, tags, consent))
    if not rows and not problems:
        problems.append(_problem(2, "phone", "", "empty"))
    return rows, problems


def _write_batch(rows: list[Row], who: Principal | None) -> tuple[int, int, list[dict[str, Any]]]:
    """Create or update the batch's contacts (a few queries for the whole batch); the numbers
    created and updated, and the notes for the report."""
    phones = [row.phone for row in rows]
    known = {
        c.phone: c for c in db.session.scalars(select(Contact).where(Contact.phone.in_(phones)))
    }
    created = updated = 0
    notes: list[dict[str, Any]] = []
    touched: list[tuple[Row, Contact]] = []
    for row in rows:
        contact = known.get(row.phone)
        if contact is None:
            contact = Contact(phone=row.phone)
            db.session.add(contact)
            known[row.phone] = contact
            created += 1
        elif who is not None and not who.sees_county(contact.county):
            # Another county's contact: left as it is, and reported as a number not held (a
            # new contact), so the report tells no one which numbers other counties hold.
            created += 1
            continue
        else:
            updated += 1
        if row.language:
            contact.language = row.language
        if row.county:
            if row.county != contact.county and not row.ward:
                contact.ward = None
            contact.county = row.county
        if row.ward:
            contact.ward = row.ward
        if row.consent:
            if contact.opted_out_at is not None:
                notes.append(_problem(row.number, "consent", row.consent, "opted_out"))
            elif contact.consent_at is None or contact.consent_wording != row.consent:
                record_consent(
                    contact,
                    channel=IMPORT_CHANNEL,
                    wording_version=row.consent,
                    wording_text=None,
                    language=contact.language,
                )
        touched.append((row, contact))
    db.session.flush()  # the new contacts get their ids
    ids = [contact.id for row, contact in touched if row.tags]
    have: set[tuple[int, str]] = set()
    if ids:
        rows_found = db.session.execute(
            select(ContactTag.contact_id, ContactTag.tag).where(ContactTag.contact_id.in_(ids))
        )
        have = {(contact_id, tag) for contact_id, tag in rows_found}
    for row, contact in touched:
        for tag in row.tags:
            if (contact.id, tag) not in have:
                db.session.add(ContactTag(contact_id=contact.id, tag=tag))
                have.add((contact.id, tag))
    return created, updated, notes


def _importer(item: ContactImport) -> Principal | None:
    user = db.session.get(User, item.user_id) if item.user_id is not None else None
    return Principal.of_user(user) if user is not None else None


def run_import(import_id: int) -> str:
    """Check the import's file and, if every row is good, write its contacts (see above)."""
    had, before = "principal" in g, g.get("principal")
    try:
        return _run(import_id)
    finally:  # a worker runs many jobs in one app context: leave no principal behind
        if had:
            g.principal = before
        else:
            g.pop("principal", None)


def _run(import_id: int) -> str:
    from gateway.users import audit

    item = db.session.get(ContactImport, import_id)
    if item is None:
        return "missing"
    if item.status in FINISHED:
        return item.status
    who = _importer(item)
    g.principal = who  # the audit log names the person who uploaded the file
    rows, problems = check(item.content, who)
    if problems:
        item.status, item.errors = FAILED, problems
        item.total_rows = len(rows) + len({p["row"] for p in problems})
        item.processed_rows = item.total_rows
        item.content, item.finished_at = "", utcnow()
        audit.record(
            "contact.import", "contact_import", item.id, status=FAILED, errors=len(problems)
        )
        db.session.commit()
        return FAILED
    item.status, item.total_rows = RUNNING, len(rows)
    db.session.commit()
    notes: list[dict[str, Any]] = list(item.errors or [])
    for start in range(item.processed_rows, len(rows), BATCH):
        created, updated, batch_notes = _write_batch(rows[start : start + BATCH], who)
        item.created_rows += created
        item.updated_rows += updated
        notes.extend(batch_notes)
        item.processed_rows = min(start + BATCH, len(rows))
        item.errors = list(notes)
        db.session.commit()  # the batch and the count of rows done, together
    item.status, item.content, item.finished_at = DONE, "", utcnow()
    audit.record(
        "contact.import",
        "contact_import",
        item.id,
        status=DONE,
        created=item.created_rows,
        updated=item.updated_rows,
        notes=len(notes),
    )
    db.session.commit()
    return DONE
