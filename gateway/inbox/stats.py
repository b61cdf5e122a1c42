"""The inbox's counts on the dashboard: unhandled SMS, how long the oldest has waited, and the
median time from an inbox SMS to the first reply to its sender (last 30 days)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select

from gateway.extensions import db, utcnow
from gateway.inbox.conversation import KIND_REPLY
from gateway.inbox.items import unhandled_times
from gateway.sms.models import Message
from gateway.users.access import Principal

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class InboxCounts:
    unhandled: int
    oldest_unhandled: timedelta | None
    median_first_reply: timedelta | None


def inbox_counts(who: Principal) -> InboxCounts:
    now = utcnow()
    waiting = unhandled_times(who)
    since = now - WINDOW
    arrived = db.session.execute(
        select(Message.contact_id, Message.created_at).where(
            Message.direction == "in", Message.kind == "inbox", Message.created_at >= since
        )
    ).all()
    replies: dict[int | None, list[datetime]] = {}
    for contact_id, at in db.session.execute(
        select(Message.contact_id, Message.created_at)
        .where(Message.kind == KIND_REPLY, Message.created_at >= since)
        .order_by(Message.created_at)
    ):
        replies.setdefault(contact_id, []).append(at)
    waits = []
    for contact_id, at in arrived:
        times = replies.get(contact_id, [])
        first = bisect_left(times, at)
        if first < len(times):
            waits.append((times[first] - at).total_seconds())
    return InboxCounts(
        unhandled=len(waiting),
        oldest_unhandled=now - min(waiting) if waiting else None,
        median_first_reply=timedelta(seconds=median(waits)) if waits else None,
    )
