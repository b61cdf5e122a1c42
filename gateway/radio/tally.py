"""What the studio counts during a show: the show's poll as bars, messages by county, and the
producer's theme tags.

The poll bars are a small read-only count of the poll's votes (one per voter, the latest
counts); casting votes belongs to :mod:`gateway.polls`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import distinct, func, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.i18n import catalogs
from gateway.localized import pick
from gateway.polls.models import Poll, Vote
from gateway.radio.models import RadioMessage, RadioShow
from gateway.settings import current_settings
from gateway.sms.campaigns import is_open


def tally(show: RadioShow, episode: str | None) -> dict[str, Any]:
    """The show's poll bars and the episode's counts (every episode when ``episode`` is None)."""
    where = [RadioMessage.show_id == show.id]
    if episode is not None:
        where.append(RadioMessage.episode == episode)
    messages, listeners = db.session.execute(
        select(func.count(), func.count(distinct(RadioMessage.contact_id))).where(*where)
    ).one()
    return {
        "show_id": show.id,
        "episode": episode,
        "messages": messages,
        "listeners": listeners,
        "poll": poll_bars(show.poll_id) if show.poll_id is not None else None,
        "counties": county_counts(where),
        "tags": tag_counts(where),
    }


def poll_bars(poll_id: int) -> dict[str, Any] | None:
    """The poll's question and, per option, its votes and share of all votes (in percent, to
    one decimal); None if the poll is gone."""
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        return None
    settings = current_settings()
    chain = catalogs().chain(settings.default_language)
    counts: dict[int, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            select(Vote.option_id, func.count())
            .where(Vote.poll_id == poll.id)
            .group_by(Vote.option_id)
        ).all()
    )
    total = sum(counts.get(option.id, 0) for option in poll.options)
    options = []
    for option in poll.options:
        votes = counts.get(option.id, 0)
        options.append(
            {
                "position": option.position,
                "label": pick(option.label, chain),
                "votes": votes,
                "percent": round(100 * votes / total, 1) if total else 0.0,
            }
        )
    return {
        "id": poll.id,
        "keyword": poll.keyword,
        "question": pick(poll.question, chain),
        "open": is_open(poll),
        "votes": total,
        "options": options,
    }


def county_counts(where: list[Any]) -> list[dict[str, Any]]:
    """Messages and listeners by the listener's county (None: not known), most messages first."""
    rows = db.session.execute(
        select(Contact.county, func.count(), func.count(distinct(RadioMessage.contact_id)))
        .select_from(RadioMessage)
        .outerjoin(Contact, Contact.id == RadioMessage.contact_id)
        .where(*where)
        .group_by(Contact.county)
    )
    counts = [
        {"county": county, "messages": messages, "listeners": listeners}
        for county, messages, listeners in rows
    ]
    return sorted(counts, key=lambda c: (-c["messages"], c["county"] is None, c["county"] or ""))


def tag_counts(where: list[Any]) -> list[dict[str, Any]]:
    """Messages per theme tag, most first (counted here: tags are a JSON list per message)."""
    counted: Counter[str] = Counter()
    for tags in db.session.scalars(select(RadioMessage.tags).where(*where)):
        counted.update(set(tags or []))
    return [
        {"tag": tag, "messages": n}
        for tag, n in sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    ]
