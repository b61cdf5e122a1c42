"""Saving a report with a reference number a person can quote on the phone."""

from __future__ import annotations

import secrets

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.phones import mask_phone
from gateway.reports import cases
from gateway.reports.models import SENSITIVE_CATEGORIES, STATUSES, Report
from gateway.sms.models import Message
from gateway.users import audit
from gateway.users.access import Principal
from gateway.users.models import User

# Statuses only their own step sets, with its details (to whom, how; their response): see
# gateway.commitments.cases. The triage form and PATCH offer the others.
STEP_STATUSES = ("escalated", "responded")
TRIAGE_STATUSES = tuple(s for s in STATUSES if s not in STEP_STATUSES)

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


# Triage in the admin UI (and any API that follows): the same rules for both.


class ReplyRefused(Exception):
    """A reply cannot go: the report is anonymous, its sender is gone or has opted out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "anonymous", "no_contact", "opted_out", "empty"


def visible_reports(
    who: Principal,
    *,
    status: str | None = None,
    category: str | None = None,
    county: str | None = None,
) -> Select[Report]:
    """The reports ``who`` may read, newest first: sensitive ones for admins only, a
    coordinator's own counties only."""
    query = select(Report).order_by(Report.created_at.desc(), Report.id.desc())
    if not who.is_admin:
        query = query.where(Report.sensitive.is_(False))
    counties = who.visible_counties()
    if counties is not None:
        query = query.where(Report.county.in_(counties))
    if status:
        query = query.where(Report.status == status)
    if category:
        query = query.where(Report.category == category)
    if county:
        query = query.where(Report.county == county)
    return query


def set_status(report: Report, status: str) -> bool:
    """Move a report to a triage status, audited and kept in its history, the reporter told
    by SMS unless anonymous; False if it was there already."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if report.status == status:
        return False
    before = report.status
    audit.record("report.status", "report", report.id, before=before, after=status)
    report.status, report.updated_at = status, utcnow()
    cases.status_changed(report, before, status)
    return True


def assign(report: Report, user: User | None) -> bool:
    """Give a report to ``user`` to follow up (None: to nobody), audited; False if unchanged."""
    user_id = user.id if user else None
    if report.assigned_to_id == user_id:
        return False
    audit.record(
        "report.assign",
        "report",
        report.id,
        before=report.assigned_to_id,
        after=user_id,
        assignee=user.email if user else None,
    )
    report.assigned_to_id, report.updated_at = user_id, utcnow()
    return True


def reply_target(report: Report, text: str) -> tuple[Contact, str]:
    """Who a reply to ``report`` goes to, and ``text`` as it goes (spaces folded).

    Raises:
        ReplyRefused: empty, anonymous, deleted or opted-out reporter.
    """
    text = " ".join(text.split())
    if not text:
        raise ReplyRefused("empty")
    if report.anonymous:
        raise ReplyRefused("anonymous")
    contact = db.session.get(Contact, report.contact_id) if report.contact_id else None
    if contact is None or contact.anonymised_at is not None:
        raise ReplyRefused("no_contact")
    if contact.opted_out_at is not None:
        raise ReplyRefused("opted_out")
    return contact, text


def reply_to_reporter(report: Report, text: str) -> Message:
    """Queue the officer's ``text`` to the person who sent ``report``, in their language,
    framed by ``sms.report.reply``, and audit it; it goes through the outbound worker like every
    SMS."""
    from gateway.sms.texts import reply

    contact, text = reply_target(report, text)
    report.updated_at = utcnow()
    message = reply(
        contact,
        "sms.report.reply",
        kind="report_reply",
        by_staff=True,
        reference=report.reference,
        text=text,
    )
    audit.record(
        "report.reply",
        "report",
        report.id,
        message_id=message.id,
        to=mask_phone(message.phone),
        language=message.language,
        text=text,
    )
    cases.replied(report, text, message)
    return message
