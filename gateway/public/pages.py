"""The home page and the results: the public polls and surveys, each question with its
permalink, its chart and its share image (SVG, drawn on the server)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from flask import abort, g, render_template, url_for
from markupsafe import Markup

from gateway.i18n import catalogs
from gateway.localized import pick
from gateway.polls.models import Poll
from gateway.public import charts, route, t
from gateway.public.cache import cached
from gateway.public.sources import (
    answered,
    poll_tally,
    public_poll,
    public_polls,
    public_survey,
    public_surveys,
    survey_tally,
)
from gateway.public.tally import OTHER, UNKNOWN, Group, PublicTally
from gateway.settings import current_settings
from gateway.surveys.models import Survey, SurveyQuestion


def local(texts: dict[str, str] | None) -> str:
    """The secretariat's text (a question, a title) in the page's language, or the nearest."""
    return pick(texts, catalogs().chain(g.lang))


def min_group() -> int:
    return current_settings().public_min_group


def group_name(group: Group, dimension: str) -> str:
    if group.name is OTHER:
        return t("results.other")
    if dimension == "platform" and group.name == UNKNOWN:
        return t("results.no_platform")
    name = group.name or t("results.unknown")
    if dimension == "ward" and group.county is not None:
        return f"{name} ({group.county or t('results.unknown')})"
    return name


def chart_data(tally: PublicTally, labels: Sequence[str], title: str) -> dict[str, object]:
    """What the question's template shows: the bars, and each breakdown's rows."""
    assert tally.total is not None
    counts = [tally.total[a] for a in tally.answers]
    breakdowns = []
    for dimension, rows in tally.breakdowns.items():
        if not rows:
            continue
        breakdowns.append(
            {
                "dimension": dimension,
                "rows": [
                    {
                        "name": group_name(row, dimension),
                        "people": row.size,
                        "bar": Markup(
                            charts.stacked(
                                labels,
                                [row.counts[a] for a in tally.answers],
                                group_name(row, dimension),
                            )
                        ),
                        "shares": [
                            round(100 * row.counts[a] / row.size) if row.size else 0
                            for a in tally.answers
                        ],
                    }
                    for row in rows
                ],
            }
        )
    return {
        "bars": Markup(charts.bars(labels, counts, title=title, width=360)),
        "people": tally.people,
        "labels": labels,
        "colours": [charts.colour(i) for i in range(len(labels))],
        "breakdowns": breakdowns,
    }


def share_svg(title: str, labels: Sequence[str], tally: PublicTally) -> str:
    settings = current_settings()
    if tally.total is None:  # too few answers: the question alone, and why there is no chart
        return charts.bars([], [], heading=title, footer=t("results.too_few", count=min_group()))
    counts = [tally.total[a] for a in tally.answers]
    footer = t("share.footer", people=tally.people, licence=settings.public_licence)
    return charts.bars(labels, counts, heading=title, footer=footer)


@route("/")
@cached()
def home() -> str:
    return render_template("public/home.html")


@route("/results/")
@cached()
def results() -> str:
    return render_template(
        "public/results.html", polls=public_polls(), surveys=public_surveys(), local=local
    )


def _poll(poll_id: int) -> tuple[Poll, PublicTally, list[str]]:
    poll = public_poll(poll_id)
    if poll is None:
        abort(404)
    return poll, poll_tally(poll, min_group()), [local(o.label) for o in poll.options]


@route("/results/poll/<int:poll_id>")
@cached()
def poll(poll_id: int) -> str:
    found, tally, labels = _poll(poll_id)
    question = local(found.question)
    settings = current_settings()
    return render_template(
        "public/question.html",
        heading=question,
        chart=chart_data(tally, labels, question) if tally.total else None,
        answered=None,
        permalink=settings.public_url + url_for("public.poll", poll_id=poll_id),
        image=url_for("public.poll_image", poll_id=poll_id),
        image_url=settings.public_url + url_for("public.poll_image", poll_id=poll_id),
    )


@route("/results/poll/<int:poll_id>.svg")
@cached("image/svg+xml")
def poll_image(poll_id: int) -> str:
    found, tally, labels = _poll(poll_id)
    return share_svg(local(found.question), labels, tally)


def _survey(survey_id: int) -> Survey:
    survey = public_survey(survey_id)
    if survey is None:
        abort(404)
    return survey


def _question(survey: Survey, number: int) -> SurveyQuestion:
    for question in survey.questions:
        if question.position == number:
            return question
    abort(404)


def question_view(question: SurveyQuestion) -> dict[str, object]:
    """A survey question as the survey's page lists it: choices charted, the rest counted."""
    prompt = local(question.prompt)
    if question.kind != "choice":
        people = answered(question)  # a count alone, and only of a group big enough
        shown = people if people >= min_group() else None
        return {"question": question, "prompt": prompt, "chart": None, "answered": shown}
    tally = survey_tally(question, min_group())
    labels = [local(option) for option in question.options]
    chart = chart_data(tally, labels, prompt) if tally.total else None
    return {"question": question, "prompt": prompt, "chart": chart, "answered": None}


@route("/results/survey/<int:survey_id>")
@cached()
def survey(survey_id: int) -> str:
    found = _survey(survey_id)
    return render_template(
        "public/survey.html",
        survey=found,
        title=local(found.title),
        questions=[question_view(q) for q in found.questions],
        min_group=min_group(),
    )


@route("/results/survey/<int:survey_id>/<int:number>")
@cached()
def survey_question(survey_id: int, number: int) -> str:
    found = _survey(survey_id)
    question = _question(found, number)
    view = question_view(question)
    settings = current_settings()
    image = url_for("public.survey_image", survey_id=survey_id, number=number)
    return render_template(
        "public/question.html",
        heading=view["prompt"],
        context=local(found.title),
        chart=view["chart"],
        answered=view["answered"],
        permalink=settings.public_url
        + url_for("public.survey_question", survey_id=survey_id, number=number),
        image=image if question.kind == "choice" else None,
        image_url=settings.public_url + image,
    )


@route("/results/survey/<int:survey_id>/<int:number>.svg")
@cached("image/svg+xml")
def survey_image(survey_id: int, number: int) -> str:
    question = _question(_survey(survey_id), number)
    if question.kind != "choice":
        abort(404)
    tally = survey_tally(question, min_group())
    return share_svg(local(question.prompt), [local(o) for o in question.options], tally)


def labels_of(answers: Sequence[Hashable], key: str) -> list[str]:
    """Catalog labels for fixed answers (a commitment's verdicts: ``public.<key>.<answer>``)."""
    return [t(f"{key}.{answer}") for answer in answers]
