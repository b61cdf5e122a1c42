"""``/api/v1/surveys``: create a survey (taken by SMS with its keyword, or on USSD under Polls),
read its results, and download its responses as a CSV for Excel."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from gateway.api import ApiBlueprint
from gateway.api.fields import (
    Keyword,
    check_window,
    fail,
    opens_at_field,
    per_language,
    refuse_repeated_options,
    refuse_taken_keyword,
)
from gateway.api.schemas import _known_county
from gateway.api.scope import ADMIN, VIEWER
from gateway.exports import csv_response
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.platforms.api import PlatformOfCounty
from gateway.sms.texts import SMS_LIMIT, fits
from gateway.surveys.models import KINDS, Survey, SurveyQuestion
from gateway.surveys.results import responses_header, responses_rows, survey_results
from gateway.surveys.sms import invalid_sms

# With these, each question's USSD screen fits 160 characters; the SMS are checked as written.
TITLE_MAX = 40
PROMPT_MAX = 100
LABEL_MAX = 30

blp = ApiBlueprint(
    "surveys",
    __name__,
    url_prefix="/surveys",
    read=(ADMIN, VIEWER),
    description="Surveys of 2 to 10 questions, taken by SMS (text the keyword) or on USSD.",
)


def _texts(max_length: int, **kwargs: Any) -> ma.fields.Dict:
    return per_language(max_length, validate=ma.validate.Length(min=1), **kwargs)


class QuestionIn(ma.Schema):
    kind = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(KINDS),
        metadata={"description": "`choice` (answered by number or words), `number`, `text`."},
    )
    prompt = _texts(PROMPT_MAX, required=True)
    options = ma.fields.List(
        _texts(LABEL_MAX),
        load_default=list,
        metadata={"description": "A choice's options (2 to 9), each per language."},
    )

    @ma.validates_schema
    def _options_fit_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind, options = data.get("kind"), data.get("options") or []
        if kind == "choice" and not 2 <= len(options) <= 9:
            raise ma.ValidationError("A choice question has 2 to 9 options.", "options")
        if kind != "choice" and options:
            raise ma.ValidationError("Only a choice question has options.", "options")
        refuse_repeated_options(options)


class SurveyIn(PlatformOfCounty):
    keyword = Keyword(required=True)
    title = _texts(TITLE_MAX, required=True)
    county = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=_known_county,
        metadata={"description": "The county whose people may take it; `null` for everyone."},
    )
    platform_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "A community platform's survey (within `county`); its results are "
            "by platform as every survey's are. `null`: the county's."
        },
    )
    opens_at = opens_at_field()
    closes_at = ma.fields.AwareDateTime(required=True)
    questions = ma.fields.List(
        ma.fields.Nested(QuestionIn),
        required=True,
        validate=ma.validate.Length(2, 10, error="A survey has 2 to 10 questions."),
    )

    @ma.validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_window(data)
        survey = _survey(data)
        for question in survey.questions:
            for language in catalogs().languages():
                # The answer to an invalid answer is the longest: a hint, then the question.
                if not fits(invalid_sms(survey, question, language.code)):
                    raise ma.ValidationError(
                        f"Question {question.position}'s SMS in {language.english_name} is "
                        f"longer than {SMS_LIMIT} SMS; shorten its prompt or options.",
                        "questions",
                    )


def _survey(data: dict[str, Any]) -> Survey:
    return Survey(
        keyword=data["keyword"],
        title=data["title"],
        county=data["county"],
        platform_id=data.get("platform_id"),
        opens_at=data["opens_at"] or utcnow(),
        closes_at=data["closes_at"],
        questions=[
            SurveyQuestion(position=n, kind=q["kind"], prompt=q["prompt"], options=q["options"])
            for n, q in enumerate(data["questions"], start=1)
        ],
    )


class QuestionOut(ma.Schema):
    position = ma.fields.Integer()
    kind = ma.fields.String()
    prompt = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    options = ma.fields.List(ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()))


def _status(survey: Survey) -> str:
    now = utcnow()
    return "upcoming" if now < survey.opens_at else "open" if now < survey.closes_at else "closed"


class SurveyOut(ma.Schema):
    id = ma.fields.Integer()
    keyword = ma.fields.String()
    title = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    county = ma.fields.String(allow_none=True)
    platform_id = ma.fields.Integer(allow_none=True)
    opens_at = ma.fields.AwareDateTime()
    closes_at = ma.fields.AwareDateTime()
    created_at = ma.fields.AwareDateTime()
    status = ma.fields.Function(_status, metadata={"description": "upcoming, open or closed"})
    questions = ma.fields.List(ma.fields.Nested(QuestionOut))


class RespondentGroup(ma.Schema):
    value = ma.fields.String(allow_none=True, metadata={"description": "`null`: not known."})
    county = ma.fields.String(allow_none=True, metadata={"description": "Wards only."})
    total = ma.fields.Integer()
    completed = ma.fields.Integer()
    partial_ = ma.fields.Integer(data_key="partial", attribute="partial")


class Respondents(ma.Schema):
    total = ma.fields.Integer()
    completed = ma.fields.Integer()
    partial_ = ma.fields.Integer(
        data_key="partial",
        attribute="partial",
        metadata={"description": "Began but have not answered all."},
    )
    by = ma.fields.Dict(
        keys=ma.fields.String(
            metadata={"description": "county, ward, language, channel or platform"}
        ),
        values=ma.fields.List(ma.fields.Nested(RespondentGroup)),
    )


class ChoiceCount(ma.Schema):
    option = ma.fields.Integer()
    count = ma.fields.Integer()
    percent = ma.fields.Float(metadata={"description": "Of those who answered, one decimal."})


class AnswerSummary(ma.Schema):
    value = ma.fields.String(allow_none=True)
    county = ma.fields.String(allow_none=True)
    answered = ma.fields.Integer()
    counts = ma.fields.List(ma.fields.Nested(ChoiceCount), metadata={"description": "Choices."})
    min = ma.fields.Integer(allow_none=True, metadata={"description": "Numbers."})
    max = ma.fields.Integer(allow_none=True)
    mean = ma.fields.Float(allow_none=True)
    median = ma.fields.Float(allow_none=True)


class QuestionResult(AnswerSummary):
    position = ma.fields.Integer()
    kind = ma.fields.String()
    prompt = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    options = ma.fields.List(ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()))
    latest = ma.fields.List(ma.fields.String(), metadata={"description": "Texts, latest first."})
    by = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.Nested(AnswerSummary))
    )


class SurveyResultsOut(ma.Schema):
    id = ma.fields.Integer()
    keyword = ma.fields.String()
    title = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    respondents = ma.fields.Nested(Respondents)
    questions = ma.fields.List(ma.fields.Nested(QuestionResult))


def _survey_or_404(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        fail(404, message=f"No survey with the id {survey_id}.")
    return survey


@blp.route("")
class Surveys(MethodView):
    @blp.arguments(SurveyIn)
    @blp.response(201, SurveyOut)
    @blp.alt_response(409, description="Another poll or survey has this keyword.")
    def post(self, data: dict[str, Any]) -> Survey:
        """Create a survey: people text its keyword to take it, or find it on USSD under Polls."""
        refuse_taken_keyword(data["keyword"])
        survey = _survey(data)
        db.session.add(survey)
        db.session.commit()
        return survey


@blp.route("/<int:survey_id>")
class SurveyById(MethodView):
    @blp.response(200, SurveyOut)
    @blp.alt_response(404, description="No survey with this id.")
    def get(self, survey_id: int) -> Survey:
        """A survey and its questions."""
        return _survey_or_404(survey_id)


@blp.route("/<int:survey_id>/results")
class SurveyResults(MethodView):
    @blp.response(200, SurveyResultsOut)
    @blp.alt_response(404, description="No survey with this id.")
    def get(self, survey_id: int) -> dict[str, Any]:
        """Respondents and answers so far, per question, by county, ward, language, channel."""
        return survey_results(_survey_or_404(survey_id))


@blp.route("/<int:survey_id>/responses.csv")
class SurveyResponsesCsv(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "UTF-8 with a byte-order mark (opens in Excel), one row per "
                "respondent: `respondent` (an id, not the phone number), `status` (`complete` "
                "or `partial`), `answered`, times, `channel`, `county`, `ward`, `language`, "
                "then one column per question (a choice by its English label; empty if not "
                "answered).",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    )
    @blp.alt_response(404, description="No survey with this id.")
    def get(self, survey_id: int) -> Any:
        """Every response, partial ones marked, as a CSV file."""
        survey = _survey_or_404(survey_id)
        return csv_response(
            f"survey-{survey.keyword.lower()}-responses.csv",
            responses_header(survey),
            responses_rows(survey),
        )
