"""What sending a poll's question will send, before it is sent: the question with its options
in each language, to those not yet asked, with its cost (:mod:`gateway.sms.estimate`)."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.contacts.service import opted_out
from gateway.extensions import db
from gateway.polls import texts
from gateway.polls.models import Poll, Vote
from gateway.polls.notices import not_yet_asked
from gateway.polls.results import vote_counts
from gateway.polls.sms import ASKED
from gateway.settings import current_settings
from gateway.sms.estimate import Planned, Reach, SendEstimate, estimate_send, reach_where
from gateway.sms.texts import with_optout_hint


def question_estimate(poll: Poll) -> SendEstimate:
    """The question, as :func:`~gateway.polls.notices.send_poll_question` sends it, to the
    audience less those asked already or who voted."""
    settings = current_settings()
    to_ask = Contact.id.in_(not_yet_asked(poll).with_only_columns(Contact.id).order_by(None))
    found = reach_where(to_ask, settings.default_language)
    planned = [
        Planned(
            ASKED, language, with_optout_hint(texts.question_sms(poll, language), language), count
        )
        for language, count in sorted(found.recipients.items())
    ]
    return estimate_send(planned, found, settings)


RESULTS = "poll_results"


def results_estimate(poll: Poll) -> SendEstimate:
    """The results SMS as :func:`~gateway.polls.notices.send_results` sends them when the poll
    closes (with ``send_results``): to each voter so far who has not opted out, with the
    counts so far."""
    settings = current_settings()
    voted = Contact.id.in_(select(Vote.contact_id).where(Vote.poll_id == poll.id))
    found = reach_where(voted, settings.default_language)
    # Voters get the results even without a recorded consent (they voted); not after a STOP.
    language = func.coalesce(Contact.language, settings.default_language)
    rows = db.session.execute(
        select(language, func.count()).where(voted, ~opted_out()).group_by(language)
    ).all()
    voters = {str(code): int(n) for code, n in rows}
    counts = vote_counts(poll.id)
    planned = [
        Planned(RESULTS, code, texts.results_sms(poll, counts, code), n)
        for code, n in sorted(voters.items())
    ]
    reached = Reach(voters, 0, found.skipped_opted_out)
    return estimate_send(planned, reached, settings)
