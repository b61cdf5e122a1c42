"""Taking a survey on USSD: one screen per question (a list for a choice, an input for a number
or a text), for the flow in ``flows/main.yaml``.

Where the caller stands is the response in the database (``next_position``), so a dropped
session, a later dial or an SMS all carry on from the same question.
"""

from __future__ import annotations

from gateway.extensions import db
from gateway.sms.campaigns import is_open
from gateway.surveys.models import Survey, SurveyQuestion, SurveyResponse
from gateway.surveys.taking import (
    current_question,
    find_response,
    open_surveys,
    option_labels,
    parse_answer,
    prompt,
    question_at,
    record_answer,
    start,
    title,
)
from gateway.ussd.engine import Context, Item
from gateway.ussd.registry import action, condition, source, view

LABEL_LIMIT = 48


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 3].rstrip() + "..."


def _survey(ctx: Context) -> Survey:
    survey = db.session.get(Survey, int(ctx.data["survey"]))
    if survey is None:
        raise LookupError("survey gone")
    return survey


def _response(ctx: Context) -> SurveyResponse | None:
    return find_response(int(ctx.data["survey"]), ctx.contact.id)


def _question(ctx: Context) -> SurveyQuestion | None:
    """The question the caller is at (the first, before they have begun)."""
    response = _response(ctx)
    if response is None:
        return question_at(_survey(ctx), 1)
    return current_question(response)


@condition("has_open_surveys")
def has_open_surveys(ctx: Context) -> bool:
    return bool(open_surveys(ctx.contact.county, ctx.contact.id))


@source("surveys")
def survey_list(ctx: Context) -> list[Item]:
    return [
        Item(str(s.id), _short(title(s, ctx.language)))
        for s in open_surveys(ctx.contact.county, ctx.contact.id)
    ]


@action("start_survey")
def start_survey(ctx: Context) -> None:
    """Begin the chosen survey, or pick it up where the caller left it (by SMS or USSD)."""
    start(_survey(ctx), ctx.contact, "ussd")


@condition("survey_closed")
def survey_closed(ctx: Context) -> bool:
    return not is_open(_survey(ctx))


@condition("survey_finished")
def survey_finished(ctx: Context) -> bool:
    return _question(ctx) is None


@condition("survey_asks_choice")
def survey_asks_choice(ctx: Context) -> bool:
    question = _question(ctx)
    return question is not None and question.kind == "choice"


@condition("survey_asks_number")
def survey_asks_number(ctx: Context) -> bool:
    question = _question(ctx)
    return question is not None and question.kind == "number"


@view("survey")
def survey_view(ctx: Context) -> dict[str, object]:
    return {"title": title(_survey(ctx), ctx.language)}


@view("survey_question")
def survey_question(ctx: Context) -> dict[str, object]:
    question = _question(ctx)
    return {
        "position": question.position if question else "",
        "count": len(_survey(ctx).questions),
        "prompt": prompt(question, ctx.language) if question else "",
    }


@source("survey_options")
def survey_options(ctx: Context) -> list[Item]:
    question = _question(ctx)
    if question is None or question.kind != "choice":
        return []
    labels = option_labels(question, ctx.language)
    return [Item(str(n), label) for n, label in enumerate(labels, start=1)]


@action("answer_survey")
def answer_survey(ctx: Context) -> None:
    """Keep the answer just given (checked by the screen) and move on to the next question."""
    survey = _survey(ctx)
    response = start(survey, ctx.contact, "ussd")
    question = current_question(response)
    if question is None or not is_open(survey):
        return
    value = parse_answer(question, ctx.data.get("answer", ""))
    if value is not None:
        record_answer(response, question, value, ctx.contact, "ussd")
