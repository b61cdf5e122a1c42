"""Saving a report with a reference number a person can quote on the phone."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.reports.models import SENSITIVE_CATEGORIES, Report

# No 0/O, 1/I/L: a reference is read aloud and typed on keypads.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    return "R-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def save_report(
    *,
    contact: Contact,
    category: str,
    county: str | None,
    ward: str | None,
    description: str,
    anonymous: bool,
    language: str,
    channel: str,
    session_id: str | None = None,
) -> Report:
    """Save a report (once per USSD session) and return it with its reference.

    An anonymous report keeps no link to the person; a report about security or harassment is
    marked sensitive, for the few who may read those.
    """
    if session_id is not None:
        existing: Report | None = db.session.scalar(
            select(Report).where(Report.session_id == session_id)
        )
        if existing is not None:
            return existing
    for _ in range(5):
        report = Report(
            reference=new_reference(),
            contact_id=None if anonymous else contact.id,
            anonymous=anonymous,
            category=category,
            sensitive=category in SENSITIVE_CATEGORIES,
            county=county,
            ward=ward,
            description=description,
            language=language,
            channel=channel,
            session_id=session_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(report)
            return report
        except IntegrityError:
            if session_id is not None:
                again: Report | None = db.session.scalar(
                    select(Report).where(Report.session_id == session_id)
                )
                if again is not None:
                    return again
    raise RuntimeError("no free report reference after 5 tries")
