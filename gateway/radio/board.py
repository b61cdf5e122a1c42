"""The studio's live board: ``/radio/shows/<id>/stream`` (server-sent events) and a bare page at
``/radio/shows/<id>/board`` that shows it.

The stream is short-lived on purpose: a response held open would hold a web worker (with the
Procfile's gevent workers, a greenlet and a database session) for as long as a screen is open.
So each request answers at once with what is new since the ``Last-Event-ID`` the browser sends
back (new feed items, items whose marks changed, the tally if it changed) and ends with
``retry: 1000``: the browser's ``EventSource`` reconnects a second later by itself. A new SMS
is on the screen within about a second of its worker storing it, and a board costs one short
request a second, not a worker.

Access: an API token (``Authorization: Bearer``), the ``key`` of a board link
(:func:`board_links`, given by ``GET /api/v1/radio/shows/<id>``), which a browser can carry, or
the admin UI's login of a user who may see the show (its host, an admin or a viewer).
Listeners' texts are untrusted: the page escapes them (Jinja's autoescape) and its script
only ever sets ``textContent``; a Content-Security-Policy allows only the page's own script.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gateway.extensions import db
from gateway.radio.feed import FEED_LIMIT, current_episode, feed_items, items_by_id, marked_since
from gateway.radio.models import RadioShow
from gateway.radio.schemas import FeedItem, Tally
from gateway.radio.tally import tally
from gateway.settings import Settings

bp = Blueprint("radio_board", __name__, url_prefix="/radio", template_folder="templates")

RETRY_MS = 1000  # the browser reconnects this long after each answer
CATCH_UP_RETRY_MS = 50  # ... or this soon when there was more than one answer could carry
KEY_MAX_AGE_S = 24 * 3600  # a board link works for a day: long enough for a show


def _signer() -> URLSafeTimedSerializer:
    settings: Settings = current_app.config["GATEWAY"]
    return URLSafeTimedSerializer(settings.secret_key, salt="radio-board")


def board_links(show_id: int) -> dict[str, str]:
    """The board page's and the stream's URLs, each carrying a key good for a day."""
    key = _signer().dumps(show_id)
    return {
        "board_url": url_for("radio_board.board", show_id=show_id, key=key, _external=True),
        "stream_url": url_for("radio_board.stream", show_id=show_id, key=key, _external=True),
    }


def _admin_user_sees(show_id: int) -> bool:
    """Whether the request comes from a logged-in admin-UI user who may see the show."""
    from flask_login import current_user

    from gateway.users.access import Principal

    if not current_user.is_authenticated:
        return False
    show = db.session.get(RadioShow, show_id)
    return show is not None and Principal.of_user(current_user).owns_show(show.host)


def _refused(show_id: int) -> Response | None:
    """None if the request may see ``show_id``'s board, else the answer that refuses it."""
    key = request.args.get("key")
    if not key and _admin_user_sees(show_id):
        return None
    if key:
        try:
            if _signer().loads(key, max_age=KEY_MAX_AGE_S) == show_id:
                return None
        except BadSignature:
            pass
        return Response(
            "This board link is not valid or has expired.\n", 403, mimetype="text/plain"
        )
    from gateway.api.auth import require_token

    require_token()  # aborts with 401 unless a valid API token came
    return None


@dataclass(frozen=True)
class Cursor:
    """What a board has seen: the last feed item, the last mark change, the tally's digest."""

    last: int = 0
    marks: int | None = None  # None: a new board, which gets the marks with the items
    tally: str = ""

    @classmethod
    def parse(cls, raw: str) -> Cursor:
        parts = raw.strip().split(".")
        try:
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                return cls(int(parts[0]), int(parts[1]), parts[2][:16])
        except ValueError:
            pass
        return cls()

    def __str__(self) -> str:
        return f"{self.last}.{self.marks or 0}.{self.tally}"


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@dataclass(frozen=True)
class BoardUpdate:
    """What a board at some cursor has not seen yet (JSON-ready), and its cursor after."""

    items: list[dict[str, Any]]  # new feed items
    marked: list[dict[str, Any]]  # items seen before whose marks changed
    tally: dict[str, Any] | None  # None: unchanged
    cursor: Cursor
    more: bool  # more items are waiting than one answer carries


def board_update(show: RadioShow, cursor: Cursor, include_hidden: bool) -> BoardUpdate:
    """What is new for a board of ``show`` at ``cursor`` (the episode on air, or the last)."""
    episode = current_episode(show)
    items = []
    if episode is not None:
        items = feed_items(
            show.id, episode=episode, after=cursor.last, include_hidden=include_hidden
        )
    changed, marks = marked_since(show.id, cursor.marks)
    marked = items_by_id(show.id, [i for i in changed if i <= cursor.last])
    counted = Tally().dump(tally(show, episode))
    digest = hashlib.sha256(json.dumps(counted, sort_keys=True).encode()).hexdigest()[:16]
    return BoardUpdate(
        items=[FeedItem().dump(item) for item in items],
        marked=[FeedItem().dump(item) for item in marked],
        tally=counted if digest != cursor.tally else None,
        cursor=Cursor(items[-1]["id"] if items else cursor.last, marks, digest),
        more=len(items) == FEED_LIMIT,
    )


def event_stream(update: BoardUpdate, seen: Cursor) -> str:
    """``update`` as server-sent events, ending with the new cursor as the event id."""
    out = [_event("feed", item) for item in update.items]
    out += [_event("mark", item) for item in update.marked]
    if update.tally is not None:
        out.append(_event("tally", update.tally))
    if str(update.cursor) != str(seen):
        out.append(f"id: {update.cursor}\n\n")  # no data: the id is kept, nothing dispatched
    retry = CATCH_UP_RETRY_MS if update.more else RETRY_MS
    return f"retry: {retry}\n\n" + "".join(out)


@bp.get("/shows/<int:show_id>/stream")
def stream(show_id: int) -> Response:
    """Server-sent events: ``feed`` (a new item), ``mark`` (an item's marks changed; a hidden
    one leaves the board), ``tally`` (poll bars and counts). Answers at once and ends; the
    browser reconnects after ``retry`` with ``Last-Event-ID`` (``?last_event_id=`` for the
    first request). ``?all=1`` keeps hidden items."""
    refused = _refused(show_id)
    if refused is not None:
        return refused
    show = db.get_or_404(RadioShow, show_id)
    seen = Cursor.parse(
        request.headers.get("Last-Event-ID") or request.args.get("last_event_id", "")
    )
    update = board_update(show, seen, include_hidden=request.args.get("all") == "1")
    return Response(
        event_stream(update, seen),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@bp.get("/shows/<int:show_id>/board")
def board(show_id: int) -> Response:
    """A bare page for the studio screen: the feed (escaped), the poll bars, counts by county,
    kept live by the stream."""
    refused = _refused(show_id)
    if refused is not None:
        return refused
    show = db.get_or_404(RadioShow, show_id)
    update = board_update(show, Cursor(), include_hidden=False)
    nonce = secrets.token_urlsafe(16)
    stream_url = url_for(
        "radio_board.stream",
        show_id=show_id,
        key=_signer().dumps(show_id),
        last_event_id=str(update.cursor),
    )
    page = render_template(
        "radio/board.html",
        show=show,
        items=list(reversed(update.items)),
        tally=update.tally,
        stream_url=stream_url,
        nonce=nonce,
    )
    return Response(
        page,
        mimetype="text/html",
        headers={
            "Content-Security-Policy": f"default-src 'none'; script-src 'self'; "
            f"style-src 'nonce-{nonce}'; connect-src 'self'; base-uri 'none'; "
            "form-action 'none'",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
