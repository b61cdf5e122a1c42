"""Listeners' SMS during a show: into its feed, with one thank-you per listener and episode.

An SMS joins a show's feed when the show is on air (see :mod:`gateway.radio.schedule`) and the
SMS was sent to the show's own short code, or starts with one of its keywords ("Madini ...",
"MADINI: ...") or with a keyword of 4 letters or more and one typo ("MADNI ...", as polls
allow: see :func:`gateway.sms.keywords.near_miss`). A vote ("MADINI 2", "MADINI B", "MADINI
ndiyo" for a poll with the keyword MADINI, or "MADNI 2"), or the poll's keyword alone, is the
polls' own: their route comes before this one (see :func:`gateway.wiring.inbound_routes`).
Outside show time a keyword SMS is not a radio message: the routes after this one, or the
inbox, take it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.contacts.service import GROUP_CONTACT_IDS
from gateway.extensions import db, utcnow
from gateway.group_cache import cached, in_group
from gateway.polls.models import Poll
from gateway.radio.models import RadioMessage, RadioShow
from gateway.radio.schedule import shows_on_air
from gateway.settings import current_settings
from gateway.sms.keywords import KeywordMatch, near_miss, words
from gateway.sms.models import Message
from gateway.sms.router import Route
from gateway.sms.scheduled import queue_once
from gateway.sms.texts import render


def thanks_key(show_id: int, episode: str, contact_id: int) -> str:
    """The dedupe key of a listener's thank-you: one per show, episode and listener."""
    return f"radio:{show_id}:{episode}:contact:{contact_id}"


def thank_once(
    contact: Contact, show: RadioShow, episode: str, key: str, kind: str, /, **values: object
) -> bool:
    """Queue the thank-you text ``key`` (with ``values``) to ``contact`` unless one went to
    them in this episode of the show already; True if it was queued now.

    In a group of inbound SMS, the thank-yous its senders already had are read in one query,
    and those queued since are remembered, so a repeat costs no failed INSERT."""
    dedupe_key = thanks_key(show.id, episode, contact.id)
    thanked = _thanked(show.id, episode) if in_group() else set()
    if dedupe_key in thanked:
        return False
    text = render(contact, key, **values)
    queued = queue_once(contact, text, kind=kind, dedupe_key=dedupe_key, reply=True)
    thanked.add(dedupe_key)
    return queued is not None


def _thanked(show_id: int, episode: str) -> set[str]:
    """The thank-you keys of this show's episode that the group's senders had already."""

    def load() -> set[str]:
        ids: list[int] = cached(GROUP_CONTACT_IDS, list)
        keys = [thanks_key(show_id, episode, contact_id) for contact_id in ids]
        if not keys:
            return set()
        found = db.session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(keys)))
        return {key for key in found if key}

    return cached(("thanked", show_id, episode), load)


def _call_in(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    """Take ``message`` into the feed of the show on air that it is for, or leave it (None) to
    the routes after this one."""
    settings = current_settings()
    moment = message.created_at or utcnow()  # when it reached us, however late it is handled
    on_air = shows_on_air(moment, settings.timezone, settings.radio_margin)
    if not on_air:
        return None
    said = words(message.text)
    # A word that is another keyword (YES, NEXT...) is never taken for a typo of a show's.
    chosen = _show_for(message.shortcode, said[:1], on_air, typo_allowed=match is None)
    if chosen is None:
        return None
    show, episode = chosen
    # Feed items are read "after id N": for a reader never to skip one, ids of a show's items
    # must become visible in order. Holding the show's row until commit makes them so (a
    # no-op on SQLite, whose writers take turns anyway).
    db.session.execute(
        select(RadioShow.id).where(RadioShow.id == show.id).with_for_update(key_share=True)
    )
    db.session.add(
        RadioMessage(
            show_id=show.id,
            message_id=message.id,
            contact_id=contact.id,
            episode=episode,
            received_at=moment,
        )
    )
    message.kind = "radio"
    if contact.opted_out_at is None:
        thank_once(
            contact,
            show,
            episode,
            "sms.radio.thanks",
            "radio_thanks",
            show=show.name,
            station=show.station,
        )
    return f"radio: show {show.id}, episode {episode}"


def _show_for(
    shortcode: str | None,
    first_word: list[str],
    on_air: list[tuple[RadioShow, str]],
    *,
    typo_allowed: bool,
) -> tuple[RadioShow, str] | None:
    """The show an SMS is for: the one with its own short code first, then by keyword (a typo
    of one only when no show's keyword is the word itself)."""
    for show, episode in on_air:
        if show.shortcode and shortcode == show.shortcode:
            return show, episode
    if not first_word:
        return None
    by_keyword: dict[str, tuple[RadioShow, str]] = {}
    for show, episode in on_air:  # the first show on air with a keyword has it
        for keyword in show.keywords:
            for word in words(keyword):
                by_keyword.setdefault(word, (show, episode))
    word = first_word[0]
    if word not in by_keyword and typo_allowed:
        word = near_miss(word, by_keyword) or word
    return by_keyword.get(word)


def show_thanking(poll_id: int, at: datetime) -> tuple[RadioShow, str] | None:
    """The show on air at ``at`` whose poll ``poll_id`` is, with its episode: its listeners'
    votes are thanked once per episode, like their messages (see :func:`thanks_key`)."""
    settings = current_settings()
    for show, episode in shows_on_air(at, settings.timezone, settings.radio_margin):
        if show.poll_id == poll_id:
            return show, episode
    return None


def thank_show_vote(
    contact: Contact, poll: Poll, at: datetime, kind: str, values: dict[str, object]
) -> bool | None:
    """A vote in the poll of a show on air is thanked once per listener and episode (None: no
    show of this poll is on air; see :func:`gateway.polls.votes.thank_vote`)."""
    on_air = show_thanking(poll.id, at)
    if on_air is None:
        return None
    show, episode = on_air
    return thank_once(contact, show, episode, "sms.poll.thanks", kind, **values)


# The inbound route (see gateway.wiring.inbound_routes).
CALL_IN = Route("radio show on air: its keyword or short code", _call_in)
