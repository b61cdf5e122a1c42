"""What the public site reads from the areas' tables: only public rows, and only counts (one
GROUP BY a question), handed to :func:`gateway.public.tally.public_tally` at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Executable, func, select

from gateway.commitments.models import VERDICTS, Commitment, FollowUpAnswer
from gateway.extensions import db
from gateway.platforms.models import Membership, Platform
from gateway.polls.models import Poll, Vote
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


def _platform_counts(query: Executable) -> list[tuple[Any, str, int]]:
    return [(row[0], row[1], row[2]) for row in db.session.execute(query)]


def _poll_is(poll_id: int) -> ColumnElement[bool]:
    """``votes.poll_id = poll_id``, written on SQLite so that its planner goes from the members
    to their votes (by voter) rather than from every vote of the poll to its voter's
    memberships: ``poll_id + 0`` cannot use the poll's index (with no statistics, SQLite would
    take it, and 100,000 lookups)."""
    if db.engine.dialect.name == "sqlite":
        return (Vote.poll_id + 0) == poll_id
    return Vote.poll_id == poll_id


def poll_tally(poll: Poll, min_group: int) -> PublicTally:
    """Votes by option, county and ward (the order of the votes' covering index, so a poll of
    100,000 votes is counted from the index alone), and by the voters' platforms."""
    places = db.session.execute(
        select(Vote.option_id, Vote.county, Vote.ward, func.count())
        .where(Vote.poll_id == poll.id)
        .group_by(Vote.option_id, Vote.county, Vote.ward)
    )
    platforms = (
        select(Vote.option_id, Platform.name, func.count())
        .select_from(Membership)
        .join(Platform, Platform.id == Membership.platform_id)
        .join(Vote, (Vote.contact_id == Membership.contact_id) & (_poll_is(poll.id)))
        .group_by(Vote.option_id, Platform.name)
    )
    position = {o.id: o.position for o in poll.options}
    return public_tally(
        [o.position for o in poll.options],
        [(position[o], county, ward, n) for o, county, ward, n in places],
        [(position[o], name, n) for o, name, n in _platform_counts(platforms)],
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
