"""The reports that name a contact, in their export and deletion."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.reports.cases import NOTE, STATUS, ReportEvent
from gateway.reports.models import Report
from gateway.ussd.models import UssdSessionEnd


def reports(contact: Contact) -> list[Row]:
    """Their reports, never an anonymous one."""
    rows = list(
        db.session.scalars(
            select(Report)
            .where(Report.contact_id == contact.id, Report.anonymous.is_(False))
            .order_by(Report.id)
        )
    )
    steps: dict[int, list[Row]] = {r.id: [] for r in rows}
    for event in db.session.scalars(
        select(ReportEvent)
        .where(ReportEvent.report_id.in_(steps))
        .order_by(ReportEvent.created_at, ReportEvent.id)
    ):
        steps[event.report_id].append(
            {
                "kind": event.kind,
                "from": event.from_status,
                "to": event.to_status,
                "note": event.text if event.kind == NOTE else None,
                "at": iso_time(event.created_at),
            }
        )
    return [
        {
            "reference": r.reference,
            "category": r.category,
            "county": r.county,
            "ward": r.ward,
            "description": r.description,
            "status": r.status,
            "channel": r.channel,
            "at": iso_time(r.created_at),
            # Its case: status changes and the secretariat's notes (replies are in messages).
            "history": steps[r.id],
        }
        for r in rows
    ]


def erase_words(contact: Contact) -> None:
    """A report stays (it is about the community, counted by category and place) but loses its
    words and no longer names its sender. An anonymous report names nobody, but Africa's
    Talking's end-of-session record of the USSD session that sent it does, until the USSD part
    forgets it after this one."""
    their_sessions = select(UssdSessionEnd.session_id).where(UssdSessionEnd.phone == contact.phone)
    theirs = or_(Report.contact_id == contact.id, Report.session_id.in_(their_sessions))
    # The case's notes and replies may quote them: the words go, the status changes stay.
    db.session.execute(
        update(ReportEvent)
        .where(
            ReportEvent.kind != STATUS, ReportEvent.report_id.in_(select(Report.id).where(theirs))
        )
        .values(text="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Report)
        .where(theirs)
        .values(contact_id=None, description="", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
