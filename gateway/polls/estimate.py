"""What sending a poll's question will send, before it is sent: the question with its options
in each language, to those not yet asked, with its cost (:mod:`gateway.sms.estimate`)."""

from __future__ import annotations

from gateway.contacts.models import Contact
from gateway.polls import texts
from gateway.polls.models import Poll
from gateway.polls.notices import not_yet_asked
from gateway.polls.sms import ASKED
from gateway.settings import current_settings
from gateway.sms.estimate import Planned, SendEstimate, estimate_send, reach_where
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
