"""What the public site reads from the areas' tables: only public rows, and only counts (one
GROUP BY a question), handed to :func:`gateway.public.tally.public_tally` at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

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


def _by_platform(
    joined: Select[Any], answer: Any, contact: Any, keep: Callable[[Any], Any] = lambda a: a
) -> tuple[list[tuple[Any, str, int]], dict[Any, int]]:
    """From ``joined`` (the members joined to their answers): each answer's count per platform,
    and how many distinct members gave it (the rest of the answers are from people in no
    platform, a group the small-group rule must see too). ``keep`` maps a stored answer to the
    tally's (None: left out)."""
    rows = db.session.execute(
        joined.with_only_columns(answer, Platform.name, func.count()).group_by(
            answer, Platform.name
        )
    )
    members = db.session.execute(
        joined.with_only_columns(answer, func.count(func.distinct(contact))).group_by(answer)
    )
    counts = [(keep(a), name, n) for a, name, n in rows if keep(a) is not None]
    return counts, {keep(a): n for a, n in members if keep(a) is not None}


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
    joined = (
        select(Vote.option_id)
        .select_from(Membership)
        .join(Platform, Platform.id == Membership.platform_id)
        .join(Vote, (Vote.contact_id == Membership.contact_id) & (_poll_is(poll.id)))
    )
    position = {o.id: o.position for o in poll.options}
    platforms, members = _by_platform(joined, Vote.option_id, Vote.contact_id, position.get)
    return public_tally(
        [o.position for o in poll.options],
        [(position[o], county, ward, n) for o, county, ward, n in places],
        platforms,
        min_group,
        members,
    )


def survey_tally(question: SurveyQuestion, min_group: int) -> PublicTally:
    """A choice question's answers by option position (as text, as stored)."""
    places = db.session.execute(
        select(SurveyAnswer.value, SurveyResponse.county, SurveyResponse.ward, func.count())
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.question_id == question.id)
        .group_by(SurveyAnswer.value, SurveyResponse.county, SurveyResponse.ward)
    )
    joined = (
        select(SurveyAnswer.value)
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Membership, Membership.contact_id == SurveyResponse.contact_id)
        .join(Platform, Platform.id == Membership.platform_id)
        .where(SurveyAnswer.question_id == question.id)
    )
    answers = [str(n) for n in range(1, len(question.options) + 1)]
    platforms, members = _by_platform(
        joined,
        SurveyAnswer.value,
        SurveyResponse.contact_id,
        lambda value: value if value in answers else None,
    )
    return public_tally(
        answers,
        [(v, c, w, n) for v, c, w, n in places if v in answers],
        platforms,
        min_group,
        members,
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
    joined = (
        select(FollowUpAnswer.verdict)
        .select_from(FollowUpAnswer)
        .join(Membership, Membership.contact_id == FollowUpAnswer.contact_id)
        .join(Platform, Platform.id == Membership.platform_id)
        .where(FollowUpAnswer.id.in_(latest))
    )
    platforms, members = _by_platform(joined, FollowUpAnswer.verdict, FollowUpAnswer.contact_id)
    return public_tally(
        VERDICTS,
        [tuple(row) for row in places],  # type: ignore[misc]
        platforms,
        min_group,
        members,
    )
