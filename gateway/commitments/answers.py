"""The answers to follow-ups ("Has <what> been done? 1 Yes 2 Partly 3 No"), whichever way they
come (SMS, USSD, voice): one per person per round, the latest counting; the rounds a person may
answer; and the tallies by ward, by community platform and by round, with the verdict most
given."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from gateway.commitments.followup import SENT
from gateway.commitments.models import OPEN, VERDICTS, Commitment, FollowUpAnswer, FollowUpRound
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.platforms.models import Platform
from gateway.platforms.service import any_platform, through_platforms


def record_answer(
    followup: FollowUpRound, contact: Contact, verdict: str, channel: str
) -> FollowUpAnswer:
    """Keep ``contact``'s answer in the round: one per person per round, the latest counts."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    fields = {
        "verdict": verdict,
        "channel": channel,
        "county": contact.county,
        "ward": contact.ward,
        "answered_at": utcnow(),
    }
    query = select(FollowUpAnswer).where(
        FollowUpAnswer.round_id == followup.id, FollowUpAnswer.contact_id == contact.id
    )
    answer: FollowUpAnswer | None = db.session.scalar(query)
    if answer is None:
        try:
            with db.session.begin_nested():
                answer = FollowUpAnswer(
                    commitment_id=followup.commitment_id,
                    round_id=followup.id,
                    contact_id=contact.id,
                    **fields,
                )
                db.session.add(answer)
            return answer
        except IntegrityError:  # the same person answered at the same moment elsewhere
            answer = db.session.scalar(query)
            assert answer is not None
    for name, value in fields.items():
        setattr(answer, name, value)
    return answer


def answerable(followup: FollowUpRound) -> bool:
    commitment = db.session.get(Commitment, followup.commitment_id)
    return followup.status == SENT and commitment is not None and commitment.status == OPEN


def open_rounds(contact: Contact) -> list[tuple[FollowUpRound, Commitment]]:
    """The rounds ``contact`` may answer on USSD: each open commitment's latest sent round,
    for commitments of their area, due soonest first."""
    latest = (
        select(FollowUpRound.commitment_id, func.max(FollowUpRound.number).label("number"))
        .where(FollowUpRound.status == SENT)
        .group_by(FollowUpRound.commitment_id)
        .subquery()
    )
    rows = db.session.execute(
        select(FollowUpRound, Commitment)
        .join(Commitment, Commitment.id == FollowUpRound.commitment_id)
        .join(
            latest,
            and_(
                latest.c.commitment_id == FollowUpRound.commitment_id,
                latest.c.number == FollowUpRound.number,
            ),
        )
        .where(Commitment.status == OPEN)
        .order_by(Commitment.due_on, Commitment.id)
    )
    return [
        (followup, commitment)
        for followup, commitment in rows
        if (not commitment.county or commitment.county == contact.county)
        and (not commitment.wards or contact.ward in commitment.wards)
    ]


# -- tallies ------------------------------------------------------------------------------

Tally = dict[str, int]  # verdict -> answers


def _empty() -> Tally:
    return dict.fromkeys(VERDICTS, 0)


def tally_by_ward(round_id: int) -> dict[str, Tally]:
    """A round's answers by ward ("-" for a person with none), wards in order."""
    found: dict[str, Tally] = {}
    for ward, verdict, count in db.session.execute(
        select(FollowUpAnswer.ward, FollowUpAnswer.verdict, func.count())
        .where(FollowUpAnswer.round_id == round_id)
        .group_by(FollowUpAnswer.ward, FollowUpAnswer.verdict)
    ):
        found.setdefault(ward or "-", _empty())[verdict] += count
    return dict(sorted(found.items()))


NO_PLATFORM = ""  # the group of those in no community platform


def tally_by_platform(round_id: int) -> dict[str, Tally]:
    """A round's answers by the community platform each answerer is a member of now (a member
    of two counts in both; :data:`NO_PLATFORM` for those in none), as poll results are; empty
    while no platform exists. Platforms by name, those in none last."""
    if not any_platform():
        return {}
    found: dict[str, Tally] = {}
    for name, verdict, count in db.session.execute(
        through_platforms(
            select(Platform.name, FollowUpAnswer.verdict, func.count()).select_from(FollowUpAnswer),
            FollowUpAnswer.contact_id,
        )
        .where(FollowUpAnswer.round_id == round_id)
        .group_by(Platform.name, FollowUpAnswer.verdict)
    ):
        found.setdefault(name or NO_PLATFORM, _empty())[verdict] += count
    return dict(sorted(found.items(), key=lambda item: (item[0] == NO_PLATFORM, item[0])))


def tally_by_round(commitment_id: int) -> dict[int, Tally]:
    """Each round's answers (by round id): the community's verdict over time."""
    found: dict[int, Tally] = {}
    for round_id, verdict, count in db.session.execute(
        select(FollowUpAnswer.round_id, FollowUpAnswer.verdict, func.count())
        .where(FollowUpAnswer.commitment_id == commitment_id)
        .group_by(FollowUpAnswer.round_id, FollowUpAnswer.verdict)
    ):
        found.setdefault(round_id, _empty())[verdict] += count
    return found


def majority(tally: Tally) -> str | None:
    """The verdict most answered (a tie: the less favourable one, so a tie never reads as
    kept); None with no answer."""
    if not any(tally.values()):
        return None
    counts = Counter(tally)
    return max(reversed(VERDICTS), key=lambda verdict: counts[verdict])
