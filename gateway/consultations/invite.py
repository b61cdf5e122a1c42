"""Inviting a consultation's audience to have their say: one SMS each, in their language, with
the title and how to take part ("text MAONI to 22384 or dial *384*123#").

Who: the audience (:func:`~gateway.consultations.service.audience_condition`) with consent, not
opted out, less those invited already. Each invitation has the dedupe key
``consultation:<id>:invite:contact:<id>``, unique in the database: the job run twice, on two
machines at once, or the page confirmed twice, invites nobody twice. It waits out the quiet
hours. ``invited_at`` is when the invitations were (last) queued.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from sqlalchemy import Select, select

from gateway.consultations.models import Consultation
from gateway.consultations.service import audience_condition, title
from gateway.contacts.models import Contact
from gateway.contacts.service import messageable
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.queues import DEFAULT, JOB_RETRY, enqueue_after_commit, job
from gateway.schedule import next_send_time
from gateway.settings import current_settings
from gateway.sms.estimate import Planned, SendEstimate, estimate_send, reach_where
from gateway.sms.models import Message
from gateway.sms.scheduled import queue_to_each
from gateway.sms.texts import say, with_optout_hint

log = logging.getLogger(__name__)

INVITE = "consultation_invite"


class ConsultationClosed(Exception):
    """The consultation has closed (or closes before the invitations could go)."""


def invite_prefix(consultation_id: int) -> str:
    return f"consultation:{consultation_id}:invite:"


def invite_key(consultation_id: int, contact_id: int) -> str:
    return f"{invite_prefix(consultation_id)}contact:{contact_id}"


def invite_text(consultation: Consultation, language: str) -> str:
    """The invitation as it is sent to a ``language`` speaker (a bulk SMS: with the way out)."""
    named = title(consultation, catalogs().chain(language))
    text = say("sms.consult.invite", language, title=named, keyword=consultation.keyword)
    return with_optout_hint(text, language)


def not_yet_invited(consultation: Consultation) -> Select[Contact]:
    """The audience with consent, not opted out, who have not had the invitation."""
    invited = select(Message.id).where(
        Message.contact_id == Contact.id,
        Message.kind == INVITE,
        Message.dedupe_key.startswith(invite_prefix(consultation.id), autoescape=True),
    )
    return (
        select(Contact)
        .where(messageable(), audience_condition(consultation), ~invited.exists())
        .order_by(Contact.id)
    )


def invite_estimate(consultation: Consultation) -> SendEstimate:
    """What :func:`send_invitations` will send: to whom by language, each text, the cost."""
    settings = current_settings()
    to_invite = Contact.id.in_(
        not_yet_invited(consultation).with_only_columns(Contact.id).order_by(None)
    )
    found = reach_where(to_invite, settings.default_language)
    planned = [
        Planned(INVITE, language, invite_text(consultation, language), count)
        for language, count in sorted(found.recipients.items())
    ]
    return estimate_send(planned, found, settings)


def send_time(consultation: Consultation) -> datetime:
    """When the invitations can go: now, or when it opens, after the quiet hours.

    Raises:
        ConsultationClosed: it closes before then.
    """
    at = next_send_time(max(utcnow(), consultation.opens_at), current_settings())
    if at >= consultation.closes_at:
        raise ConsultationClosed(f"consultation {consultation.id} closes first")
    return at


def enqueue_invitations(consultation: Consultation) -> datetime:
    """Queue the invitations through a worker once the transaction commits, and note when they
    were queued; when they will go.

    Raises:
        ConsultationClosed: they could only go after it closes.
    """
    at = send_time(consultation)
    consultation.invited_at = utcnow()
    enqueue_after_commit(
        db.session,
        DEFAULT,
        send_invitations,
        consultation.id,
        job_id=f"consultation-{consultation.id}-invite-{int(consultation.invited_at.timestamp())}",
        retry=JOB_RETRY,
    )
    return at


@job
def send_invitations(consultation_id: int) -> str:
    """Queue the invitation to everyone in the audience not invited yet, in their language (a
    job; safe to run twice)."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return "no such consultation"
    try:
        at = send_time(consultation)
    except ConsultationClosed:
        return "closed: nothing sent"
    queued = queue_to_each(
        not_yet_invited(consultation),
        partial(invite_text, consultation),
        kind=INVITE,
        dedupe_key=partial(invite_key, consultation.id),
        not_before=at if at > utcnow() else None,
    )
    log.info("consultation %s invitations queued to %d", consultation_id, queued)
    return f"{queued} invitations queued"
