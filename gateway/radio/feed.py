"""A show's feed as the studio sees it: listeners' SMS with masked numbers, and the marks a
producer puts on them (star, hide, read on air, theme tags).

Numbers are masked (``+2547••••••78``) and so is any phone number a listener typed into their
text: the feed is for a screen in a studio. Texts are returned as they are otherwise; whatever
shows them must escape them (they are untrusted input).

Mark changes are also noted in Redis per show, so a live board can pick them up with the new
messages (see :mod:`gateway.radio.board`); the database stays the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any, cast

from redis.exceptions import RedisError
from sqlalchemy import Select, func, select

from gateway.contacts.models import Contact
from gateway.extensions import db, redis_client, utcnow
from gateway.phones import mask_phone, mask_phones_in
from gateway.radio.models import RadioMessage, RadioShow
from gateway.radio.schedule import episode_at
from gateway.settings import current_settings
from gateway.sms.models import Message

log = logging.getLogger(__name__)

FEED_LIMIT = 500  # feed items per answer, at most
MARKS_TTL_S = 2 * 24 * 3600  # a show's log of mark changes is kept this long after the last


def current_episode(show: RadioShow) -> str | None:
    """The episode on air now, else the latest one with messages, else None."""
    settings = current_settings()
    on_air = episode_at(show, utcnow(), settings.timezone, settings.radio_margin)
    if on_air is not None:
        return on_air
    latest: str | None = db.session.scalar(
        select(func.max(RadioMessage.episode)).where(RadioMessage.show_id == show.id)
    )
    return latest


def _rows(show_id: int) -> Select[RadioMessage, str, str, str | None]:
    return (
        select(RadioMessage, Message.phone, Message.text, Contact.county)
        .join(Message, Message.id == RadioMessage.message_id)
        .outerjoin(Contact, Contact.id == RadioMessage.contact_id)
        .where(RadioMessage.show_id == show_id)
        .order_by(RadioMessage.id)
    )


def feed_items(
    show_id: int,
    *,
    episode: str | None,
    after: int = 0,
    include_hidden: bool = False,
    limit: int = FEED_LIMIT,
) -> list[dict[str, Any]]:
    """The feed items of ``show_id`` after the item ``after``, oldest first, at most ``limit``.

    ``episode`` None means every episode. Hidden items are left out unless ``include_hidden``.
    """
    query = _rows(show_id).where(RadioMessage.id > after)
    if episode is not None:
        query = query.where(RadioMessage.episode == episode)
    if not include_hidden:
        query = query.where(RadioMessage.hidden.is_(False))
    return [_item(*row) for row in db.session.execute(query.limit(limit))]


def items_by_id(show_id: int, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The feed items ``ids`` of ``show_id`` (hidden ones too), oldest first."""
    if not ids:
        return []
    query = _rows(show_id).where(RadioMessage.id.in_(ids))
    return [_item(*row) for row in db.session.execute(query)]


def item_of(radio: RadioMessage) -> dict[str, Any]:
    """The feed item of one stored message."""
    return items_by_id(radio.show_id, [radio.id])[0]


def _item(radio: RadioMessage, phone: str, text: str, county: str | None) -> dict[str, Any]:
    tz: tzinfo = current_settings().timezone
    return {
        "id": radio.id,
        "episode": radio.episode,
        "received_at": _local(radio.received_at, tz),
        "phone": mask_phone(phone),
        "county": county,
        "text": mask_phones_in(text),
        "starred": radio.starred,
        "hidden": radio.hidden,
        "read_on_air_at": _local(radio.read_on_air_at, tz),
        "tags": list(radio.tags or []),
    }


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return moment.astimezone(tz) if moment is not None else None


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags as stored: trimmed, lower case, each once, in the order given."""
    cleaned = (" ".join(tag.split()).casefold() for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag))


def set_marks(
    radio: RadioMessage,
    *,
    starred: bool | None = None,
    hidden: bool | None = None,
    read_on_air: bool | None = None,
    tags: Sequence[str] | None = None,
) -> None:
    """Change the marks given (None leaves a mark as it is); the caller commits, then calls
    :func:`note_marked`. Reading a message on air again keeps the first time."""
    if starred is not None:
        radio.starred = starred
    if hidden is not None:
        radio.hidden = hidden
    if read_on_air is True and radio.read_on_air_at is None:
        radio.read_on_air_at = utcnow()
    elif read_on_air is False:
        radio.read_on_air_at = None
    if tags is not None:
        radio.tags = clean_tags(tags)


def _marks_keys(show_id: int) -> tuple[str, str]:
    return f"radio:show:{show_id}:marks", f"radio:show:{show_id}:marks:seq"


def note_marked(show_id: int, radio_id: int) -> None:
    """Log that ``radio_id``'s marks changed, for live boards (after the commit; best effort:
    a board that misses it still has the truth in the JSON feed)."""
    changes, counter = _marks_keys(show_id)
    try:
        seq = int(redis_client().incr(counter))
        pipe = redis_client().pipeline()
        pipe.zadd(changes, {str(radio_id): seq})
        pipe.expire(changes, MARKS_TTL_S)
        pipe.expire(counter, MARKS_TTL_S)
        pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning(
            "radio show %s: mark change of %s not noted for boards: %s", show_id, radio_id, exc
        )


def marked_since(show_id: int, seen: int | None) -> tuple[list[int], int]:
    """The feed items whose marks changed after change number ``seen`` (None: none wanted, just
    the current number), and the current number. A number from before Redis lost the log
    gives every change the log still has."""
    changes, counter = _marks_keys(show_id)
    try:
        current = int(redis_client().get(counter) or 0)
        if seen is None:
            return [], current
        since = seen if seen <= current else 0
        found = redis_client().zrangebyscore(changes, f"({since}", "+inf")
    except (RedisError, OSError) as exc:
        log.warning("radio show %s: mark changes unavailable: %s", show_id, exc)
        return [], seen or 0
    return [int(i) for i in cast(list[bytes], found)], current
