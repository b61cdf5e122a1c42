"""Importing contacts from a CSV file, in a worker, all or nothing.

The file and how each row is checked are described in :mod:`gateway.contacts.import_rows`.
The rule is "nothing half-imported": every row is checked first, and if any row is bad the
import changes nothing and its report names each bad row (its number, the column, the value and
why). A good file creates the contacts that are new and updates those that exist (an empty
cell leaves the contact's value as it is). An import never undoes an opt-out: a contact who sent
STOP stays opted out, and the report says so for their row (not for a row of an exported file,
whose ``opted_out_at`` says so itself: its consent is history).

The work is resumable and safe to run twice: rows are written in batches, each committed with
the count of rows done, so a job that runs again continues after the last committed batch, and
one that finds the import finished does nothing. An exported file imports back as it is, and
changes nothing (its extra columns, such as ``created_at``, are passed over).
"""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import delete, select

from gateway.contacts.import_rows import IMPORT_COLUMNS, Row, check, problem
from gateway.contacts.models import Contact, ContactImport, ContactTag
from gateway.contacts.service import record_consent
from gateway.extensions import db, utcnow
from gateway.queues import job
from gateway.users.access import Principal
from gateway.users.models import User

BATCH = 200
IMPORT_CHANNEL = "import"

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = (DONE, FAILED)


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
        if row.consent and not row.opted_out:
            if contact.opted_out_at is not None:
                notes.append(problem(row.number, "consent", row.consent, "opted_out"))
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
        for name, value in row.extra.items():  # the areas' columns (a platform's code)
            IMPORT_COLUMNS[name].apply(contact, value)
    return created, updated, notes


def _importer(item: ContactImport) -> Principal | None:
    user = db.session.get(User, item.user_id) if item.user_id is not None else None
    return Principal.of_user(user) if user is not None else None


@job
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
