"""The reports that name a contact, in their export and deletion."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.reports.models import Report
from gateway.ussd.models import UssdSessionEnd


def reports(contact: Contact) -> list[Row]:
    """Their reports, never an anonymous one."""
    rows = db.session.scalars(
        select(Report)
        .where(Report.contact_id == contact.id, Report.anonymous.is_(False))
        .order_by(Report.id)
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
        }
        for r in rows
    ]


def erase_words(contact: Contact) -> None:
    """A report stays (it is about the community, counted by category and place) but loses its
    words and no longer names its sender. An anonymous report names nobody, but Africa's
    Talking's end-of-session record of the USSD session that sent it does, until the USSD part
    forgets it after this one."""
    their_sessions = select(UssdSessionEnd.session_id).where(UssdSessionEnd.phone == contact.phone)
    db.session.execute(
        update(Report)
        .where(or_(Report.contact_id == contact.id, Report.session_id.in_(their_sessions)))
        .values(contact_id=None, description="", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
