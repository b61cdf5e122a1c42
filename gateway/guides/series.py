"""The weekly guide series: each subscriber's next excerpt, on the set weekday and hour.

A subscription keeps its place (``next_chapter``). Once a week, from ``series_weekday`` at
``series_hour`` (East Africa Time), a periodic job queues each subscriber's next excerpt in
their language and moves their place on, in the same transaction; ``NEXT``/``ZAIDI`` by SMS does
the same at once. After the last excerpt comes a note on what to do next, and the subscription
ends. Each excerpt's message has a dedupe key (``series:coal:2:contact:7``), so a job run twice,
or on two machines at once, sends it once.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from gateway.contacts.models import Contact
from gateway.contacts.service import messageable
from gateway.extensions import db, utcnow
from gateway.guides.content import Guide, guides
from gateway.guides.models import GuideSubscription
from gateway.queues import job, periodic
from gateway.schedule import next_send_time
from gateway.settings import Settings, current_settings
from gateway.sms.keywords import KeywordMatch
from gateway.sms.models import Message
from gateway.sms.router import Route, keyword_in, mark_keyword
from gateway.sms.scheduled import queue_once
from gateway.sms.texts import language_of, render, reply, with_optout_hint

log = logging.getLogger(__name__)

LOCK = "gateway:series:lock"
LOCK_S = 240  # shorter than the periodic interval (wiring.PERIODIC), longer than a run
BATCH = 200


def series_key(guide: str, chapter: int | str, contact_id: int) -> str:
    """The dedupe key of one excerpt (or ``"end"``, the closing note) to one subscriber."""
    return f"series:{guide}:{chapter}:contact:{contact_id}"


def this_weeks_slot(now: datetime, settings: Settings) -> datetime:
    """The latest series time (weekday and hour, local) at or before ``now``."""
    local = now.astimezone(settings.timezone)
    day = local.date() - timedelta(days=(local.weekday() - settings.series_weekday) % 7)
    slot = datetime.combine(day, time(settings.series_hour), tzinfo=settings.timezone)
    if slot > local:
        slot -= timedelta(weeks=1)
    return slot.astimezone(now.tzinfo)


def send_next(
    subscription: GuideSubscription,
    contact: Contact,
    not_before: datetime | None = None,
    reply: bool = False,
) -> str:
    """Queue ``subscription``'s next excerpt (after the last one, the closing note too) and move
    its place on (``reply``: asked for by NEXT). The caller commits; the excerpt goes once even
    if this runs twice."""
    guide = guides().get(subscription.guide)
    index = subscription.next_chapter
    now = utcnow()
    if guide is None or index >= len(guide.chapters):  # a guide withdrawn, or already done
        subscription.active, subscription.updated_at = False, now
        return "ended"
    chapter = guide.chapters[index]
    queued = queue_once(
        contact,
        with_optout_hint(render(contact, chapter.text), language_of(contact)),
        kind="guide_series",
        dedupe_key=series_key(guide.id, index, contact.id),
        not_before=not_before,
        reply=reply,
    )
    last = index + 1 == len(guide.chapters)
    if last:
        _send_end_note(guide, contact, not_before, reply)
    # Only from the place we read: a NEXT and the weekly job racing move it on once.
    db.session.execute(
        update(GuideSubscription)
        .where(GuideSubscription.id == subscription.id, GuideSubscription.next_chapter == index)
        .values(next_chapter=index + 1, active=not last, updated_at=now)
    )
    if queued is None:
        return "already sent"
    return "last sent" if last else "sent"


def _send_end_note(
    guide: Guide, contact: Contact, not_before: datetime | None, reply: bool
) -> None:
    queue_once(
        contact,
        render(contact, "sms.series.end", guide=render(contact, guide.title)),
        kind="guide_series_end",
        dedupe_key=series_key(guide.id, "end", contact.id),
        not_before=not_before,
        reply=reply,
    )


@job
@periodic(LOCK, LOCK_S)
def send_due_series() -> dict[str, int]:
    """Queue the excerpt of every subscriber who has not had one since this week's series time
    (a periodic job). Only to contacts with consent, and not in the quiet hours: an excerpt
    due then waits for their end. One run at a time across every worker (a Redis lock)."""
    settings = current_settings()
    now = utcnow()
    slot = this_weeks_slot(now, settings)
    not_before = next_send_time(now, settings)
    counts: Counter[str] = Counter()
    last_id = 0
    while True:
        rows = db.session.execute(
            select(GuideSubscription, Contact)
            .join(Contact, Contact.id == GuideSubscription.contact_id)
            .where(
                GuideSubscription.id > last_id,
                GuideSubscription.active.is_(True),
                GuideSubscription.updated_at < slot,
                messageable(),
            )
            .order_by(GuideSubscription.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for subscription, contact in rows:
            last_id = subscription.id
            counts[send_next(subscription, contact, not_before)] += 1
            db.session.commit()  # each subscriber's excerpt and place together
    if counts:
        log.info("guide series: %s", dict(counts))
    return dict(counts)


def send_next_now(contact: Contact) -> str:
    """``NEXT``/``ZAIDI``: the next excerpt of the contact's latest series, at once."""
    if contact.opted_out_at is not None:
        return "opted out, nothing sent"
    subscription = db.session.scalar(
        select(GuideSubscription)
        .where(GuideSubscription.contact_id == contact.id, GuideSubscription.active.is_(True))
        .order_by(GuideSubscription.updated_at.desc(), GuideSubscription.id.desc())
        .limit(1)
    )
    if subscription is None:
        reply(contact, "sms.series.none", kind="guide_series_none")
        return "no series to continue"
    outcome = send_next(subscription, contact, reply=True)
    if outcome == "ended":
        reply(contact, "sms.series.none", kind="guide_series_none")
    return f"{subscription.guide}: {outcome}"


def _next(message: Message, contact: Contact, match: KeywordMatch | None) -> str:
    assert match is not None
    mark_keyword(message, contact, match)
    return send_next_now(contact)


# The inbound route (see gateway.wiring.inbound_routes).
NEXT = Route("NEXT: the next guide excerpt", _next, keyword_in("next"))
