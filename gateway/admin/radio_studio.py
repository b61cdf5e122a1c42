"""The studio around the host's board: the "On air" indicator and the episode's clock, how
listeners take part (shown while the board is empty), the hidden messages to show again, and
the feed and tally CSV files (the API's, :mod:`gateway.radio.export`) under the admin login."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from gateway.admin import bp
from gateway.admin.radio import _show
from gateway.extensions import utcnow
from gateway.radio.export import feed_csv, tally_csv
from gateway.radio.feed import current_episode, feed_items
from gateway.radio.models import RadioShow
from gateway.radio.on_air import clock
from gateway.radio.tally import tally
from gateway.settings import current_settings
from gateway.users.access import require_role
from gateway.users.models import ADMIN, RADIO_HOST, VIEWER

HIDDEN_SHOWN = 50


def studio_context(show: RadioShow) -> dict[str, Any]:
    """What the board page shows around the live feed."""
    settings = current_settings()
    now = utcnow()
    episode = current_episode(show)
    hidden = (
        [
            item
            for item in feed_items(show.id, episode=episode, include_hidden=True)
            if item["hidden"]
        ][-HIDDEN_SHOWN:]
        if episode is not None
        else []
    )
    return {
        "clock": clock(show, now, settings.timezone, settings.radio_margin),
        "now": now,
        "episode": episode,
        "hidden_items": list(reversed(hidden)),
        "board_empty": episode is None or not feed_items(show.id, episode=episode, limit=1),
        "shortcode": show.shortcode or settings.at_shortcode,
        "keyword": show.keywords[0] if show.keywords else None,
    }


def _episode() -> str | None:
    asked = request.args.get("episode", "")
    return asked if len(asked) == 10 and asked[4] == "-" and asked[7] == "-" else None


def _csv(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.route("/radio/<int:show_id>/feed.csv")
@require_role(ADMIN, RADIO_HOST, VIEWER)
def radio_feed_csv(show_id: int) -> Response:
    """The episode's feed (the one on air or the last; ``?episode=all`` for every one)."""
    show = _show(show_id)
    episode = None if request.args.get("episode") == "all" else _episode() or current_episode(show)
    return _csv(feed_csv(show.id, episode), f"radio-{show.id}-{episode or 'all'}-feed.csv")


@bp.route("/radio/<int:show_id>/tally.csv")
@require_role(ADMIN, RADIO_HOST, VIEWER)
def radio_tally_csv(show_id: int) -> Response:
    show = _show(show_id)
    episode = None if request.args.get("episode") == "all" else _episode() or current_episode(show)
    return _csv(tally_csv(tally(show, episode)), f"radio-{show.id}-{episode or 'all'}-tally.csv")
