""" "You said, we did": the SMS that tells everyone who took part in a consultation that the
memorandum went in (``submitted``) and, later, that the issuing body answered (``responded``).

Before it goes the officer sees its estimate (:mod:`gateway.sms.estimate`: who, by language,
each text and its cost); once confirmed, the date is recorded and a job queues one SMS per
participant and notice, with a dedupe key unique in the database
(``consultation:3:submitted:contact:5``): run twice, or confirmed twice, nobody gets it twice.
It goes to participants with consent who have not opted out, in their language, after the
quiet hours.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, String, cast, literal, select, union

from gateway.consultations.models import Comment, Consultation, Position
from gateway.contacts.models import Contact
from gateway.contacts.service import messageable
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.localized import pick
from gateway.queues import DEFAULT, JOB_RETRY, enqueue_after_commit, job
from gateway.schedule import next_send_time
from gateway.settings import current_settings
from gateway.sms.estimate import Planned, SendEstimate, estimate_send, reach_where
from gateway.sms.models import Message
from gateway.sms.scheduled import queue_to_each
from gateway.sms.texts import say, with_optout_hint

log = logging.getLogger(__name__)

SUBMITTED, RESPONDED = "submitted", "responded"
NOTICES = (SUBMITTED, RESPONDED)
KIND = {SUBMITTED: "consultation_submitted", RESPONDED: "consultation_responded"}
TEXT_KEY = {n: f"sms.consultation.you_said.{n}" for n in NOTICES}


def notice_prefix(consultation_id: int, notice: str) -> str:
    return f"consultation:{consultation_id}:{notice}:contact:"


def participants(consultation_id: int) -> ColumnElement[bool]:
    """Contacts with a position or a comment in the consultation."""
    took_part: Any = union(
        select(Position.contact_id).where(Position.consultation_id == consultation_id),
        select(Comment.contact_id).where(
            Comment.consultation_id == consultation_id, Comment.contact_id.is_not(None)
        ),
    )
    return Contact.id.in_(took_part)


def _untold(consultation_id: int, notice: str) -> ColumnElement[bool]:
    """Participants who have not had this notice (a confirmed send, again, reaches only them)."""
    key = literal(notice_prefix(consultation_id, notice)) + cast(Contact.id, String)
    told = select(Message.id).where(Message.dedupe_key == key)
    return participants(consultation_id) & ~told.exists()


def notice_text(consultation: Consultation, notice: str, language: str) -> str:
    """The notice as a ``language`` speaker gets it (a bulk SMS: with the way out)."""
    title = pick(consultation.title, catalogs().chain(language)) or consultation.draft_name
    text = say(TEXT_KEY[notice], language, title=title, body=consultation.issuing_body)
    return with_optout_hint(text, language)


def estimate(consultation: Consultation, notice: str) -> SendEstimate:
    """What confirming ``notice`` sends: one SMS to each participant not yet told, by language."""
    settings = current_settings()
    found = reach_where(_untold(consultation.id, notice), settings.default_language)
    planned = [
        Planned(KIND[notice], language, notice_text(consultation, notice, language), count)
        for language, count in sorted(found.recipients.items())
    ]
    return estimate_send(planned, found, settings)


def confirm_notice(consultation: Consultation, notice: str, note: str | None = None) -> bool:
    """Record the notice's date (kept if already set; the answer's gist with ``responded``) and
    send it once the transaction commits; whether the date was new. The caller commits."""
    now = utcnow()
    new = False
    if notice == SUBMITTED and consultation.submitted_at is None:
        consultation.submitted_at, new = now, True
    elif notice == RESPONDED:
        if consultation.responded_at is None:
            consultation.responded_at, new = now, True
        if note:
            consultation.response_note = note
    enqueue_after_commit(
        db.session,
        DEFAULT,
        send_you_said,
        consultation.id,
        notice,
        job_id=f"consultation-{consultation.id}-{notice}",
        retry=JOB_RETRY,
    )
    return new


@job
def send_you_said(consultation_id: int, notice: str) -> str:
    """Queue ``notice`` to every participant with consent not yet told, in their language."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or notice not in NOTICES:
        return "nothing to send"
    now = utcnow()
    at = next_send_time(now, current_settings())
    prefix = notice_prefix(consultation_id, notice)
    queued = queue_to_each(
        select(Contact).where(participants(consultation_id), messageable()).order_by(Contact.id),
        partial(notice_text, consultation, notice),
        kind=KIND[notice],
        dedupe_key=lambda contact_id: prefix + str(contact_id),
        not_before=at if at > now else None,
    )
    log.info("consultation %s %s notice queued to %d", consultation_id, notice, queued)
    return f"{queued} {notice} notices queued"
