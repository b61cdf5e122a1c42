"""A survey's results: respondents (complete and partial) and each question's answers, overall
and by county, ward, language and channel (as each respondent was at their latest answer) and
by community platform (the respondents' memberships now: a member of two counts in both); and the
responses as a CSV for Excel, one row per respondent.

Per question: how many answered it; for a choice, the count and percentage per option
(``counts``); for a number, the lowest, highest, mean and median; for a text, overall, the latest
few. Partial responses count for the questions they answered.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from gateway.extensions import db
from gateway.platforms.service import any_platform, platforms_by_contact
from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from gateway.surveys.taking import option_labels, prompt
from gateway.tallies import DIMENSIONS, Group, group_fields, group_order, groups, percent

LATEST_TEXTS = 10
FIXED_COLUMNS = (
    *("respondent", "status", "answered", "started_at", "updated_at", "completed_at"),
    *("channel", "county", "ward", "language", "platforms"),
)
PLATFORM = "platform"
RESULT_DIMENSIONS = (*DIMENSIONS, PLATFORM)
Members = dict[int, list[str]]  # the platforms' names by contact id


def _summary(question: SurveyQuestion, values: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {"answered": len(values)}
    if question.kind == "choice":
        counts = Counter(int(v) for v in values)
        summary["counts"] = [
            {"option": n, "count": counts[n], "percent": percent(counts[n], len(values))}
            for n in range(1, len(question.options) + 1)
        ]
    elif question.kind == "number":
        numbers = [int(v) for v in values]
        summary.update(
            min=min(numbers, default=None),
            max=max(numbers, default=None),
            mean=round(statistics.fmean(numbers), 1) if numbers else None,
            median=statistics.median(numbers) if numbers else None,
        )
    return summary


def _responses(survey_id: int) -> list[SurveyResponse]:
    return list(
        db.session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.survey_id == survey_id)
            .order_by(SurveyResponse.id)
        )
    )


def _answers(survey_id: int) -> dict[int, dict[int, SurveyAnswer]]:
    """Each response's answers by question id."""
    found: dict[int, dict[int, SurveyAnswer]] = defaultdict(dict)
    for answer in db.session.scalars(
        select(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey_id)
        .order_by(SurveyAnswer.answered_at, SurveyAnswer.id)
    ):
        found[answer.response_id][answer.question_id] = answer
    return found


def _groups(response: SurveyResponse, members: Members | None) -> list[tuple[str, Group]]:
    """Each (dimension, group) the response counts in: one per dimension, and one per
    platform its respondent is in (the unknown group for none)."""
    placed = list(
        groups(response.county, response.ward, response.language, response.channel).items()
    )
    if members is None:  # no platform exists: the dimension says nothing
        return placed
    names: list[str | None] = list(members.get(response.contact_id, [])) or [None]
    return placed + [(PLATFORM, (name, None)) for name in names]


def _members(responses: list[SurveyResponse]) -> Members | None:
    """The respondents' platforms; None while no platform exists."""
    if not any_platform():
        return None
    return platforms_by_contact([r.contact_id for r in responses])


def survey_results(survey: Survey) -> dict[str, Any]:
    responses, answers = _responses(survey.id), _answers(survey.id)
    members = _members(responses)
    people: dict[str, dict[Group, Counter[str]]] = {
        d: defaultdict(Counter) for d in RESULT_DIMENSIONS
    }
    for response in responses:
        state = "completed" if response.completed_at else "partial"
        for dimension, group in _groups(response, members):
            people[dimension][group]["total"] += 1
            people[dimension][group][state] += 1
    completed = sum(1 for r in responses if r.completed_at)
    return {
        "id": survey.id,
        "keyword": survey.keyword,
        "title": survey.title,
        "respondents": {
            "total": len(responses),
            "completed": completed,
            "partial": len(responses) - completed,
            "by": {
                dimension: [
                    {**group_fields(dimension, group), **_states(counts)}
                    for group, counts in sorted(people[dimension].items(), key=_by_group)
                ]
                for dimension in RESULT_DIMENSIONS
            },
        },
        "questions": [_question(q, responses, answers, members) for q in survey.questions],
    }


def _states(counts: Counter[str]) -> dict[str, int]:
    return {state: counts[state] for state in ("total", "completed", "partial")}


def _by_group(item: tuple[Group, Any]) -> tuple[bool, str, bool, str]:
    return group_order(item[0])


def _question(
    question: SurveyQuestion,
    responses: list[SurveyResponse],
    answers: dict[int, dict[int, SurveyAnswer]],
    members: Members | None,
) -> dict[str, Any]:
    values: list[str] = []
    by: dict[str, dict[Group, list[str]]] = {d: defaultdict(list) for d in RESULT_DIMENSIONS}
    latest: list[SurveyAnswer] = []
    for response in responses:
        answer = answers.get(response.id, {}).get(question.id)
        if answer is None:
            continue
        values.append(answer.value)
        latest.append(answer)
        for dimension, group in _groups(response, members):
            by[dimension][group].append(answer.value)
    described: dict[str, Any] = {
        "position": question.position,
        "kind": question.kind,
        "prompt": question.prompt,
        "options": question.options,
        **_summary(question, values),
        "by": {
            dimension: [
                {**group_fields(dimension, group), **_summary(question, group_values)}
                for group, group_values in sorted(by[dimension].items(), key=_by_group)
            ]
            for dimension in RESULT_DIMENSIONS
        },
    }
    if question.kind == "text":
        latest.sort(key=lambda a: (a.answered_at, a.id), reverse=True)
        described["latest"] = [a.value for a in latest[:LATEST_TEXTS]]
    return described


def responses_header(survey: Survey) -> list[str]:
    return [*FIXED_COLUMNS, *(f"Q{q.position} {prompt(q, 'en')}" for q in survey.questions)]


def responses_rows(survey: Survey) -> Iterator[list[object]]:
    """One row per respondent, after :func:`responses_header`: how far they got, where and how
    they answered, then each answer (a choice by its English label; empty if not answered)."""
    answers = _answers(survey.id)
    labels = {q.id: option_labels(q, "en") for q in survey.questions if q.kind == "choice"}
    responses = _responses(survey.id)
    members = _members(responses)
    for response in responses:
        given = answers.get(response.id, {})
        row: list[object] = [
            response.id,
            "complete" if response.completed_at else "partial",
            len(given),
            response.started_at,
            response.updated_at,
            response.completed_at,
            response.channel,
            response.county,
            response.ward,
            response.language,
            "; ".join((members or {}).get(response.contact_id, [])),
        ]
        for question in survey.questions:
            answer = given.get(question.id)
            if answer is None:
                row.append(None)
            elif question.kind == "choice":
                row.append(labels[question.id][int(answer.value) - 1])
            elif question.kind == "number":
                row.append(int(answer.value))
            else:
                row.append(answer.value)
        yield row
