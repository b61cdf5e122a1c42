"""Votes by SMS: ``MADINI 2``, ``MADINI B`` (A-E for options 1-5), ``MADINI ndiyo`` (an option's
words in any language), or a bare ``2`` answering the poll question the sender last received.

A keyword is the poll's, whatever the case or accents; one typo in a keyword of 4 letters or
more still finds it (``MADNI``, ``MADIINI``), unless the word is another keyword (STOP, YES...).
A poll's keyword alone brings its question with the numbered options.

The first question a person gets for a poll, whichever way, has the key
:func:`question_key`, so the send to the audience skips them (a keyword asked for again is
answered under a key per inbound SMS).

How a bare number finds its poll: each poll question sent by SMS (to the poll's audience by
:mod:`gateway.polls.notices`, or in answer to the keyword alone) is a message of kind
``poll_question`` whose dedupe key starts ``poll:<id>:``. A bare number answers the poll of the
latest such message that went to the sender (sent, or possibly sent), if that poll is still
open; if it closed in the last week the sender is told so (and nothing is counted), and
otherwise the number is an ordinary message for the inbox. An older poll's question is never
answered this way, nor one followed by a survey question (the survey has the number: see
:mod:`gateway.surveys.sms`): the number answers what the sender just read.

Its inbound routes (ordered in :func:`gateway.wiring.inbound_routes`): a vote by keyword, or the
keyword alone, comes before a show on air and a waiting survey question; the keyword followed
by anything else (answered with the options) and a bare number come after them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.numbers import is_digits
from gateway.polls import texts
from gateway.polls.models import Poll, PollOption
from gateway.polls.votes import cast_vote, thank_vote
from gateway.sms.asked import POLL_QUESTION, SURVEY_QUESTION, last_question
from gateway.sms.campaigns import KeywordCampaigns, is_open
from gateway.sms.choices import LETTERS, read_choice
from gateway.sms.keywords import KeywordMatch, fold
from gateway.sms.models import Message
from gateway.sms.router import Route, no_keyword
from gateway.sms.scheduled import queue_once
from gateway.sms.texts import language_of, reply, reply_text

ASKED = POLL_QUESTION  # the kind of every SMS that asks a poll's question
LATE = timedelta(days=7)  # a bare number this long after a poll closed is told it closed
POLLS = KeywordCampaigns(Poll, "poll")
GLUED = re.compile(r"(?P<word>.*[a-z])(?P<choice>[1-9])")  # MADINI2


def question_prefix(poll_id: int) -> str:
    return f"poll:{poll_id}:"


def question_key(poll_id: int, contact_id: int) -> str:
    """The dedupe key of the first time a poll's question goes to a person, by the send to the
    audience or in answer to the keyword alone, whichever comes first: the send skips a person
    who holds it, so nobody gets the question from both."""
    return f"{question_prefix(poll_id)}question:contact:{contact_id}"


def find_poll(word: str, *, near: bool = True) -> Poll | None:
    """The poll whose keyword ``word`` is, or (with ``near``) misses by one typo (see
    :mod:`gateway.sms.campaigns`)."""
    return POLLS.find(word, near=near)


def addressed_poll(text: str, *, near: bool = True) -> tuple[Poll, str] | None:
    """The poll a text starts with the keyword of (``MADINI 2``, or glued: ``MADINI2``), and
    what follows the keyword. An exact keyword wins over a typo of another."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return None
    rest = parts[1] if len(parts) > 1 else ""
    candidates = [(parts[0], rest)]
    glued = GLUED.fullmatch(fold(parts[0]))
    if glued:
        candidates.append((glued["word"], f"{glued['choice']} {rest}"))
    for typo_allowed in (False, True) if near else (False,):
        for word, after in candidates:
            poll = find_poll(word, near=typo_allowed)
            if poll is not None:
                return poll, after
    return None


def choose_option(poll: Poll, text: str) -> tuple[PollOption, str | None] | None:
    """The option ``text`` names (a number, a letter A-E, or its words in any language), with the
    language of those words (None for a number or letter)."""
    options = list(poll.options)
    chosen = read_choice([o.label for o in options], text, letters=True)
    if chosen is None:
        return None
    return options[chosen[0] - 1], chosen[1]


def poll_asked_last(contact: Contact) -> Poll | None:
    """The poll whose question went to ``contact`` last by SMS (open or not), unless a survey
    question went to them after it."""
    asked = last_question(contact, (ASKED, SURVEY_QUESTION))
    if asked is None or asked.kind != ASKED:
        return None
    return db.session.get(Poll, asked.about)


def is_bare_number(text: str) -> bool:
    words = text.split()
    return len(words) == 1 and is_digits(fold(words[0]))


def is_vote(poll: Poll, rest: str) -> bool:
    """Whether what follows a poll's keyword is a vote, or looks like one (so an option that
    does not exist is answered with the options): an option's number, letter or words, any
    number, a letter alone; or nothing (the keyword alone asks for the question)."""
    said = rest.split()
    if not said:
        return True
    first = fold(said[0])
    looks = is_digits(first) or (len(said) == 1 and len(first) == 1 and first in LETTERS)
    return looks or choose_option(poll, rest) is not None


def _vote_by_keyword(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    addressed = addressed_poll(message.text)
    if addressed is None or not is_vote(*addressed):
        return None
    message.kind = "poll_vote"
    return _answer_keyword(message, contact, *addressed)


def _by_keyword(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    addressed = addressed_poll(message.text)
    if addressed is None:
        return None
    message.kind = "poll_vote"
    return _answer_keyword(message, contact, *addressed)


def _bare_number(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    if not is_bare_number(message.text):
        return None
    poll = poll_asked_last(contact)
    if poll is None or (not is_open(poll) and utcnow() - poll.closes_at > LATE):
        return None
    message.kind = "poll_vote"
    if not is_open(poll):
        reply(contact, "sms.poll.closed", kind="poll_closed", keyword=poll.keyword)
        return f"poll {poll.id} closed: not counted"
    return _vote(contact, poll, message.text, _cast_at(message))


# The inbound routes (see gateway.wiring.inbound_routes). A word that is one of the gateway's
# keywords (YES, NEXT...) is never a poll's keyword, not even a typo of one.
VOTE = Route("poll keyword with a vote, or alone", _vote_by_keyword, no_keyword)
KEYWORD = Route("poll keyword with anything else", _by_keyword, no_keyword)
BARE_NUMBER = Route("bare number: the poll question asked last", _bare_number, no_keyword)


def _cast_at(message: Message) -> datetime:
    """When a vote by SMS was cast: when it reached the gateway."""
    return message.created_at or utcnow()


def _answer_keyword(message: Message, contact: Contact, poll: Poll, rest: str) -> str:
    language = language_of(contact)
    if utcnow() < poll.opens_at:
        reply_text(contact, texts.opening_sms(poll, language), kind="poll_not_open")
        return f"poll {poll.id} not open yet: not counted"
    if not is_open(poll):
        reply(contact, "sms.poll.closed", kind="poll_closed", keyword=poll.keyword)
        return f"poll {poll.id} closed: not counted"
    if poll.county and contact.county and contact.county != poll.county:
        reply(
            contact,
            "sms.poll.other_county",
            kind="poll_other_county",
            keyword=poll.keyword,
            county=poll.county,
        )
        return f"poll {poll.id} is for {poll.county}: not counted"
    if not rest.strip():
        question = texts.question_sms(poll, language)
        # Asking again brings it again: the shared key once, then a key per inbound SMS.
        if not queue_once(
            contact,
            question,
            kind=ASKED,
            dedupe_key=question_key(poll.id, contact.id),
            reply=True,
        ):
            queue_once(
                contact,
                question,
                kind=ASKED,
                dedupe_key=f"{question_prefix(poll.id)}asked:in:{message.id}",
                reply=True,
            )
        return f"poll {poll.id} question sent"
    return _vote(contact, poll, rest, _cast_at(message))


def _vote(contact: Contact, poll: Poll, text: str, at: datetime) -> str:
    chosen = choose_option(poll, text)
    if chosen is None:
        reply_text(contact, texts.invalid_sms(poll, language_of(contact)), kind="poll_invalid")
        return f"poll {poll.id}: no such option"
    option, words_language = chosen
    if contact.language is None and words_language is not None:
        contact.language = words_language
    if not cast_vote(poll, option, contact, channel="sms", at=at):
        reply(contact, "sms.poll.closed", kind="poll_closed", keyword=poll.keyword)
        return f"poll {poll.id} closed: not counted"
    language = language_of(contact)
    choice = texts.label(option, language)
    voted = f"vote in poll {poll.id}: option {option.position}"
    if thank_vote(contact, poll, at, "poll_thanks", choice=choice, keyword=poll.keyword):
        return voted
    return voted + " (thanked before in this show)"
