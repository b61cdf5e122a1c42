"""A contact's survey answers in their export and deletion, and the free texts the retention
period ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update

from gateway.contacts.export import Row, iso_time
from gateway.contacts.models import Contact
from gateway.contacts.retention import count_changed
from gateway.extensions import db
from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse


def answers(contact: Contact) -> list[Row]:
    rows = db.session.execute(
        select(Survey.keyword, SurveyQuestion.position, SurveyQuestion.kind, SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyResponse.contact_id == contact.id)
        .order_by(SurveyAnswer.id)
    )
    return [
        {
            "survey": keyword,
            "question": position,
            "kind": kind,
            "value": answer.value,
            "at": iso_time(answer.answered_at),
        }
        for keyword, position, kind, answer in rows
    ]


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
