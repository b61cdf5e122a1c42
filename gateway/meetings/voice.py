"""Upcoming meetings on the voice line: the caller's county's (as on USSD), each by its title,
day, time and place, and an RSVP by key. The day and time are values spoken from clips in the
caller's language; the title and place, typed by staff, are read out."""

from __future__ import annotations

from gateway.extensions import db
from gateway.localized import pick
from gateway.meetings.models import Meeting
from gateway.meetings.ussd import record_rsvp, upcoming
from gateway.voice.engine import CallContext
from gateway.voice.registry import Item, action, source

ITEM = "voice.meetings.item"


def _item(meeting: Meeting, ctx: CallContext) -> Item:
    local = meeting.starts_at.astimezone(ctx.settings.timezone)
    chain = ctx.catalogs.chain(ctx.language)
    values = {
        "title": pick(meeting.title, chain),
        "date": local.date(),
        "time": local.time(),
        "place": meeting.place,
    }
    return Item(str(meeting.id), (ITEM,), values)


def _chosen(ctx: CallContext) -> Meeting | None:
    meeting_id = str(ctx.data.get("meeting", ""))
    return db.session.get(Meeting, int(meeting_id)) if meeting_id.isdigit() else None


@source("meetings")
def meeting_items(ctx: CallContext) -> list[Item]:
    """The same meetings USSD lists: the caller's county's and national dialogues (only those
    for a caller whose county is not known)."""
    county = ctx.contact.county if ctx.contact is not None else None
    return [_item(meeting, ctx) for meeting in upcoming(county)]


@source("meeting")
def meeting_item(ctx: CallContext) -> list[Item]:
    """The meeting the caller chose, to hear again before answering (none if it was deleted)."""
    meeting = _chosen(ctx)
    return [] if meeting is None else [_item(meeting, ctx)]


@action("rsvp")
def rsvp(ctx: CallContext, answer: str | None) -> None:
    """Keep the caller's answer ("yes" or "no"); a later one replaces it, whatever the channel."""
    meeting = _chosen(ctx)
    if meeting is None or ctx.contact is None:
        return
    record_rsvp(meeting.id, ctx.contact.id, answer == "yes", channel="voice")
