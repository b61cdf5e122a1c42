"""Taking a survey, by SMS or USSD: one question after another, each answer kept as it comes.

A respondent has one response per survey, partial (``completed_at`` null) until every question
is answered. ``next_position`` is the question they were last asked, or will be asked next: an
answer to it is checked (a choice's number or words, a whole number from 0 to 1,000,000, a
text that is not empty), kept (a later answer to the same question replaces it), and moves
them on. Stopping half-way loses nothing; starting again picks up at ``next_position``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import IntegrityError

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.localized import pick
from gateway.numbers import whole_number
from gateway.platforms.models import Membership
from gateway.sms.campaigns import KeywordCampaigns
from gateway.sms.choices import read_choice
from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

NUMBER_MIN, NUMBER_MAX = 0, 1_000_000  # as the USSD number screens (flows/main.yaml) check
TEXT_MAX = 1000  # characters of a free-text answer kept (a long SMS is about 900)
SURVEYS = KeywordCampaigns(Survey, "survey")


def open_surveys(county: str | None, contact_id: int | None = None) -> list[Survey]:
    """Surveys open now for everyone or for ``county``, closing soonest first; a community
    platform's only for its members (the contact ``contact_id``)."""
    now = utcnow()
    audience: ColumnElement[bool] = Survey.county.is_(None)
    if county:
        audience = or_(audience, Survey.county == county)
    mine = select(Membership.platform_id).where(Membership.contact_id == contact_id)
    audience = and_(audience, or_(Survey.platform_id.is_(None), Survey.platform_id.in_(mine)))
    return list(
        db.session.scalars(
            select(Survey)
            .where(audience, Survey.opens_at <= now, Survey.closes_at > now)
            .order_by(Survey.closes_at)
        )
    )


def find_survey(word: str, *, near: bool = True) -> Survey | None:
    """The survey whose keyword ``word`` is, or (with ``near``) misses by one typo (see
    :mod:`gateway.sms.campaigns`)."""
    return SURVEYS.find(word, near=near)


def title(survey: Survey, language: str) -> str:
    return pick(survey.title, catalogs().chain(language))


def prompt(question: SurveyQuestion, language: str) -> str:
    return pick(question.prompt, catalogs().chain(language))


def option_labels(question: SurveyQuestion, language: str) -> list[str]:
    chain = catalogs().chain(language)
    return [pick(option, chain) for option in question.options]


def question_at(survey: Survey, position: int) -> SurveyQuestion | None:
    return next((q for q in survey.questions if q.position == position), None)


def find_response(survey_id: int, contact_id: int) -> SurveyResponse | None:
    found: SurveyResponse | None = db.session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.contact_id == contact_id
        )
    )
    return found


def start(survey: Survey, contact: Contact, channel: str) -> SurveyResponse:
    """``contact``'s response to ``survey``, begun now if they have none; taken on ``channel``."""
    response = find_response(survey.id, contact.id)
    if response is None:
        try:
            with db.session.begin_nested():
                response = SurveyResponse(
                    survey_id=survey.id, contact_id=contact.id, channel=channel
                )
                db.session.add(response)
        except IntegrityError:  # begun on another channel at the same moment
            response = find_response(survey.id, contact.id)
            assert response is not None
    _taken(response, contact, channel)
    return response


def _taken(response: SurveyResponse, contact: Contact, channel: str) -> None:
    """Where, how and in what language the respondent is, as of their latest step."""
    response.channel, response.updated_at = channel, utcnow()
    response.county, response.ward, response.language = (
        contact.county,
        contact.ward,
        contact.language,
    )


def parse_answer(question: SurveyQuestion, text: str) -> str | None:
    """The value kept for ``text`` as an answer to ``question`` (a choice's number, a whole
    number, the text), or None if it does not answer it."""
    text = text.strip()
    if question.kind == "choice":
        chosen = read_choice(question.options, text)
        return str(chosen[0]) if chosen else None
    if question.kind == "number":
        number = whole_number(text.replace(",", ""), low=NUMBER_MIN, high=NUMBER_MAX)  # 1,200
        return None if number is None else str(number)
    return text[:TEXT_MAX] if text else None


def record_answer(
    response: SurveyResponse, question: SurveyQuestion, value: str, contact: Contact, channel: str
) -> None:
    """Keep ``value`` as the answer to ``question`` and move on to the next question (the
    response is complete after the last)."""
    answer = db.session.scalar(
        select(SurveyAnswer).where(
            SurveyAnswer.response_id == response.id, SurveyAnswer.question_id == question.id
        )
    )
    if answer is None:
        db.session.add(SurveyAnswer(response_id=response.id, question_id=question.id, value=value))
    else:
        answer.value, answer.answered_at = value, utcnow()
    count = len(response_survey(response).questions)
    response.next_position = max(response.next_position, question.position + 1)
    if response.next_position > count and response.completed_at is None:
        response.completed_at = utcnow()
    _taken(response, contact, channel)


def response_survey(response: SurveyResponse) -> Survey:
    survey = db.session.get(Survey, response.survey_id)
    assert survey is not None
    return survey


def current_question(response: SurveyResponse) -> SurveyQuestion | None:
    """The question ``response`` is at; None once every question is answered."""
    if response.completed_at is not None:
        return None
    return question_at(response_survey(response), response.next_position)
