"""The studio's live board: ``/radio/shows/<id>/stream`` (server-sent events) and a bare page at
``/radio/shows/<id>/board`` that shows it.

The stream is short-lived on purpose: a response held open would hold a web worker (with the
Procfile's gevent workers, a greenlet and a database session) for as long as a screen is open.
So each request answers at once with what is new since the ``Last-Event-ID`` the browser sends
back (new feed items, items whose marks changed, the tally if it changed, callers' recorded
questions: :mod:`gateway.radio.board_questions`) and ends with
``retry: 1000``: the browser's ``EventSource`` reconnects a second later by itself. A new SMS
is on the screen within about a second of its worker storing it, and a board costs one short
request a second, not a worker.

Access: the ``key`` of the show's studio link (:mod:`gateway.radio.studio`, made by the host
or an admin), which a browser can carry and which never shows hidden items; or, under the
radio API's own rules, an API token (``Authorization: Bearer``) or the admin UI's login: an
admin or a viewer sees every show, a host their own (another's is 404), a coordinator none
(403). A page opened with a token or a login hands out no key.
Listeners' texts are untrusted: the page escapes them (Jinja's autoescape) and its script
only ever sets ``textContent``; a Content-Security-Policy allows only the page's own script.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_smorest import abort as smorest_abort

from gateway.extensions import db
from gateway.numbers import whole_number
from gateway.radio.board_questions import QuestionsSeen, question_updates
from gateway.radio.feed import FEED_LIMIT, current_episode, feed_items, items_by_id, marked_since
from gateway.radio.models import RadioShow
from gateway.radio.schemas import FeedItem, Tally
from gateway.radio.studio import link_opens
from gateway.radio.tally import tally
from gateway.users.access import Principal, principal
from gateway.users.models import ADMIN, RADIO_HOST, VIEWER

bp = Blueprint("radio_board", __name__, url_prefix="/radio", template_folder="templates")

RETRY_MS = 1000  # the browser reconnects this long after each answer
CATCH_UP_RETRY_MS = 50  # ... or this soon when there was more than one answer could carry


def board_links(show_id: int, key: str | None = None) -> dict[str, str]:
    """The board page's and the stream's URLs: with ``key`` (a studio link, just made) they
    open with no login; without, they need a login or a token."""
    return {
        "board_url": url_for("radio_board.board", show_id=show_id, key=key, _external=True),
        "stream_url": url_for("radio_board.stream", show_id=show_id, key=key, _external=True),
    }


READERS = (ADMIN, VIEWER, RADIO_HOST)  # as the radio API's: a coordinator reads no show


@dataclass(frozen=True)
class Access:
    """How a request may see a board: ``keyed`` with a board link (the studio screen, which
    never shows hidden items), else as a principal the API's rules let read the show."""

    key: str | None
    keyed: bool


def _principal() -> Principal:
    """The logged-in admin-UI user, else the API token's principal (401 without one)."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return Principal.of_user(current_user)
    from gateway.api.auth import require_token

    require_token()  # aborts with 401 unless a valid API token came
    return principal()


def _access(show_id: int) -> Access:
    """How the request may see ``show_id``'s board; aborts (401, 403, 404) if it may not."""
    key = request.args.get("key")
    if key:
        show = db.session.get(RadioShow, show_id)
        if show is not None and link_opens(show, key):
            return Access(key, keyed=True)
        abort(
            Response("This board link is not valid or has expired.\n", 403, mimetype="text/plain")
        )
    who = _principal()
    if who.role not in READERS:
        smorest_abort(403, message=f"A {who.role} may not read radio shows.")
    show = db.session.get(RadioShow, show_id)
    if show is None or not who.owns_show(show.host):
        smorest_abort(404, message=f"No radio show with the id {show_id}.")
    return Access(None, keyed=False)


@dataclass(frozen=True)
class Cursor:
    """What a board has seen: the last feed item, the last mark change, the tally's digest,
    and the recorded questions (the last one and a digest of their marks and audio)."""

    last: int = 0
    marks: int | None = None  # None: a new board, which gets the marks with the items
    tally: str = ""
    questions: QuestionsSeen = QuestionsSeen()

    @classmethod
    def parse(cls, raw: str) -> Cursor:
        parts = raw.strip().split(".")
        if len(parts) in (3, 5):  # 3: a board opened before questions were on it
            last, marks = whole_number(parts[0]), whole_number(parts[1])
            questions = QuestionsSeen.parse(parts[3:])
            if last is not None and marks is not None and questions is not None:
                return cls(last, marks, parts[2][:16], questions)
        return cls()

    def __str__(self) -> str:
        return f"{self.last}.{self.marks or 0}.{self.tally}.{self.questions}"


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@dataclass(frozen=True)
class BoardUpdate:
    """What a board at some cursor has not seen yet (JSON-ready), and its cursor after."""

    items: list[dict[str, Any]]  # new feed items
    marked: list[dict[str, Any]]  # items seen before whose marks changed
    tally: dict[str, Any] | None  # None: unchanged
    questions: list[dict[str, Any]]  # recorded questions new or changed (a hidden one: its id)
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
    questions, questions_seen = question_updates(
        show.id, episode, cursor.questions, include_hidden=include_hidden
    )
    return BoardUpdate(
        items=[FeedItem().dump(item) for item in items],
        marked=[FeedItem().dump(item) for item in marked],
        tally=counted if digest != cursor.tally else None,
        questions=questions,
        cursor=Cursor(items[-1]["id"] if items else cursor.last, marks, digest, questions_seen),
        more=len(items) == FEED_LIMIT,
    )


def event_stream(update: BoardUpdate, seen: Cursor) -> str:
    """``update`` as server-sent events, ending with the new cursor as the event id."""
    out = [_event("feed", item) for item in update.items]
    out += [_event("mark", item) for item in update.marked]
    if update.tally is not None:
        out.append(_event("tally", update.tally))
    out += [_event("question", question) for question in update.questions]
    if str(update.cursor) != str(seen):
        out.append(f"id: {update.cursor}\n\n")  # no data: the id is kept, nothing dispatched
    retry = CATCH_UP_RETRY_MS if update.more else RETRY_MS
    return f"retry: {retry}\n\n" + "".join(out)


@bp.get("/shows/<int:show_id>/stream")
def stream(show_id: int) -> Response:
    """Server-sent events: ``feed`` (a new item), ``mark`` (an item's marks changed; a hidden
    one leaves the board), ``tally`` (poll bars and counts), ``question`` (a recorded question,
    new or changed: its audio fetched, played on air, hidden). Answers at once and ends; the
    browser reconnects after ``retry`` with ``Last-Event-ID`` (``?last_event_id=`` for the
    first request). ``?all=1`` keeps hidden items."""
    access = _access(show_id)
    show = db.get_or_404(RadioShow, show_id)
    seen = Cursor.parse(
        request.headers.get("Last-Event-ID") or request.args.get("last_event_id", "")
    )
    hidden = not access.keyed and request.args.get("all") == "1"  # the API's feed rule
    update = board_update(show, seen, include_hidden=hidden)
    return Response(
        event_stream(update, seen),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@bp.get("/shows/<int:show_id>/board")
def board(show_id: int) -> Response:
    """A bare page for the studio screen: the feed (escaped), the poll bars, counts by county,
    kept live by the stream."""
    access = _access(show_id)
    show = db.get_or_404(RadioShow, show_id)
    update = board_update(show, Cursor(), include_hidden=False)
    nonce = secrets.token_urlsafe(16)
    stream_url = url_for(
        "radio_board.stream",
        show_id=show_id,
        key=access.key,  # the link's own key, or none: a login or token opens the stream
        last_event_id=str(update.cursor),
    )
    page = render_template(
        "radio/board.html",
        show=show,
        items=list(reversed(update.items)),
        questions=[q for q in reversed(update.questions) if not q.get("hidden", True)],
        tally=update.tally,
        stream_url=stream_url,
        nonce=nonce,
    )
    return Response(
        page,
        mimetype="text/html",
        headers={
            "Content-Security-Policy": f"default-src 'none'; script-src 'self'; "
            f"style-src 'nonce-{nonce}'; connect-src 'self'; media-src 'self'; base-uri 'none'; "
            "form-action 'none'",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
