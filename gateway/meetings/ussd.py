"""Upcoming meetings and RSVPs, for the USSD flow."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError

from gateway.extensions import db, utcnow
from gateway.localized import pick, when
from gateway.meetings.models import Meeting, Rsvp
from gateway.ussd.engine import Context, Item
from gateway.ussd.handlers import county_of
from gateway.ussd.registry import action, condition, source, view

LISTED = 12


def upcoming(county: str | None) -> list[Meeting]:
    """Scheduled meetings still to come in ``county``, and national dialogues, soonest first."""
    where: ColumnElement[bool] = Meeting.county.is_(None)
    if county:
        where = or_(where, Meeting.county == county)
    return list(
        db.session.scalars(
            select(Meeting)
            .where(where, Meeting.status == "scheduled", Meeting.starts_at > utcnow())
            .order_by(Meeting.starts_at)
            .limit(LISTED)
        )
    )


def _meeting(ctx: Context) -> Meeting:
    meeting = db.session.get(Meeting, int(ctx.data["meeting"]))
    if meeting is None:  # deleted while the caller was looking at it
        raise LookupError("meeting gone")
    return meeting


@view("meetings_area")
def meetings_area(ctx: Context) -> dict[str, object]:
    return {"county": county_of(ctx) or ctx.text("ussd.meetings.all_counties")}


@source("meetings")
def meeting_list(ctx: Context) -> list[Item]:
    chain = ctx.catalogs.chain(ctx.language)
    return [
        Item(
            str(m.id),
            f"{when(m.starts_at, ctx.screen_text, ctx.language, 'd MMM')} {pick(m.title, chain)}",
        )
        for m in upcoming(county_of(ctx))
    ]


@view("meeting")
def meeting_view(ctx: Context) -> dict[str, object]:
    meeting = _meeting(ctx)
    return {
        "title": pick(meeting.title, ctx.catalogs.chain(ctx.language)),
        "when": when(meeting.starts_at, ctx.screen_text, ctx.language),
        "place": meeting.place,
    }


@condition("attending")
def attending(ctx: Context) -> bool:
    return ctx.data.get("attending") == "yes"


@action("rsvp")
def rsvp(ctx: Context) -> None:
    """Keep the caller's answer; a later answer replaces an earlier one."""
    record_rsvp(_meeting(ctx).id, ctx.contact.id, attending(ctx), channel="ussd")


def record_rsvp(meeting_id: int, contact_id: int, attending: bool, channel: str) -> None:
    existing = db.session.scalar(
        select(Rsvp).where(Rsvp.meeting_id == meeting_id, Rsvp.contact_id == contact_id)
    )
    if existing is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    Rsvp(
                        meeting_id=meeting_id,
                        contact_id=contact_id,
                        attending=attending,
                        channel=channel,
                    )
                )
            return
        except IntegrityError:  # the same person answered twice at once
            existing = db.session.scalar(
                select(Rsvp).where(Rsvp.meeting_id == meeting_id, Rsvp.contact_id == contact_id)
            )
            assert existing is not None
    existing.attending, existing.channel, existing.answered_at = attending, channel, utcnow()
