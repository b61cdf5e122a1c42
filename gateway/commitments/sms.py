"""Answers by SMS to "Has <what> been done? Reply 1 Yes 2 Partly 3 No": a bare 1, 2 or 3, or the
words YES/NDIO, PARTLY/KIASI, NO/HAPANA (any language's, from the catalogs).

An answer is the follow-up's only when the follow-up question is the question the sender was
asked last (:func:`gateway.sms.asked.last_question`): a poll's or a survey's question, or a
meeting notice, sent after it keeps its bare number or its YES. The route comes before the
poll's bare number and the meeting RSVP (:func:`gateway.wiring.inbound_routes`), and hands them
the SMS when the follow-up was not asked last.
"""

from __future__ import annotations

from gateway.commitments import answers, followup
from gateway.commitments.models import NO, PARTLY, YES, FollowUpRound
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.sms.asked import QUESTIONS, last_question
from gateway.sms.keywords import KeywordMatch, fold
from gateway.sms.models import Message
from gateway.sms.router import Route
from gateway.sms.texts import reply

NUMBERS = {"1": YES, "2": PARTLY, "3": NO}
# The catalogs' words for each answer, alternatives separated by |.
WORDS = {YES: "keyword.yes", PARTLY: "sms.commitment.partly_words", NO: "keyword.no"}


def read_verdict(text: str) -> str | None:
    """The answer ``text`` gives (one word: a number or an answer's word), if any."""
    said = text.split()
    if len(said) != 1:
        return None
    word = fold(said[0])
    if word in NUMBERS:
        return NUMBERS[word]
    for verdict, key in WORDS.items():
        for variant in catalogs().variants(key).values():
            if word in {fold(w) for w in variant.split("|") if w.strip()}:
                return verdict
    return None


def round_asked_last(contact: Contact) -> FollowUpRound | None:
    """The follow-up round whose question went to ``contact`` last of every question
    answered by SMS, if it still takes answers."""
    asked = last_question(contact, QUESTIONS)
    if asked is None or asked.kind != followup.ASKED:
        return None
    found = db.session.get(FollowUpRound, asked.about)
    return found if found is not None and answers.answerable(found) else None


def _answer(message: Message, contact: Contact, keyword: KeywordMatch | None) -> str | None:
    verdict = read_verdict(message.text)
    if verdict is None:
        return None
    found = round_asked_last(contact)
    if found is None:
        return None
    message.kind = "commitment_answer"
    answers.record_answer(found, contact, verdict, "sms")
    reply(contact, f"sms.commitment.thanks.{verdict}", kind="commitment_thanks")
    return f"commitment {found.commitment_id} round {found.number}: {verdict}"


ANSWER = Route("answer to the commitment follow-up asked last", _answer)
