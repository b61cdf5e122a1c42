"""Meetings and National Dialogues ahead: a page by county, and an iCalendar feed per county
(its meetings and every national dialogue) that a phone's calendar can subscribe to."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import abort, render_template, url_for
from icalendar import Calendar, Event
from sqlalchemy import select

from gateway.areas import areas
from gateway.extensions import db, utcnow
from gateway.meetings.models import Meeting
from gateway.public import route, t
from gateway.public.cache import cached
from gateway.public.pages import local
from gateway.settings import current_settings

LENGTH = timedelta(hours=2)  # meetings keep no end time; a calendar needs one


def meetings_ahead(county: str | None = None) -> list[Meeting]:
    """Scheduled meetings from now on; for a county, its own and the national dialogues."""
    query = select(Meeting).where(Meeting.status == "scheduled", Meeting.starts_at >= utcnow())
    if county is not None:
        query = query.where((Meeting.county == county) | Meeting.county.is_(None))
    return list(db.session.scalars(query.order_by(Meeting.starts_at, Meeting.id)))


def _county(slug: str) -> str:
    for name in areas():
        if name.lower().replace(" ", "-") == slug.lower():
            return name
    abort(404)


def slug(county: str) -> str:
    return county.lower().replace(" ", "-")


@route("/calendar/")
@cached()
def calendar() -> str:
    by_county: dict[str | None, list[Meeting]] = defaultdict(list)
    for meeting in meetings_ahead():
        by_county[meeting.county].append(meeting)
    zone = current_settings().timezone
    return render_template(
        "public/calendar.html",
        national=by_county.pop(None, []),
        counties=[(county, by_county.get(county, [])) for county in areas()],
        slug=slug,
        local=local,
        when=lambda m: m.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    )


@route("/calendar/<county>.ics")
@cached("text/calendar")
def feed(county: str) -> bytes:
    name = _county(county)
    settings = current_settings()
    ical = Calendar()
    ical.add("prodid", "-//Haki Madini Kenya//HMK Civic Gateway//EN")
    ical.add("version", "2.0")
    ical.add("x-wr-calname", t("calendar.feed_name", county=name))
    ical.add("x-wr-timezone", str(settings.timezone))
    for meeting in meetings_ahead(name):
        event = Event()
        host = settings.public_url.split("://", 1)[-1]
        event.add("uid", f"meeting-{meeting.id}@{host}")
        event.add("sequence", meeting.version)
        event.add("summary", local(meeting.title))
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.starts_at + LENGTH)
        event.add("dtstamp", meeting.updated_at)
        event.add(
            "location", ", ".join(p for p in (meeting.place, meeting.ward, meeting.county) if p)
        )
        if local(meeting.agenda):
            event.add("description", local(meeting.agenda))
        event.add("url", settings.public_url + url_for("public.calendar") + f"#m{meeting.id}")
        ical.add_component(event)
    feed: bytes = ical.to_ical()
    return feed
