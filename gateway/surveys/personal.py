"""A contact's survey answers in their export and deletion, and the free texts the retention
period ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update

from gateway.contacts.export import rows_part
from gateway.contacts.models import Contact
from gateway.contacts.retention import count_changed
from gateway.extensions import db
from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

answers = rows_part(
    SurveyAnswer,
    Survey.keyword.label("survey"),
    SurveyQuestion.position.label("question"),
    SurveyQuestion.kind,
    SurveyAnswer.value,
    SurveyAnswer.answered_at.label("at"),
    joins=[
        (SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id),
        (Survey, Survey.id == SurveyResponse.survey_id),
        (SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id),
    ],
    owner=SurveyResponse.contact_id,
)


def erase_own_words(contact: Contact) -> None:
    """Free-text answers go; choices and numbers stay, as counts."""
    responses = select(SurveyResponse.id).where(SurveyResponse.contact_id == contact.id)
    db.session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.response_id.in_(responses), SurveyAnswer.question_id.in_(_texts()))
        .values(value="")
    )


def expire_texts(before: datetime) -> int:
    return count_changed(
        update(SurveyAnswer)
        .where(
            SurveyAnswer.answered_at < before,
            SurveyAnswer.question_id.in_(_texts()),
            SurveyAnswer.value != "",
        )
        .values(value="")
    )


def _texts() -> Select[int]:
    return select(SurveyQuestion.id).where(SurveyQuestion.kind == "text")
