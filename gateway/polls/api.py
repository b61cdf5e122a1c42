"""``/api/v1/polls``: create a poll, send its question to its audience by SMS, read its results
live (JSON, or a CSV for Excel)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import func, select

from gateway.api import ApiBlueprint
from gateway.api.estimates import SendEstimateOut, estimate_out
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
from gateway.api.scope import ADMIN, RADIO_HOST, VIEWER
from gateway.exports import csv_response
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.platforms.api import PlatformOfCounty
from gateway.polls import texts
from gateway.polls.estimate import question_estimate, results_estimate
from gateway.polls.models import Poll, PollOption
from gateway.polls.notices import (
    PollClosed,
    audience,
    enqueue_question,
    not_yet_asked,
    question_send_time,
)
from gateway.polls.results import CSV_HEADER, poll_results, results_rows, status
from gateway.polls.voice_numbers import check_voice_numbers, voice_numbers_field
from gateway.sms.texts import SMS_LIMIT, fits
from gateway.users import audit
from gateway.users.access import principal

# With these, the USSD voting screen fits 160 characters; the SMS are checked as written.
QUESTION_MAX = 100
LABEL_MAX = 30

blp = ApiBlueprint(
    "polls",
    __name__,
    url_prefix="/polls",
    read=(ADMIN, VIEWER, RADIO_HOST),
    description="Community polls: votes by SMS (`MADINI 2`) and USSD, live results, results SMS.",
)


class PollIn(PlatformOfCounty):
    keyword = Keyword(required=True)
    question = per_language(QUESTION_MAX, required=True, validate=ma.validate.Length(min=1))
    options = ma.fields.List(
        per_language(LABEL_MAX, validate=ma.validate.Length(min=1)),
        required=True,
        validate=ma.validate.Length(2, 5, error="A poll has 2 to 5 options (voted as 1-5 or A-E)."),
        metadata={"description": 'Each option\'s label per language, e.g. `[{"en": "Yes"}, ...]`.'},
    )
    county = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=_known_county,
        metadata={"description": "The county whose people are asked; `null` for everyone."},
    )
    platform_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "A community platform's poll (within `county`): its question is "
            "sent to the platform's members only. `null`: everyone in the county."
        },
    )
    opens_at = opens_at_field()
    closes_at = ma.fields.AwareDateTime(required=True)
    send_results = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Text the results to every voter, in their language, on close."},
    )
    voice_numbers = voice_numbers_field()

    @ma.validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_window(data)
        options = data.get("options") or []
        refuse_repeated_options(options)
        if data.get("question") and options:
            _check_sms_size(data["question"], options)
        check_voice_numbers(data)


def _check_sms_size(question: dict[str, str], options: list[dict[str, str]]) -> None:
    """The question SMS (with its options) and the answer to a wrong vote fit 2 SMS in every
    language."""
    poll = Poll(
        keyword="X" * 20,
        question=question,
        options=[PollOption(position=n, label=label) for n, label in enumerate(options, 1)],
    )
    for language in catalogs().languages():
        for text in (
            texts.question_sms(poll, language.code),
            texts.invalid_sms(poll, language.code),
        ):
            if not fits(text):
                raise ma.ValidationError(
                    f"With its options, the poll's SMS in {language.english_name} is longer than "
                    f"{SMS_LIMIT} SMS; shorten the question or the options.",
                    "question",
                )


class OptionOut(ma.Schema):
    position = ma.fields.Integer(metadata={"description": "What a voter texts or presses."})
    label = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    voice_number = ma.fields.String(
        allow_none=True, metadata={"description": "Beep to vote: a missed call to it is a vote."}
    )


class PollOut(ma.Schema):
    id = ma.fields.Integer()
    keyword = ma.fields.String()
    question = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    options = ma.fields.List(ma.fields.Nested(OptionOut))
    county = ma.fields.String(allow_none=True)
    platform_id = ma.fields.Integer(allow_none=True)
    opens_at = ma.fields.AwareDateTime()
    closes_at = ma.fields.AwareDateTime()
    send_results = ma.fields.Boolean()
    results_sent_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    status = ma.fields.Function(status, metadata={"description": "upcoming, open or closed"})


class OptionCount(ma.Schema):
    option = ma.fields.Integer(metadata={"description": "The option's position."})
    votes = ma.fields.Integer()
    percent = ma.fields.Float(metadata={"description": "Of the group's votes, to one decimal."})


class OptionTotal(OptionCount):
    label = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class GroupCount(ma.Schema):
    value = ma.fields.String(allow_none=True, metadata={"description": "`null`: not known."})
    county = ma.fields.String(allow_none=True, metadata={"description": "Wards only."})
    total = ma.fields.Integer()
    options = ma.fields.List(ma.fields.Nested(OptionCount))


class ByDimension(ma.Schema):
    county = ma.fields.List(ma.fields.Nested(GroupCount))
    ward = ma.fields.List(ma.fields.Nested(GroupCount))
    language = ma.fields.List(ma.fields.Nested(GroupCount))
    channel = ma.fields.List(ma.fields.Nested(GroupCount))
    platform = ma.fields.List(
        ma.fields.Nested(GroupCount),
        metadata={"description": "By the community platform the voters are members of now."},
    )


class PollResultsOut(ma.Schema):
    id = ma.fields.Integer()
    keyword = ma.fields.String()
    question = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    status = ma.fields.String()
    total = ma.fields.Integer(metadata={"description": "Votes counted (one per person)."})
    options = ma.fields.List(ma.fields.Nested(OptionTotal))
    by = ma.fields.Nested(
        ByDimension,
        metadata={"description": "Where, in what language and how voters voted (at the time)."},
    )


class SendOut(ma.Schema):
    poll = ma.fields.Integer()
    audience = ma.fields.Integer(metadata={"description": "People with consent in its county."})
    to_ask = ma.fields.Integer(
        metadata={
            "description": "Of them, those it goes to: not those who have had the question "
            "(by an earlier send or by texting the keyword) or have voted."
        }
    )
    sends_at = ma.fields.AwareDateTime(metadata={"description": "After the quiet hours."})


# Who hosts a poll on air, from its id: radio builds on polls, so :mod:`gateway.wiring` adds it.
POLL_HOSTS: list[Callable[[int], Iterable[str | None]]] = []


def register_poll_hosts(hosts: Callable[[int], Iterable[str | None]]) -> None:
    if hosts not in POLL_HOSTS:
        POLL_HOSTS.append(hosts)


def _sees_poll(poll: Poll) -> bool:
    """A radio host sees the polls of their own shows; the other readers see every poll."""
    who = principal()
    if who.role != RADIO_HOST:
        return True
    return any(who.owns_show(host) for hosts in POLL_HOSTS for host in hosts(poll.id))


def _poll_or_404(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id)
    if poll is None or not _sees_poll(poll):
        fail(404, message=f"No poll with the id {poll_id}.")
    return poll


@blp.route("")
class Polls(MethodView):
    @blp.arguments(PollIn)
    @blp.response(201, PollOut)
    @blp.alt_response(409, description="Another poll or survey has this keyword.")
    def post(self, data: dict[str, Any]) -> Poll:
        """Create a poll (nothing is sent until `POST /polls/<id>/send`)."""
        refuse_taken_keyword(data["keyword"])
        poll = Poll.from_input(data)
        db.session.add(poll)
        db.session.flush()
        audit.record("poll.create", "poll", poll.id, keyword=poll.keyword, county=poll.county)
        db.session.commit()
        return poll


class PollEdit(ma.Schema):
    question = ma.fields.Raw()
    options = ma.fields.Raw()
    opens_at = ma.fields.Raw()
    closes_at = ma.fields.Raw()
    send_results = ma.fields.Raw()
    voice_numbers = ma.fields.Raw()


@blp.route("/<int:poll_id>")
class PollById(MethodView):
    @blp.response(200, PollOut)
    @blp.alt_response(404, description="No poll with this id.")
    def get(self, poll_id: int) -> Poll:
        """A poll."""
        return _poll_or_404(poll_id)

    @blp.arguments(PollEdit)
    @blp.response(200, PollOut)
    @blp.alt_response(404, description="No poll with this id.")
    @blp.alt_response(409, description="The poll has votes: it can no longer be changed.")
    @blp.alt_response(400, description="The changed poll is not valid (as for a new poll).")
    def patch(self, data: dict[str, Any], poll_id: int) -> Poll:
        """Change the question, options (with their voice numbers) or window, until the first
        vote; checked as a new poll is. Keyword and county stay."""
        from gateway.polls.edit import PollHasVotes, as_input, edit_poll, has_votes

        poll = _poll_or_404(poll_id)
        if has_votes(poll):
            fail(409, message="The poll has votes: it can no longer be changed.")
        try:
            valid = PollIn().load({**as_input(poll), **data})
        except ma.ValidationError as error:
            fail(400, message="The changed poll is not valid.", errors={"json": error.messages})
        try:
            changed = edit_poll(poll, valid)
        except PollHasVotes:
            db.session.rollback()
            fail(409, message="The poll has votes: it can no longer be changed.")
        if changed:
            audit.record("poll.edit", "poll", poll.id, changed=changed)
        db.session.commit()
        return poll


@blp.route("/<int:poll_id>/results")
class PollResults(MethodView):
    @blp.response(200, PollResultsOut)
    @blp.alt_response(404, description="No poll with this id.")
    def get(self, poll_id: int) -> dict[str, Any]:
        """Votes so far: totals and percentages, by county, ward, language and channel."""
        return poll_results(_poll_or_404(poll_id))


@blp.route("/<int:poll_id>/results.csv")
class PollResultsCsv(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "UTF-8 with a byte-order mark (opens in Excel), one row per "
                "group and option: `dimension` (all, county, ward, language, channel, "
                "platform), `value`, "
                "`county` (wards), `option`, `label` (English), `votes`, `percent`.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    )
    @blp.alt_response(404, description="No poll with this id.")
    def get(self, poll_id: int) -> Any:
        """The results as a CSV file, in a long format a pivot table reads."""
        poll = _poll_or_404(poll_id)
        return csv_response(
            f"poll-{poll.keyword.lower()}-results.csv", CSV_HEADER, results_rows(poll)
        )


@blp.route("/<int:poll_id>/send/estimate")
class PollSendEstimate(MethodView):
    @blp.response(200, SendEstimateOut)
    @blp.alt_response(404, description="No poll with this id.")
    @blp.alt_response(409, description="The poll has closed (or closes before it could go).")
    def post(self, poll_id: int) -> dict[str, Any]:
        """What `POST /polls/<id>/send` would send, and sends nothing: the question per language
        as sent (encoding, segments, characters to cut to fit one SMS), to how many, the cost
        and the budget left."""
        poll = _poll_or_404(poll_id)
        try:
            question_send_time(poll)
        except PollClosed:
            fail(409, message=f"Poll {poll.id} has closed; its question cannot be sent.")
        return estimate_out(question_estimate(poll))


@blp.route("/<int:poll_id>/results/estimate")
class PollResultsEstimate(MethodView):
    @blp.response(200, SendEstimateOut)
    @blp.alt_response(404, description="No poll with this id.")
    def get(self, poll_id: int) -> dict[str, Any]:
        """What the results SMS (sent when a poll with `send_results` closes) would send to the
        voters so far, per language with the counts so far: encoding, segments, characters to
        cut to fit one SMS, the cost and the budget left."""
        return estimate_out(results_estimate(_poll_or_404(poll_id)))


@blp.route("/<int:poll_id>/send")
class PollSend(MethodView):
    @blp.response(202, SendOut)
    @blp.alt_response(404, description="No poll with this id.")
    @blp.alt_response(409, description="The poll has closed (or closes before it could go).")
    def post(self, poll_id: int) -> dict[str, Any]:
        """Text the question, with numbered options, to the poll's audience (everyone with
        consent in its county, or everywhere), once per person, in their language; a bare
        number sent back is a vote. Sent when the poll opens, after the quiet hours."""
        poll = _poll_or_404(poll_id)
        try:
            sends_at = enqueue_question(poll)
        except PollClosed:
            fail(409, message=f"Poll {poll.id} has closed; its question cannot be sent.")
        people, to_ask = (
            db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
            or 0
            for query in (audience(poll), not_yet_asked(poll))
        )
        db.session.commit()
        return {"poll": poll.id, "audience": people, "to_ask": to_ask, "sends_at": sends_at}
