"""``/api/v1/radio``: shows, their feed since a given item, the producer's marks, the tally
(poll bars, counties, tags), and CSV exports after the show.

Numbers are masked everywhere here; listeners' texts are plain JSON strings (escape them when
showing them). The live board's stream is :mod:`gateway.radio.board`.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from sqlalchemy import select

from gateway.api import ApiBlueprint
from gateway.api.fields import fail
from gateway.api.scope import ADMIN, RADIO_HOST, VIEWER, roles
from gateway.extensions import db, utcnow
from gateway.polls.models import Poll
from gateway.radio.board import board_links
from gateway.radio.export import feed_csv, tally_csv
from gateway.radio.feed import current_episode, feed_items, item_of, note_marked, set_marks
from gateway.radio.models import RadioMessage, RadioShow
from gateway.radio.schedule import episode_at
from gateway.radio.schemas import (
    BoardLink,
    EpisodeQuery,
    Feed,
    FeedItem,
    FeedQuery,
    MarksIn,
    ShowIn,
    ShowOut,
    ShowUpdate,
    Tally,
)
from gateway.radio.studio import issue_link, revoke_link
from gateway.radio.tally import tally
from gateway.settings import Settings, current_settings
from gateway.users import audit
from gateway.users.access import principal

blp = ApiBlueprint(
    "radio",
    __name__,
    url_prefix="/radio",
    read=(ADMIN, VIEWER, RADIO_HOST),
    description="Radio call-in: shows, their live feed of listeners' SMS, marks, tallies, exports.",
)

SHOW_COLUMNS = (
    *("id", "station", "name", "host", "keywords", "shortcode", "schedule", "poll_id"),
    "created_at",
)
CSV = {"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}}


def _show_or_404(show_id: int) -> RadioShow:
    show = db.session.get(RadioShow, show_id)
    if show is None or not principal().owns_show(show.host):
        fail(404, message=f"No radio show with the id {show_id}.")
    return show


def _check_poll(poll_id: int | None) -> None:
    if poll_id is not None and db.session.get(Poll, poll_id) is None:
        fail(422, message=f"No poll with the id {poll_id}.")


def _settings() -> Settings:
    settings = current_settings()
    return settings


def _described(show: RadioShow, key: str | None = None) -> dict[str, Any]:
    """The show as the API answers it; its board URLs carry ``key`` only when it was just made
    (only its hash is kept)."""
    settings = _settings()
    on_air = episode_at(show, utcnow(), settings.timezone, settings.radio_margin) is not None
    return {
        **{name: getattr(show, name) for name in SHOW_COLUMNS},
        "on_air": on_air,
        "episode": current_episode(show),
        **board_links(show.id, key),
        "board_link_expires_at": show.board_key_expires_at,
    }


def _episode(show: RadioShow, asked: str | None) -> str | None:
    """The episode asked for: a date, None for ``all``, or by default the current one (None,
    meaning all, only when the show has no messages at all)."""
    if asked == "all":
        return None
    return asked or current_episode(show)


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/shows")
class Shows(MethodView):
    @blp.response(200, ShowOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every show the token may see (a radio host: their own), oldest first."""
        who = principal()
        shows = db.session.scalars(select(RadioShow).order_by("id"))
        return [_described(s) for s in shows if who.owns_show(s.host)]

    @blp.arguments(ShowIn)
    @blp.response(201, ShowOut)
    @blp.alt_response(422, description="The poll named does not exist.")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a show: station, name, host, keywords and/or a short code of its own, weekly
        schedule in EAT, and optionally the poll shown as bars on its board."""
        _check_poll(data.get("poll_id"))
        show = RadioShow(**data)
        key = issue_link(show, _settings().radio_link_days)
        db.session.add(show)
        db.session.commit()
        return _described(show, key)


@blp.route("/shows/<int:show_id>")
class ShowById(MethodView):
    @blp.response(200, ShowOut)
    @blp.alt_response(404, description="No show with this id.")
    def get(self, show_id: int) -> dict[str, Any]:
        """A show, whether it is on air, its board's URLs (they need a login or a token) and when
        its studio link expires."""
        return _described(_show_or_404(show_id))

    @blp.arguments(ShowUpdate(partial=True))
    @blp.response(200, ShowOut)
    @blp.alt_response(404, description="No show with this id.")
    @blp.alt_response(422, description="The poll named does not exist.")
    def patch(self, data: dict[str, Any], show_id: int) -> dict[str, Any]:
        """Change a show (e.g. attach this week's poll with `poll_id`)."""
        show = _show_or_404(show_id)
        _check_poll(data.get("poll_id"))
        if "host" in data and (data["host"] or "").lower() != (show.host or "").lower():
            revoke_link(show)  # the old host's studio link is not the new host's
        for name, value in data.items():
            setattr(show, name, value)
        if not show.keywords and not show.shortcode:
            db.session.rollback()
            fail(400, message="A show needs keywords, a short code of its own, or both.")
        db.session.commit()
        return _described(show)


@blp.route("/shows/<int:show_id>/board-link")
@roles(write=(ADMIN, RADIO_HOST))
class ShowBoardLink(MethodView):
    @blp.response(201, BoardLink)
    @blp.alt_response(404, description="No show with this id.")
    def post(self, show_id: int) -> dict[str, Any]:
        """Make the show's studio link (its host or an admin): the board for the studio's
        screen with no login, good for `GATEWAY_RADIO_LINK_DAYS`; the earlier link stops
        working. Shown once. Refused while the show's host is deactivated."""
        show = _show_or_404(show_id)
        key = issue_link(show, _settings().radio_link_days)
        audit.record("radio.board_link_made", "radio_show", show.id, name=show.name)
        db.session.commit()
        return {**board_links(show.id, key), "expires_at": show.board_key_expires_at}

    @blp.response(204)
    @blp.alt_response(404, description="No show with this id.")
    def delete(self, show_id: int) -> None:
        """Revoke the show's studio link: a screen showing it stops at its next request."""
        show = _show_or_404(show_id)
        revoke_link(show)
        audit.record("radio.board_link_revoked", "radio_show", show.id, name=show.name)
        db.session.commit()


@blp.route("/shows/<int:show_id>/feed")
class ShowFeed(MethodView):
    @blp.arguments(FeedQuery, location="query")
    @blp.response(200, Feed)
    @blp.alt_response(404, description="No show with this id.")
    def get(self, query: dict[str, Any], show_id: int) -> dict[str, Any]:
        """The feed since item `after`, oldest first: masked numbers, texts, marks. Hidden
        items only with `all=1`. Answers at once; for live updates use the stream."""
        show = _show_or_404(show_id)
        episode = _episode(show, query["episode"])
        items = feed_items(
            show.id,
            episode=episode,
            after=query["after"],
            include_hidden=query["all"],
            limit=query["limit"],
        )
        last = items[-1]["id"] if items else query["after"]
        return {"show_id": show.id, "episode": episode, "items": items, "last_id": last}


@blp.route("/shows/<int:show_id>/feed.csv")
class ShowFeedCsv(MethodView):
    @blp.arguments(EpisodeQuery, location="query")
    @blp.response(200, description="UTF-8 with a BOM; hidden items too.", content_type="text/csv")
    @blp.alt_response(404, description="No show with this id.")
    def get(self, query: dict[str, Any], show_id: int) -> Response:
        """The episode's feed as CSV: masked number, text, time (EAT), county, marks, tags."""
        show = _show_or_404(show_id)
        episode = _episode(show, query["episode"])
        return _csv(feed_csv(show.id, episode), f"radio-{show.id}-{episode or 'all'}-feed.csv")


@blp.route("/shows/<int:show_id>/tally")
class ShowTally(MethodView):
    @blp.arguments(EpisodeQuery, location="query")
    @blp.response(200, Tally)
    @blp.alt_response(404, description="No show with this id.")
    def get(self, query: dict[str, Any], show_id: int) -> dict[str, Any]:
        """The show's poll as bars (votes and percent per option), and the episode's messages
        and listeners by county and by theme tag."""
        show = _show_or_404(show_id)
        return tally(show, _episode(show, query["episode"]))


@blp.route("/shows/<int:show_id>/tally.csv")
class ShowTallyCsv(MethodView):
    @blp.arguments(EpisodeQuery, location="query")
    @blp.response(200, description="UTF-8 with a BOM.", content_type="text/csv")
    @blp.alt_response(404, description="No show with this id.")
    def get(self, query: dict[str, Any], show_id: int) -> Response:
        """The tally as CSV: one row per poll option, county and tag, and the totals."""
        show = _show_or_404(show_id)
        episode = _episode(show, query["episode"])
        return _csv(
            tally_csv(tally(show, episode)), f"radio-{show.id}-{episode or 'all'}-tally.csv"
        )


@blp.route("/messages/<int:item_id>")
@roles(write=(ADMIN, RADIO_HOST))
class FeedItemMarks(MethodView):
    @blp.arguments(MarksIn)
    @blp.response(200, FeedItem)
    @blp.alt_response(404, description="No feed item with this id.")
    def patch(self, data: dict[str, Any], item_id: int) -> dict[str, Any]:
        """Star, hide (it leaves the board), mark as read on air, or set the theme tags of a
        feed item (`id` in the feed)."""
        radio = db.session.get(RadioMessage, item_id)
        show = db.session.get(RadioShow, radio.show_id) if radio is not None else None
        if radio is None or show is None or not principal().owns_show(show.host):
            fail(404, message=f"No radio feed item with the id {item_id}.")
        set_marks(radio, **data)
        db.session.commit()
        note_marked(radio.show_id, radio.id)
        return item_of(radio)
