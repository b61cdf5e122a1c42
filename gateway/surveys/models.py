"""A survey, its questions, and each respondent's answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.extensions import db, utcnow

KINDS = ("choice", "number", "text")


class Survey(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[dict[str, str]] = mapped_column(JSON)  # per language
    county: Mapped[str | None] = mapped_column(String(64))  # audience; None for everyone
    # A community platform's own (its members are the audience), within ``county``.
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id", ondelete="SET NULL"))
    # Its results are on the public site (gateway.public) once the secretariat says so.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    opens_at: Mapped[datetime] = mapped_column(index=True)
    closes_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[SurveyQuestion]] = relationship(
        order_by="SurveyQuestion.position", cascade="all, delete-orphan", lazy="selectin"
    )


class SurveyQuestion(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based
    kind: Mapped[str] = mapped_column(String(8))  # choice, number, text
    prompt: Mapped[dict[str, str]] = mapped_column(JSON)  # per language
    # For choice questions: [{"en": "Yes", "sw": "Ndiyo"}, ...], answered by number or word.
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class SurveyResponse(db.Model):  # type: ignore[name-defined,misc]
    """One respondent's way through a survey; partial until every question is answered."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    next_position: Mapped[int] = mapped_column(default=1)  # the question asked or to ask
    county: Mapped[str | None] = mapped_column(String(64))
    ward: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class SurveyAnswer(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(Text)  # the option's position for choices
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
