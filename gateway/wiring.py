"""Where the areas plug in: the one module that imports every area and puts it in place."""

from __future__ import annotations

from gateway.sms.router import Route


def inbound_routes() -> list[Route]:
    """Who may take an incoming SMS, top to bottom: the first that takes it has it, and what
    none takes goes to the inbox (:mod:`gateway.sms.inbound`)."""
    from gateway import privacy
    from gateway.guides import series
    from gateway.meetings import notices
    from gateway.polls import sms as polls
    from gateway.radio import call_in
    from gateway.sms import inbound
    from gateway.surveys import sms as surveys

    return [
        inbound.SYSTEM_KEYWORDS,  # STOP, JOIN, HELP: first, so they always work
        privacy.DELETION_REQUEST,  # FUTA/DELETE: a person's own data, before anything else
        polls.VOTE,  # MADINI 2, MADINI alone: a vote, even during a show or a survey
        call_in.CALL_IN,  # a show on air: its keyword ("MADINI the dust...") or short code
        surveys.KEYWORD,  # a survey's keyword: starts it, or resumes it with a question waiting
        surveys.ANSWER,  # the answer to the survey question asked last
        polls.KEYWORD,  # a poll's keyword with no option after it: told the options
        polls.BARE_NUMBER,  # a bare number: a vote in the poll whose question came last
        notices.RSVP,  # YES, NO: the meeting last announced (none: the inbox has it)
        series.NEXT,  # NEXT: the next excerpt of a guide series
    ]
