"""Taking a survey by SMS: texting its keyword starts it (or, later, resumes it), and each answer
brings the next question.

Which SMS answer a survey: the sender's next SMS answers the survey question they were last
asked, if that is the last question of any kind the gateway asked them (a survey question, a
poll question, a meeting alert or reminder). A person can pause: send anything another route
takes first (STOP, HELP, a radio keyword), vote with a poll's keyword (``MADINI 2``), or wait
hours; the question still waits. Once another question reaches them (a poll's, a meeting's),
their SMS answer that one, and texting the survey's keyword again resumes the survey where they
left off (the keyword followed by an answer, ``UTAFITI 3``, answers the waiting question).
Taking a survey on USSD in between hands it to USSD until the keyword is texted again.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.localized import when
from gateway.meetings.notices import ANSWERABLE
from gateway.polls.sms import ASKED as POLL_ASKED
from gateway.polls.sms import addressed_poll, choose_option, find_poll
from gateway.sms.inbound import reply
from gateway.sms.keywords import KeywordMatch
from gateway.sms.models import REACHED, Message
from gateway.sms.scheduled import language_of, queue_once
from gateway.sms.texts import say
from gateway.surveys.models import Survey, SurveyQuestion, SurveyResponse
from gateway.surveys.taking import (
    NUMBER_MAX,
    current_question,
    find_response,
    find_survey,
    is_open,
    option_labels,
    parse_answer,
    prompt,
    record_answer,
    response_survey,
    start,
    title,
)

ASKED = "survey_question"
# Every kind of SMS that asks its reader something they answer by SMS.
QUESTIONS = (ASKED, POLL_ASKED, *ANSWERABLE)
LATE = timedelta(days=7)  # an answer this long after the survey closed is told it closed


def question_sms(survey: Survey, question: SurveyQuestion, language: str) -> str:
    """The question, numbered among the survey's, with its options for a choice."""
    values: dict[str, object] = {
        "title": title(survey, language),
        "position": question.position,
        "count": len(survey.questions),
        "prompt": prompt(question, language),
    }
    if question.kind == "choice":
        labels = option_labels(question, language)
        values["options"] = "\n".join(f"{n} {label}" for n, label in enumerate(labels, 1))
    return say(f"sms.survey.{question.kind}", language, **values)


def invalid_sms(survey: Survey, question: SurveyQuestion, language: str) -> str:
    """A hint on what would answer the question, and the question again."""
    asked = question_sms(survey, question, language)
    if question.kind == "choice":
        return say(
            "sms.survey.invalid_choice", language, last=len(question.options), question=asked
        )
    if question.kind == "number":
        return say("sms.survey.invalid_number", language, max=f"{NUMBER_MAX:,}", question=asked)
    return say("sms.survey.invalid_text", language, question=asked)


def survey_messages(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    """The inbound route: a survey's keyword, or an answer to the waiting survey question."""
    parts = message.text.split(maxsplit=1)
    survey = _addressed_survey(parts[0]) if parts and match is None else None
    if survey is not None:
        message.kind = "survey"
        return _by_keyword(message, contact, survey, parts[1] if len(parts) > 1 else "")
    if _meant_for_a_poll(message.text):  # first: it needs no query of the sender's messages
        return None
    response = waiting_response(contact)
    if response is None:
        return None
    message.kind = "survey"
    return _answer(message, contact, response, message.text)


def _addressed_survey(word: str) -> Survey | None:
    """The survey whose keyword ``word`` is, or misses by one typo unless it is exactly a
    poll's keyword (an exact keyword always wins over a typo of another)."""
    exact = find_survey(word, near=False)
    if exact is not None or find_poll(word, near=False) is not None:
        return exact
    return find_survey(word)


def waiting_response(contact: Contact) -> SurveyResponse | None:
    """The response whose question was the last question ``contact`` was asked, by SMS, if it
    still waits for an answer (and its survey closed less than a week ago)."""
    went = func.coalesce(Message.sent_at, Message.claimed_at, Message.created_at)
    latest = db.session.scalar(
        select(Message)
        .where(
            Message.contact_id == contact.id,
            Message.direction == "out",
            Message.kind.in_(QUESTIONS),
            Message.status.in_(REACHED),
        )
        .order_by(went.desc(), Message.id.desc())
        .limit(1)
    )
    if latest is None or latest.kind != ASKED or not latest.dedupe_key:
        return None
    response = find_response(int(latest.dedupe_key.split(":")[1]), contact.id)
    if response is None or response.completed_at is not None or response.channel != "sms":
        return None
    if utcnow() - response_survey(response).closes_at > LATE:
        return None
    return response


def _meant_for_a_poll(text: str) -> bool:
    """A poll's keyword with a vote (or nothing) after it is a vote, not a survey answer."""
    addressed = addressed_poll(text)
    if addressed is None:
        return False
    poll, rest = addressed
    return not rest.strip() or choose_option(poll, rest) is not None


def _by_keyword(message: Message, contact: Contact, survey: Survey, rest: str) -> str:
    language = language_of(contact)
    named = title(survey, language)
    if utcnow() < survey.opens_at:
        opens = when(survey.opens_at, "sms.survey.not_open", language)
        reply(contact, "sms.survey.not_open", kind="survey_not_open", title=named, when=opens)
        return f"survey {survey.id} not open yet"
    if not is_open(survey):
        reply(contact, "sms.survey.closed", kind="survey_closed", title=named)
        return f"survey {survey.id} closed"
    if survey.county and contact.county and contact.county != survey.county:
        reply(
            contact,
            "sms.survey.other_county",
            kind="survey_other",
            title=named,
            county=survey.county,
        )
        return f"survey {survey.id} is for {survey.county}"
    existing = find_response(survey.id, contact.id)
    if existing is not None and existing.completed_at is not None:
        reply(contact, "sms.survey.already_done", kind="survey_done", title=named)
        return f"survey {survey.id} answered already"
    response = start(survey, contact, "sms")
    if existing is not None and rest.strip():
        return _answer(message, contact, response, rest)
    _ask(message, contact, response)
    return f"survey {survey.id}: question {response.next_position} asked"


def _answer(message: Message, contact: Contact, response: SurveyResponse, text: str) -> str:
    survey = response_survey(response)
    if not is_open(survey):
        reply(
            contact,
            "sms.survey.closed",
            kind="survey_closed",
            title=title(survey, language_of(contact)),
        )
        return f"survey {survey.id} closed"
    question = current_question(response)
    assert question is not None  # the response is not complete
    value = parse_answer(question, text)
    if value is None:
        _ask(message, contact, response, invalid=True)
        return f"survey {survey.id}: invalid answer to question {question.position}"
    record_answer(response, question, value, contact, "sms")
    if response.completed_at is not None:
        reply(
            contact,
            "sms.survey.done",
            kind="survey_done",
            title=title(survey, language_of(contact)),
        )
        return f"survey {survey.id} completed"
    _ask(message, contact, response)
    return f"survey {survey.id}: question {question.position} answered"


def _ask(
    message: Message, contact: Contact, response: SurveyResponse, invalid: bool = False
) -> None:
    """Send the question ``response`` is at (after a hint, when the last answer was invalid)."""
    survey = response_survey(response)
    question = current_question(response)
    assert question is not None
    language = language_of(contact)
    text = (invalid_sms if invalid else question_sms)(survey, question, language)
    key = f"survey:{survey.id}:asked:in:{message.id}"
    queue_once(contact, text, kind=ASKED, dedupe_key=key, reply=True)
