"""Taking part in a consultation, the same on every channel (USSD, SMS, voice): which are open
to a person, their position on a clause, their comments and their consent to be quoted.

Who a consultation is for (``Consultation.audience``): everyone in any of the ``counties``, the
``wards`` or the ``platforms`` (ids; their members, :class:`~gateway.platforms.models.Membership`)
it lists; nothing listed is everyone. It is open from ``opens_at`` until ``closes_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select

from gateway.consultations.models import STANCES, Clause, Comment, Consultation, Position
from gateway.contacts.models import Contact
from gateway.extensions import conflict_insert, db, utcnow
from gateway.localized import pick
from gateway.platforms.models import Membership
from gateway.sms.campaigns import is_open

__all__ = [
    "add_comment",
    "allow_quote",
    "audience_condition",
    "clause_by_number",
    "in_audience",
    "is_open",
    "open_to",
    "record_position",
    "summary",
    "title",
]


def _listed(audience: dict[str, Any] | None, name: str) -> list[Any]:
    values = (audience or {}).get(name) or []
    return list(values) if isinstance(values, list | tuple) else []


def _platform_ids(audience: dict[str, Any] | None) -> list[int]:
    return [int(p) for p in _listed(audience, "platforms") if str(p).isdigit()]


def audience_condition(consultation: Consultation) -> ColumnElement[bool]:
    """The contacts in ``consultation``'s audience, as a condition on :class:`Contact`."""
    audience = consultation.audience
    counties, wards = _listed(audience, "counties"), _listed(audience, "wards")
    platforms = _platform_ids(audience)
    if not (counties or wards or platforms):
        return Contact.id.is_not(None)
    members = select(Membership.contact_id).where(Membership.platform_id.in_(platforms))
    parts: list[ColumnElement[bool]] = []
    if counties:
        parts.append(Contact.county.in_(counties))
    if wards:
        parts.append(Contact.ward.in_(wards))
    if platforms:
        parts.append(Contact.id.in_(members))
    return or_(false(), *parts)


def in_audience(consultation: Consultation, contact: Contact) -> bool:
    """Whether ``contact`` is one of those ``consultation`` is for."""
    audience = consultation.audience
    counties, wards = _listed(audience, "counties"), _listed(audience, "wards")
    platforms = _platform_ids(audience)
    if not (counties or wards or platforms):
        return True
    if contact.county in counties or (contact.ward is not None and contact.ward in wards):
        return True
    if platforms and contact.id is not None:
        member = db.session.scalar(
            select(Membership.id).where(
                Membership.contact_id == contact.id, Membership.platform_id.in_(platforms)
            )
        )
        return member is not None
    return False


def open_to(contact: Contact, at: datetime | None = None) -> list[Consultation]:
    """The consultations open now (or ``at``) whose audience ``contact`` is in, closing soonest
    first."""
    now = at or utcnow()
    found = db.session.scalars(
        select(Consultation)
        .where(Consultation.opens_at <= now, Consultation.closes_at > now)
        .order_by(Consultation.closes_at, Consultation.id)
    )
    return [c for c in found if in_audience(c, contact)]


def title(consultation: Consultation, chain: Sequence[str]) -> str:
    return pick(consultation.title, chain) or consultation.draft_name


def summary(clause: Clause, chain: Sequence[str]) -> str:
    return pick(clause.summary, chain)


def chosen(data: Mapping[str, Any]) -> tuple[Consultation | None, Clause | None]:
    """The consultation and clause a USSD session or a call chose (their ids under
    ``consultation`` and ``clause``); a clause of another consultation is no clause."""
    picked = str(data.get("consultation") or "")
    consultation = db.session.get(Consultation, int(picked)) if picked.isdigit() else None
    picked = str(data.get("clause") or "")
    clause = db.session.get(Clause, int(picked)) if picked.isdigit() else None
    if clause is None or consultation is None or clause.consultation_id != consultation.id:
        return consultation, None
    return consultation, clause


def clause_by_number(consultation: Consultation, number: int) -> Clause | None:
    return next((c for c in consultation.clauses if c.number == number), None)


def record_position(
    clause: Clause, contact: Contact, stance: str, channel: str, at: datetime | None = None
) -> bool:
    """Keep ``contact``'s position on ``clause``: one per person and clause, the latest counts
    (by when it was given: a position handled after a later one changes nothing). Where and in
    what language the person is are kept with it, for the memorandum's tables. False (nothing
    kept) when the consultation is not open."""
    if stance not in STANCES:
        raise ValueError(f"unknown stance {stance!r}")
    consultation = db.session.get(Consultation, clause.consultation_id)
    if consultation is None or not is_open(consultation):
        return False
    row = {
        "consultation_id": clause.consultation_id,
        "clause_id": clause.id,
        "contact_id": contact.id,
        "stance": stance,
        "channel": channel,
        "county": contact.county,
        "ward": contact.ward,
        "language": contact.language,
        "updated_at": at or utcnow(),
    }
    # One statement, safe when the same person answers twice at once (two workers).
    insert = conflict_insert(Position.__table__).values(row)
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=["clause_id", "contact_id"],
            set_={name: insert.excluded[name] for name in row if name not in _KEY},
            where=Position.__table__.c.updated_at <= insert.excluded.updated_at,
        )
    )
    return True


_KEY = ("clause_id", "contact_id")


def add_comment(
    clause: Clause,
    contact: Contact,
    channel: str,
    *,
    text: str | None = None,
    recording_id: int | None = None,
    quote_ok: bool = False,
    language: str | None = None,
) -> Comment | None:
    """Keep a comment (typed, or recorded: ``recording_id``); every comment is kept, none
    replaces another. None (nothing kept) when the consultation is not open."""
    consultation = db.session.get(Consultation, clause.consultation_id)
    if consultation is None or not is_open(consultation):
        return None
    comment = Comment(
        consultation_id=clause.consultation_id,
        clause_id=clause.id,
        contact_id=contact.id,
        text=text,
        recording_id=recording_id,
        channel=channel,
        county=contact.county,
        ward=contact.ward,
        language=language or contact.language,
        quote_ok=quote_ok,
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def allow_quote(contact: Contact, consultation_ids: Iterable[int]) -> Comment | None:
    """The author said yes to being quoted without their name: their latest comment (not
    erased) in one of ``consultation_ids`` may be quoted. That comment, or None."""
    comment: Comment | None = db.session.scalar(
        select(Comment)
        .where(
            Comment.contact_id == contact.id,
            Comment.consultation_id.in_(list(consultation_ids)),
            Comment.erased_at.is_(None),
        )
        .order_by(Comment.id.desc())
        .limit(1)
    )
    if comment is not None:
        comment.quote_ok = True
    return comment
