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
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.numbers import is_digits
from gateway.polls import texts
from gateway.polls.models import Poll, PollOption
from gateway.polls.votes import cast_vote, is_open
from gateway.radio.call_in import show_thanking, thank_once
from gateway.sms.choices import read_choice
from gateway.sms.group_cache import cached
from gateway.sms.inbound import reply
from gateway.sms.keywords import KeywordMatch, fold, near_miss
from gateway.sms.models import REACHED, Message
from gateway.sms.replies import queue_reply
from gateway.sms.scheduled import language_of, queue_once

ASKED = "poll_question"  # the kind of every SMS that asks a poll's question
SURVEY_ASKED = "survey_question"  # gateway.surveys.sms.ASKED
LATE = timedelta(days=7)  # a bare number this long after a poll closed is told it closed
NEAR_MISS_WINDOW = timedelta(days=30)  # typos are matched against polls this recent
GLUED = re.compile(r"(?P<word>.*[a-z])(?P<choice>[1-9])")  # MADINI2


def question_prefix(poll_id: int) -> str:
    return f"poll:{poll_id}:"


def question_key(poll_id: int, contact_id: int) -> str:
    """The dedupe key of the first time a poll's question goes to a person, by the send to the
    audience or in answer to the keyword alone, whichever comes first: the send skips a person
    who holds it, so nobody gets the question from both."""
    return f"{question_prefix(poll_id)}question:contact:{contact_id}"


def find_poll(word: str, *, near: bool = True) -> Poll | None:
    """The poll whose keyword ``word`` is, or (with ``near``) misses by one typo (looked up
    once per group of inbound SMS: see :mod:`gateway.sms.group_cache`)."""
    folded = fold(word)
    if not folded:
        return None
    return cached(("poll", folded, near), lambda: _find_poll(folded, near))


def _find_poll(folded: str, near: bool) -> Poll | None:
    poll: Poll | None = db.session.scalar(select(Poll).where(func.lower(Poll.keyword) == folded))
    if poll is not None or not near:
        return poll
    recent = dict(
        db.session.execute(
            select(Poll.keyword, Poll.id).where(Poll.closes_at > utcnow() - NEAR_MISS_WINDOW)
        ).all()
    )
    keyword = near_miss(folded, recent)
    return db.session.get(Poll, recent[keyword]) if keyword else None


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
    went = func.coalesce(Message.sent_at, Message.claimed_at, Message.created_at)
    latest = db.session.execute(
        select(Message.kind, Message.dedupe_key)
        .where(
            Message.contact_id == contact.id,
            Message.kind.in_((ASKED, SURVEY_ASKED)),
            Message.status.in_(REACHED),
        )
        .order_by(went.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.kind != ASKED or not latest.dedupe_key:
        return None
    return db.session.get(Poll, int(latest.dedupe_key.split(":")[1]))


def is_bare_number(text: str) -> bool:
    words = text.split()
    return len(words) == 1 and is_digits(fold(words[0]))


def poll_votes(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    """The inbound route: a vote by keyword, the keyword alone, or a bare number."""
    if match is not None:  # YES, NEXT and the like: never a poll keyword, not even a typo of one
        return None
    addressed = addressed_poll(message.text)
    if addressed is not None:
        message.kind = "poll_vote"
        return _answer_keyword(message, contact, *addressed)
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


def _cast_at(message: Message) -> datetime:
    """When a vote by SMS was cast: when it reached the gateway."""
    return message.created_at or utcnow()


def _answer_keyword(message: Message, contact: Contact, poll: Poll, rest: str) -> str:
    language = language_of(contact)
    if utcnow() < poll.opens_at:
        queue_sms_reply(contact, texts.opening_sms(poll, language), "poll_not_open")
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
        queue_sms_reply(contact, texts.invalid_sms(poll, language_of(contact)), "poll_invalid")
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
    on_air = show_thanking(poll.id, at)
    if on_air is not None:  # a radio show's poll: one thank-you per listener and episode
        show, episode = on_air
        thanked = thank_once(
            contact,
            show,
            episode,
            "sms.poll.thanks",
            "poll_thanks",
            choice=choice,
            keyword=poll.keyword,
        )
        return voted + ("" if thanked else " (thanked before in this show)")
    reply(contact, "sms.poll.thanks", kind="poll_thanks", choice=choice, keyword=poll.keyword)
    return voted


def queue_sms_reply(contact: Contact, text: str, kind: str) -> None:
    """A reply whose text is already rendered in the contact's language."""
    queue_reply(
        phone=contact.phone, text=text, kind=kind, contact=contact, language=language_of(contact)
    )
