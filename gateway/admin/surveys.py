"""Surveys: the list, a new survey (2 to 10 questions: a choice, a number or a text, each per
language), results with a bar chart per choice question, and the responses CSV.

Validation is the API's (:class:`gateway.surveys.api.SurveyIn`); results and the CSV come from
:mod:`gateway.surveys.results`. Only admins create; viewers read.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from gateway.admin import bp
from gateway.admin.forms import eat_input, form_errors, in_ui, language_codes, per_language
from gateway.admin.templating import t
from gateway.api.fields import keyword_user
from gateway.exports import csv_response
from gateway.extensions import db, utcnow
from gateway.i18n import catalogs
from gateway.platforms.service import platform_choices, platform_names
from gateway.surveys.api import SurveyIn, _survey
from gateway.surveys.models import KINDS, Survey, SurveyResponse
from gateway.surveys.results import responses_header, responses_rows, survey_results
from gateway.users import audit
from gateway.users.access import principal, require_role
from gateway.users.models import ADMIN, VIEWER

READERS = (ADMIN, VIEWER)
MAX_QUESTIONS = 10


def survey_status(survey: Survey) -> str:
    now = utcnow()
    return "upcoming" if now < survey.opens_at else "open" if now < survey.closes_at else "closed"


@bp.route("/surveys")
@require_role(*READERS)
def surveys() -> str:
    rows = list(
        db.session.scalars(select(Survey).order_by(Survey.opens_at.desc(), Survey.id.desc()))
    )
    counts = dict(
        db.session.execute(
            select(SurveyResponse.survey_id, func.count())
            .where(SurveyResponse.survey_id.in_([s.id for s in rows]))
            .group_by(SurveyResponse.survey_id)
        ).all()
    )
    return render_template(
        "admin/surveys/list.html",
        rows=rows,
        counts=counts,
        status=survey_status,
        in_ui=in_ui,
        can_create=principal().is_admin,
    )


def _new_form(errors: list[str] | None = None, code: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "admin/surveys/new.html",
            languages=catalogs().languages(),
            counties=current_app.extensions["counties"],
            platforms=platform_choices(),
            kinds=KINDS,
            max_questions=MAX_QUESTIONS,
            form=request.form,
            errors=errors or [],
        ),
        code,
    )


@bp.route("/surveys/new")
@require_role(ADMIN, write=True)
def survey_new() -> tuple[str, int]:
    return _new_form()


def _questions() -> list[dict[str, Any]]:
    """The questions typed in the form: blocks without a prompt are left out; a choice's
    options are one per line, in each language."""
    questions = []
    for n in range(1, MAX_QUESTIONS + 1):
        prompt = per_language(f"q{n}_prompt")
        if not prompt:
            continue
        kind = request.form.get(f"q{n}_kind", "choice")
        lines = {
            code: [
                line.strip()
                for line in request.form.get(f"q{n}_options_{code}", "").splitlines()
                if line.strip()
            ]
            for code in language_codes()
        }
        count = max((len(v) for v in lines.values()), default=0)
        options = [
            {code: values[i] for code, values in lines.items() if i < len(values)}
            for i in range(count)
        ]
        questions.append({"kind": kind, "prompt": prompt, "options": options})
    return questions


@bp.post("/surveys")
@require_role(ADMIN, write=True)
def survey_create() -> Response | tuple[str, int]:
    raw: dict[str, Any] = {
        "keyword": request.form.get("keyword", "").strip(),
        "title": per_language("title"),
        "county": request.form.get("county") or None,
        "platform_id": request.form.get("platform_id") or None,
        "questions": _questions(),
    }
    for name in ("opens_at", "closes_at"):
        value = eat_input(name)
        if value:
            raw[name] = value
    try:
        data = SurveyIn().load(raw)
    except ma.ValidationError as error:
        return _new_form(form_errors(error), 422)
    taken = keyword_user(data["keyword"])
    if taken is not None:
        return _new_form([t("admin.surveys.keyword_taken", keyword=data["keyword"], by=taken)], 409)
    survey = _survey(data)
    db.session.add(survey)
    db.session.flush()
    audit.record(
        "survey.create",
        "survey",
        survey.id,
        keyword=survey.keyword,
        platform_id=survey.platform_id,
        questions=len(survey.questions),
    )
    db.session.commit()
    flash(t("admin.surveys.created", keyword=survey.keyword))
    return redirect(url_for("admin.survey_detail", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>")
@require_role(*READERS)
def survey_detail(survey_id: int) -> str:
    survey = db.get_or_404(Survey, survey_id)
    return render_template(
        "admin/surveys/detail.html",
        survey=survey,
        platform_name=platform_names([survey.platform_id])[0] if survey.platform_id else "",
        results=survey_results(survey),
        status=survey_status(survey),
        in_ui=in_ui,
        can_publish=principal().is_admin,
    )


@bp.post("/surveys/<int:survey_id>/public")
@require_role(ADMIN, write=True)
def survey_public(survey_id: int) -> Response:
    """Show the survey's results on the public site (choice questions charted, the rest only
    counted; never a person's words), or stop showing them."""
    survey = db.get_or_404(Survey, survey_id)
    survey.public = request.form.get("public") == "1"
    audit.record("survey.public", "survey", survey.id, public=survey.public)
    db.session.commit()
    flash(t("admin.public.shown" if survey.public else "admin.public.hidden"))
    return redirect(url_for("admin.survey_detail", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/responses.csv")
@require_role(*READERS)
def survey_csv(survey_id: int) -> Any:
    survey = db.get_or_404(Survey, survey_id)
    return csv_response(
        f"survey-{survey.keyword.lower()}-responses.csv",
        responses_header(survey),
        responses_rows(survey),
    )
