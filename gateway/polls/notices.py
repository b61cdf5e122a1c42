"""A poll's SMS to many: its question to its audience, and its results to its voters on close.

Each queues one message per person and occasion, with a dedupe key unique in the database
(``poll:3:question:contact:5``, ``poll:3:results:contact:5``), in batches: a job run twice, or on
two machines at once, sends nobody anything twice. Both wait out the quiet hours.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from functools import partial

from sqlalchemy import Select, select

from gateway.contacts.models import Contact
from gateway.contacts.service import opted_out
from gateway.extensions import db, utcnow
from gateway.platforms.service import county_audience
from gateway.polls import texts
from gateway.polls.models import Poll, Vote
from gateway.polls.results import vote_counts
from gateway.polls.sms import ASKED, question_key, question_prefix
from gateway.queues import DEFAULT, JOB_RETRY, enqueue_after_commit, job, periodic
from gateway.schedule import next_send_time
from gateway.settings import current_settings
from gateway.sms.models import Message
from gateway.sms.scheduled import queue_to_each
from gateway.sms.texts import with_optout_hint

log = logging.getLogger(__name__)

RESULTS_LOCK = "gateway:polls:results:lock"
RESULTS_LOCK_S = 300  # released at the end of a run; expires if a worker dies holding it


class PollClosed(Exception):
    """The poll has closed (or will before its question could go): nothing is sent."""


def audience(poll: Poll) -> Select[Contact]:
    """Contacts with consent in the poll's county, or everywhere for a poll for everyone."""
    return county_audience(poll.county, poll.platform_id)


def not_yet_asked(poll: Poll) -> Select[Contact]:
    """The audience less those who have had the question by SMS (from a send, or texting the
    keyword alone, under any key of the poll) or have voted, by SMS or USSD: they have read it.
    Someone who only looked at the poll on USSD is not recorded, and gets the SMS."""
    asked = select(Message.id).where(
        Message.contact_id == Contact.id,
        Message.kind == ASKED,
        Message.dedupe_key.startswith(question_prefix(poll.id), autoescape=True),
    )
    voted = select(Vote.id).where(Vote.poll_id == poll.id, Vote.contact_id == Contact.id)
    return audience(poll).where(~asked.exists(), ~voted.exists())


def question_send_time(poll: Poll) -> datetime:
    """When the question can go: now, or when the poll opens, after the quiet hours.

    Raises:
        PollClosed: the poll closes before then.
    """
    settings = current_settings()
    at = next_send_time(max(utcnow(), poll.opens_at), settings)
    if at >= poll.closes_at:
        raise PollClosed(f"poll {poll.id} closes at {poll.closes_at.isoformat()}")
    return at


def question_job_id(poll_id: int) -> str:
    return f"poll-{poll_id}-question"


def enqueue_question(poll: Poll) -> datetime:
    """Send the poll's question to its audience through a worker, once the transaction commits;
    when it will go.

    Raises:
        PollClosed: it could only go after the poll closes.
    """
    at = question_send_time(poll)
    enqueue_after_commit(
        db.session,
        DEFAULT,
        send_poll_question,
        poll.id,
        job_id=question_job_id(poll.id),
        retry=JOB_RETRY,
    )
    return at


@job
def send_poll_question(poll_id: int) -> str:
    """Queue the question, with its numbered options, to everyone in the poll's audience who has
    not had it (by this send or by texting the keyword) nor voted, in their language (a job)."""
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        return "no such poll"
    try:
        at = question_send_time(poll)
    except PollClosed:
        return "closed: nothing sent"
    queued = queue_to_each(
        not_yet_asked(poll),
        lambda language: with_optout_hint(texts.question_sms(poll, language), language),  # bulk
        kind=ASKED,
        dedupe_key=partial(question_key, poll.id),
        not_before=at if at > utcnow() else None,
    )
    log.info("poll %s question queued to %d", poll_id, queued)
    return f"{queued} questions queued"


@job
@periodic(RESULTS_LOCK, RESULTS_LOCK_S, release=True)
def send_due_results() -> dict[str, int]:
    """Queue the results SMS of every poll that closed with ``send_results`` and has not sent
    them: one to each voter, in their language (a periodic job, one run at a time)."""
    counts: Counter[str] = Counter()
    due = db.session.scalars(
        select(Poll.id).where(
            Poll.send_results.is_(True),
            Poll.results_sent_at.is_(None),
            Poll.closes_at <= utcnow(),
        )
    ).all()
    for poll_id in due:
        counts["results"] += send_results(poll_id)
        counts["polls"] += 1
    return dict(counts)


def send_results(poll_id: int) -> int:
    """Queue the results SMS to each voter of a closed poll who has not had it; then mark the
    poll's results sent. The number queued."""
    settings = current_settings()
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.results_sent_at is not None:
        return 0
    counts = vote_counts(poll.id)
    now = utcnow()
    at = next_send_time(now, settings)
    prefix = f"{question_prefix(poll.id)}results:contact:"
    queued = queue_to_each(
        select(Contact)
        .join(Vote, Vote.contact_id == Contact.id)
        .where(Vote.poll_id == poll.id, ~opted_out())
        .order_by(Contact.id),
        partial(texts.results_sms, poll, counts),
        kind="poll_results",
        dedupe_key=lambda contact_id: f"{prefix}{contact_id}",
        not_before=at if at > now else None,
    )
    poll.results_sent_at = utcnow()
    db.session.commit()
    log.info("poll %s results queued to %d voters", poll_id, queued)
    return queued
