"""Follow-up from the ground: "Has <what> been done? 1 Yes 2 Partly 3 No".

On a commitment's due date, and every ``GATEWAY_COMMITMENT_FOLLOWUP`` after while it is open,
the periodic :func:`open_due_rounds` opens a round: pending, its estimate's reach kept. Nothing is
sent until the secretariat confirms that estimate (:func:`confirm_round`); then
:func:`send_round` asks the consenting contacts of the commitment's wards (its county when it
names none), once per person per round: each SMS has the dedupe key
``commitment:<round>:question:contact:<id>``, unique in the database, so a job run twice, or on
two machines, asks nobody twice. The answers (SMS or USSD) are one per person per round, the
latest counting, tallied by ward and round.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import partial

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.exc import IntegrityError

from gateway.commitments.models import OPEN, Commitment, FollowUpRound
from gateway.contacts.models import Contact
from gateway.contacts.service import messageable
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.localized import pick
from gateway.queues import DEFAULT, JOB_RETRY, enqueue_after_commit, job, periodic
from gateway.schedule import next_send_time
from gateway.settings import Settings, current_settings
from gateway.sms.asked import COMMITMENT_QUESTION
from gateway.sms.estimate import Planned, SendEstimate, estimate_send, reach_where
from gateway.sms.models import Message
from gateway.sms.scheduled import queue_to_each
from gateway.sms.texts import say, with_optout_hint
from gateway.users import audit

log = logging.getLogger(__name__)

ASKED = COMMITMENT_QUESTION  # the kind of every SMS that asks a round's question
PENDING, SENT, SKIPPED = "pending", "sent", "skipped"
ROUNDS_LOCK = "gateway:commitments:rounds:lock"
ROUNDS_LOCK_S = 300


class RoundRefused(Exception):
    """The round cannot be sent: it is not pending, or its commitment is closed."""


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.timezone).date()


def in_area(commitment: Commitment) -> ColumnElement[bool]:
    """Contacts of the commitment's wards, or of its county when it names none (everyone for a
    commitment with no county: a national one)."""
    where: ColumnElement[bool] = true()
    if commitment.county:
        where = and_(where, Contact.county == commitment.county)
    if commitment.wards:
        where = and_(where, Contact.ward.in_(commitment.wards))
    return where


def question_prefix(round_id: int) -> str:
    return f"commitment:{round_id}:"


def question_key(round_id: int, contact_id: int) -> str:
    return f"{question_prefix(round_id)}question:contact:{contact_id}"


def what_in(commitment: Commitment, language: str) -> str:
    return pick(commitment.what, catalogs().chain(language))


def question_sms(commitment: Commitment, language: str) -> str:
    """The question as it is sent to a ``language`` speaker (with the way out: a bulk SMS)."""
    text = say("sms.commitment.question", language, what=what_in(commitment, language))
    return with_optout_hint(text, language)


def not_yet_asked(commitment: Commitment, round_id: int) -> Select[Contact]:
    asked = select(Message.id).where(
        Message.contact_id == Contact.id,
        Message.kind == ASKED,
        Message.dedupe_key.startswith(question_prefix(round_id), autoescape=True),
    )
    return (
        select(Contact)
        .where(messageable(), in_area(commitment), ~asked.exists())
        .order_by(Contact.id)
    )


def round_estimate(followup: FollowUpRound) -> SendEstimate:
    """What sending ``followup`` sends: its question in each language to those of the area
    not yet asked in it, and what that costs."""
    settings = current_settings()
    commitment = db.session.get(Commitment, followup.commitment_id)
    assert commitment is not None
    to_ask = Contact.id.in_(
        not_yet_asked(commitment, followup.id).with_only_columns(Contact.id).order_by(None)
    )
    found = reach_where(to_ask, settings.default_language)
    planned = [
        Planned(ASKED, language, question_sms(commitment, language), count)
        for language, count in sorted(found.recipients.items())
    ]
    return estimate_send(planned, found, settings)


# -- rounds: opened when due, sent once confirmed ------------------------------------------


def number_due(commitment: Commitment, on: date, every: timedelta) -> int:
    """The round ``on`` falls in: 0 before the due date, 1 from it, 2 from ``every`` after..."""
    if on < commitment.due_on:
        return 0
    return (on - commitment.due_on) // every + 1


def open_due_round(commitment: Commitment, settings: Settings) -> FollowUpRound | None:
    """Open the round now due for ``commitment`` (pending, its reach estimated), if it is not
    open yet; an older round still pending is skipped: only the latest is asked."""
    every = settings.commitment_followup
    number = number_due(commitment, today(settings), every)
    if commitment.status != OPEN or number == 0:
        return None
    latest = db.session.scalar(
        select(func.max(FollowUpRound.number)).where(FollowUpRound.commitment_id == commitment.id)
    )
    if latest is not None and latest >= number:
        return None
    for stale in db.session.scalars(
        select(FollowUpRound).where(
            FollowUpRound.commitment_id == commitment.id, FollowUpRound.status == PENDING
        )
    ):
        stale.status = SKIPPED
    followup = FollowUpRound(
        commitment_id=commitment.id,
        number=number,
        asked_on=commitment.due_on + (number - 1) * every,
        status=PENDING,
    )
    try:
        with db.session.begin_nested():
            db.session.add(followup)
    except IntegrityError:  # another run opened it meanwhile
        return None
    followup.recipients = round_estimate(followup).recipients
    return followup


@job
@periodic(ROUNDS_LOCK, ROUNDS_LOCK_S, release=True)
def open_due_rounds() -> dict[str, int]:
    """Open the due round of every open commitment (a periodic job, one run at a time); each
    waits for the secretariat's confirmation of its estimate."""
    settings = current_settings()
    due = db.session.scalars(
        select(Commitment).where(Commitment.status == OPEN, Commitment.due_on <= today(settings))
    ).all()
    opened = 0
    for commitment in due:
        if open_due_round(commitment, settings) is not None:
            opened += 1
        db.session.commit()
    return {"rounds": opened}


def send_job_id(round_id: int) -> str:
    return f"commitment-round-{round_id}"


def confirm_round(followup: FollowUpRound) -> None:
    """The secretariat confirmed the round's estimate: send it through a worker after the commit.

    Raises:
        RoundRefused: the round is not pending or its commitment is closed.
    """
    commitment = db.session.get(Commitment, followup.commitment_id)
    if followup.status != PENDING or commitment is None or commitment.status != OPEN:
        raise RoundRefused(followup.status)
    followup.status = SENT
    audit.record("commitment.round.send", "commitment", commitment.id, round=followup.number)
    enqueue_after_commit(
        db.session,
        DEFAULT,
        send_round,
        followup.id,
        job_id=send_job_id(followup.id),
        retry=JOB_RETRY,
    )


@job
def send_round(round_id: int) -> str:
    """Queue the round's question to everyone of the area not yet asked in it, in their
    language, after the quiet hours (a job; safe to run twice)."""
    followup = db.session.get(FollowUpRound, round_id)
    if followup is None or followup.status != SENT:
        return "not a confirmed round"
    commitment = db.session.get(Commitment, followup.commitment_id)
    if commitment is None or commitment.status != OPEN:
        return "closed: nothing sent"
    now = utcnow()
    at = next_send_time(now, current_settings())
    queued = queue_to_each(
        not_yet_asked(commitment, round_id),
        partial(question_sms, commitment),
        kind=ASKED,
        dedupe_key=partial(question_key, round_id),
        not_before=at if at > now else None,
    )
    followup.recipients = (
        db.session.scalar(
            select(func.count()).where(
                Message.kind == ASKED,
                Message.dedupe_key.startswith(question_prefix(round_id), autoescape=True),
            )
        )
        or 0
    )
    db.session.commit()
    log.info("commitment %s round %s asked %d", commitment.id, followup.number, queued)
    return f"{queued} questions queued"


def rounds(commitment_id: int) -> list[FollowUpRound]:
    return list(
        db.session.scalars(
            select(FollowUpRound)
            .where(FollowUpRound.commitment_id == commitment_id)
            .order_by(FollowUpRound.number)
        )
    )
