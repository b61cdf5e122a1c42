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

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.localized import when
from gateway.platforms.models import Platform
from gateway.platforms.service import is_member
from gateway.sms.asked import QUESTIONS, SURVEY_QUESTION, last_question
from gateway.sms.campaigns import is_open
from gateway.sms.keywords import KeywordMatch
from gateway.sms.models import Message
from gateway.sms.router import Route, no_keyword
from gateway.sms.scheduled import queue_once
from gateway.sms.texts import language_of, reply, say
from gateway.surveys.models import Survey, SurveyQuestion, SurveyResponse
from gateway.surveys.taking import (
    NUMBER_MAX,
    current_question,
    find_response,
    find_survey,
    option_labels,
    parse_answer,
    prompt,
    record_answer,
    response_survey,
    start,
    title,
)

ASKED = SURVEY_QUESTION
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


def _keyword(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    parts = message.text.split(maxsplit=1)
    survey = find_survey(parts[0]) if parts else None
    if survey is None:
        return None
    message.kind = "survey"
    return _by_keyword(message, contact, survey, parts[1] if len(parts) > 1 else "")


def _waiting_answer(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    response = waiting_response(contact)
    if response is None:
        return None
    message.kind = "survey"
    return _answer(message, contact, response, message.text)


def waiting_response(contact: Contact) -> SurveyResponse | None:
    """The response whose question was the last question ``contact`` was asked, by SMS, if it
    still waits for an answer (and its survey closed less than a week ago)."""
    asked = last_question(contact, QUESTIONS)
    if asked is None or asked.kind != ASKED:
        return None
    response = find_response(asked.about, contact.id)
    if response is None or response.completed_at is not None or response.channel != "sms":
        return None
    if utcnow() - response_survey(response).closes_at > LATE:
        return None
    return response


# The inbound routes (see gateway.wiring.inbound_routes): the keyword comes first, so texting it
# resumes the survey (or, followed by an answer, answers the waiting question); a poll's vote by
# keyword comes before both, so it pauses the survey.
KEYWORD = Route("survey keyword", _keyword, no_keyword)
ANSWER = Route("answer to the waiting survey question", _waiting_answer)


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
    platform = db.session.get(Platform, survey.platform_id) if survey.platform_id else None
    if platform is not None and not is_member(platform.id, contact.id):
        reply(
            contact,
            "sms.survey.other_platform",
            kind="survey_other",
            title=named,
            platform=platform.name,
            platform_code=platform.code,
        )
        return f"survey {survey.id} is for platform {platform.code}"
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
