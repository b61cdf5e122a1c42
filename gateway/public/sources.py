"""What the public site reads from the areas' tables: only public rows, and only counts (one
GROUP BY a question), handed to :func:`gateway.public.tally.public_tally` at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from gateway.commitments.models import VERDICTS, Commitment, FollowUpAnswer
from gateway.extensions import db
from gateway.platforms.models import Membership, Platform
from gateway.polls.models import Poll, PollOption, Vote
from gateway.public.tally import PublicTally, public_tally
from gateway.surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse


def public_polls() -> list[Poll]:
    return list(
        db.session.scalars(select(Poll).where(Poll.public.is_(True)).order_by(Poll.opens_at.desc()))
    )


def public_surveys() -> list[Survey]:
    return list(
        db.session.scalars(
            select(Survey).where(Survey.public.is_(True)).order_by(Survey.opens_at.desc())
        )
    )


def public_poll(poll_id: int) -> Poll | None:
    poll = db.session.get(Poll, poll_id)
    return poll if poll is not None and poll.public else None


def public_survey(survey_id: int) -> Survey | None:
    survey = db.session.get(Survey, survey_id)
    return survey if survey is not None and survey.public else None


def _platform_counts(query: Select[Any]) -> list[tuple[Any, str, int]]:
    return [(row[0], row[1], row[2]) for row in db.session.execute(query)]


def poll_tally(poll: Poll, min_group: int) -> PublicTally:
    option = PollOption.position
    places = db.session.execute(
        select(option, Vote.county, Vote.ward, func.count())
        .join(PollOption, PollOption.id == Vote.option_id)
        .where(Vote.poll_id == poll.id)
        .group_by(option, Vote.county, Vote.ward)
    )
    platforms = (
        select(option, Platform.name, func.count())
        .select_from(Vote)
        .join(PollOption, PollOption.id == Vote.option_id)
        .join(Membership, Membership.contact_id == Vote.contact_id)
        .join(Platform, Platform.id == Membership.platform_id)
        .where(Vote.poll_id == poll.id)
        .group_by(option, Platform.name)
    )
    return public_tally(
        [o.position for o in poll.options],
        [tuple(row) for row in places],  # type: ignore[misc]
        _platform_counts(platforms),  # type: ignore[arg-type]
        min_group,
    )


def survey_tally(question: SurveyQuestion, min_group: int) -> PublicTally:
    """A choice question's answers by option position (as text, as stored)."""
    places = db.session.execute(
        select(SurveyAnswer.value, SurveyResponse.county, SurveyResponse.ward, func.count())
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.question_id == question.id)
        .group_by(SurveyAnswer.value, SurveyResponse.county, SurveyResponse.ward)
    )
    platforms = (
        select(SurveyAnswer.value, Platform.name, func.count())
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Membership, Membership.contact_id == SurveyResponse.contact_id)
        .join(Platform, Platform.id == Membership.platform_id)
        .where(SurveyAnswer.question_id == question.id)
        .group_by(SurveyAnswer.value, Platform.name)
    )
    answers = [str(n) for n in range(1, len(question.options) + 1)]
    return public_tally(
        answers,
        [(v, c, w, n) for v, c, w, n in places if v in answers],
        [(v, p, n) for v, p, n in _platform_counts(platforms) if v in answers],  # type: ignore[arg-type]
        min_group,
    )


def answered(question: SurveyQuestion) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(SurveyAnswer)
            .where(SurveyAnswer.question_id == question.id)
        )
        or 0
    )


def public_commitments() -> list[Commitment]:
    return list(
        db.session.scalars(
            select(Commitment).where(Commitment.public.is_(True)).order_by(Commitment.due_on)
        )
    )


def commitment_tally(commitment: Commitment, min_group: int) -> PublicTally:
    """Each person's latest verdict on the commitment (one per person: their last answer)."""
    latest = (
        select(func.max(FollowUpAnswer.id))
        .where(FollowUpAnswer.commitment_id == commitment.id)
        .group_by(FollowUpAnswer.contact_id)
    )
    places = db.session.execute(
        select(FollowUpAnswer.verdict, FollowUpAnswer.county, FollowUpAnswer.ward, func.count())
        .where(FollowUpAnswer.id.in_(latest))
        .group_by(FollowUpAnswer.verdict, FollowUpAnswer.county, FollowUpAnswer.ward)
    )
    platforms = (
        select(FollowUpAnswer.verdict, Platform.name, func.count())
        .select_from(FollowUpAnswer)
        .join(Membership, Membership.contact_id == FollowUpAnswer.contact_id)
        .join(Platform, Platform.id == Membership.platform_id)
        .where(FollowUpAnswer.id.in_(latest))
        .group_by(FollowUpAnswer.verdict, Platform.name)
    )
    return public_tally(
        VERDICTS,
        [tuple(row) for row in places],  # type: ignore[misc]
        _platform_counts(platforms),  # type: ignore[arg-type]
        min_group,
    )
