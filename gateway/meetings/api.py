"""``/api/v1/meetings``: create a meeting (its audience is alerted), read it with its RSVPs,
move it, cancel it."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from gateway.api import ApiBlueprint
from gateway.api.estimates import SendEstimateOut, estimate_out
from gateway.api.fields import fail
from gateway.api.schemas import _known_county, _known_language
from gateway.api.scope import ADMIN, COORDINATOR, STAFF, forbid
from gateway.areas import areas
from gateway.extensions import db, utcnow
from gateway.meetings.estimate import creation_estimate, move_estimate
from gateway.meetings.models import Meeting
from gateway.meetings.notices import (
    MeetingClosed,
    cancel,
    create_meeting,
    message_counts,
    reminder_plan,
    reschedule,
    rsvp_counts,
)
from gateway.platforms.api import PlatformOfCounty
from gateway.schedule import next_send_time
from gateway.settings import current_settings
from gateway.users.access import principal

TITLE_MAX = 60  # with the longest date and an 80-character place, an alert fits 2 SMS
PLACE_MAX = 80

blp = ApiBlueprint(
    "meetings",
    __name__,
    url_prefix="/meetings",
    read=STAFF,
    write=(ADMIN, COORDINATOR),
    description="Community platform meetings and national dialogues: alerts, reminders, RSVPs.",
)


def _per_language(max_length: int, **kwargs: Any) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(validate=_known_language),
        values=ma.fields.String(validate=ma.validate.Length(1, max_length)),
        **kwargs,
    )


def _in_the_future(moment: Any) -> None:
    if moment <= utcnow():
        raise ma.ValidationError("The meeting must start in the future.")


class MeetingIn(PlatformOfCounty):
    title = _per_language(
        TITLE_MAX,
        required=True,
        validate=ma.validate.Length(min=1),
        metadata={"description": 'Per language code, e.g. `{"en": ..., "sw": ...}`.'},
    )
    agenda = _per_language(500, load_default=dict)
    county = ma.fields.String(
        required=True,
        allow_none=True,
        validate=_known_county,
        metadata={
            "description": "The county platform's meeting, or `null` for a national "
            "dialogue (every county's contacts are alerted)."
        },
    )
    ward = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 64))
    platform_id = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "A community platform's meeting (within `county`): only its "
            "members are alerted. `null`: everyone in the county."
        },
    )
    place = ma.fields.String(required=True, validate=ma.validate.Length(1, PLACE_MAX))
    starts_at = ma.fields.AwareDateTime(
        required=True,
        validate=_in_the_future,
        metadata={"description": "ISO 8601 with a timezone, e.g. `2026-12-08T10:00:00+03:00`."},
    )

    @ma.validates_schema
    def _ward_in_county(self, data: dict[str, Any], **kwargs: Any) -> None:
        ward, county = data.get("ward"), data.get("county")
        if ward is None:
            return
        if county is None:
            raise ma.ValidationError("A national dialogue has no ward.", "ward")
        wards = areas()[county].wards if county in areas() else ()
        if wards and ward not in wards:
            raise ma.ValidationError(
                f"Unknown ward of {county}; use one of: {', '.join(wards)}.", "ward"
            )


class MeetingUpdate(ma.Schema):
    starts_at = ma.fields.AwareDateTime(validate=_in_the_future)
    place = ma.fields.String(validate=ma.validate.Length(1, PLACE_MAX))

    @ma.validates_schema
    def _a_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("Give a new starts_at or place.", "starts_at")


class ReminderOut(ma.Schema):
    before = ma.fields.String(metadata={"description": "How long before the start, e.g. `24h`."})
    at = ma.fields.AwareDateTime(metadata={"description": "When it goes (out of quiet hours)."})


class RsvpCounts(ma.Schema):
    yes = ma.fields.Integer()
    no = ma.fields.Integer()


class MeetingOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    agenda = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    county = ma.fields.String(allow_none=True)
    ward = ma.fields.String(allow_none=True)
    platform_id = ma.fields.Integer(allow_none=True)
    place = ma.fields.String()
    starts_at = ma.fields.AwareDateTime()
    status = ma.fields.String(metadata={"description": "`scheduled` or `cancelled`."})
    version = ma.fields.Integer(metadata={"description": "Raised by every move."})
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    reminders = ma.fields.List(
        ma.fields.Nested(ReminderOut),
        metadata={"description": "The reminders of this version, to everyone alerted."},
    )
    rsvps = ma.fields.Nested(RsvpCounts)
    messages = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer()),
        metadata={
            "description": "Messages about this meeting by kind, then by status; queued ones "
            "withdrawn by a move are `replaced` (by the new time's), and those withdrawn by the "
            "cancellation `cancelled`."
        },
    )


MEETING_COLUMNS = (
    *("id", "title", "agenda", "county", "ward", "platform_id", "place", "starts_at"),
    *("status", "version", "created_at", "updated_at"),
)


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not principal().sees_county(meeting.county):
        fail(404, message=f"No meeting with the id {meeting_id}.")
    return meeting


def _described(meeting: Meeting) -> dict[str, Any]:
    """The meeting with its reminders, RSVP counts and message counts, for the response."""
    settings = current_settings()
    reminders = []
    if meeting.status == "scheduled":
        reminders = reminder_plan(meeting, settings, next_send_time(meeting.updated_at, settings))
    return {
        **{name: getattr(meeting, name) for name in MEETING_COLUMNS},
        "reminders": reminders,
        "rsvps": rsvp_counts(meeting.id),
        "messages": message_counts(meeting.id),
    }


@blp.route("")
class Meetings(MethodView):
    @blp.arguments(MeetingIn)
    @blp.response(201, MeetingOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a meeting; its audience is alerted (after the quiet hours) and reminded."""
        if not principal().sees_county(data["county"]):
            forbid("may only create meetings of its own counties.")
        meeting = create_meeting(**data)
        db.session.commit()
        return _described(meeting)


@blp.route("/estimate")
class MeetingEstimate(MethodView):
    @blp.arguments(MeetingIn)
    @blp.response(200, SendEstimateOut)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """What creating this meeting would send, and sends nothing: per language the alert and
        the reminders as sent (encoding, segments, characters to cut to fit one SMS), to how
        many, the cost and the budget left."""
        if not principal().sees_county(data["county"]):
            forbid("may only create meetings of its own counties.")
        return estimate_out(creation_estimate(data))


@blp.route("/<int:meeting_id>/estimate")
class MeetingMoveEstimate(MethodView):
    @blp.arguments(MeetingUpdate)
    @blp.response(200, SendEstimateOut)
    @blp.alt_response(404, description="No meeting with this id.")
    @blp.alt_response(409, description="The meeting is cancelled.")
    def post(self, data: dict[str, Any], meeting_id: int) -> dict[str, Any]:
        """What moving this meeting (as PATCH would) would send, and sends nothing."""
        meeting = _meeting_or_404(meeting_id)
        if meeting.status != "scheduled":
            fail(409, message=f"Meeting {meeting_id} is cancelled; create a new one.")
        return estimate_out(
            move_estimate(meeting, starts_at=data.get("starts_at"), place=data.get("place"))
        )


@blp.route("/<int:meeting_id>")
class MeetingById(MethodView):
    @blp.response(200, MeetingOut)
    @blp.alt_response(404, description="No meeting with this id.")
    def get(self, meeting_id: int) -> dict[str, Any]:
        """A meeting with its scheduled reminders and the RSVPs so far."""
        return _described(_meeting_or_404(meeting_id))

    @blp.arguments(MeetingUpdate)
    @blp.response(200, MeetingOut)
    @blp.alt_response(404, description="No meeting with this id.")
    @blp.alt_response(409, description="The meeting is cancelled.")
    def patch(self, data: dict[str, Any], meeting_id: int) -> dict[str, Any]:
        """Move a meeting to a new time or place: its audience is told, and the reminders of
        the old time are replaced."""
        meeting = _meeting_or_404(meeting_id)
        try:
            reschedule(meeting, starts_at=data.get("starts_at"), place=data.get("place"))
        except MeetingClosed:
            fail(409, message=f"Meeting {meeting_id} is cancelled; create a new one.")
        db.session.commit()
        return _described(meeting)


@blp.route("/<int:meeting_id>/cancel")
class MeetingCancellation(MethodView):
    @blp.response(200, MeetingOut)
    @blp.alt_response(404, description="No meeting with this id.")
    def post(self, meeting_id: int) -> dict[str, Any]:
        """Cancel a meeting: those who heard of it are told, and nothing else is sent for it.
        Cancelling it again changes nothing."""
        meeting = _meeting_or_404(meeting_id)
        cancel(meeting)
        db.session.commit()
        return _described(meeting)
