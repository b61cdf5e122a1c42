"""Pacing for one person: at most ``GATEWAY_MAX_PER_CONTACT_PER_DAY`` scheduled messages to a
contact a day (in ``GATEWAY_TIMEZONE``), none closer than ``GATEWAY_MIN_SPACING``; the rest
wait their turn (the next free slot, after the quiet hours).

Scheduled messages are those the gateway sends on its own initiative (:data:`PACED_KINDS`, not
``automatic``); replies to something the person sent neither count nor wait.

The decision is taken when a send job claims its messages, in the claim's transaction: a
message that must wait goes back to ``queued`` with its new ``not_before`` in the same commit
that claims the others, so no moment exists where it is claimed and not sent (stranded) or
free to be claimed twice. Counted are the contact's scheduled messages already claimed
(``claimed_at``), so the rule holds for what is handed to Africa's Talking, not for plans.

Two jobs claiming for the same contact at once must not both see a free slot: each locks the
contacts it paces (``SELECT ... FOR UPDATE`` in id order, so claimers never deadlock each
other) before it counts, on PostgreSQL; on SQLite the claim's UPDATE, which comes first, holds
the database's single write lock until the commit. A lock in the database and not in Redis:
it is released by the commit (or a rollback, or a dead worker's connection) that makes the
claim visible, so there is no window between the two and nothing to expire.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.schedule import next_send_time
from gateway.settings import Settings
from gateway.sms.asked import COMMITMENT_QUESTION, POLL_QUESTION
from gateway.sms.models import REACHED, Message

# What the gateway sends on its own initiative. An SMS of another kind (a reply, a staff
# message to one person) is never held back. A poll question sent as the answer to its keyword
# is a reply (``automatic``) and is not paced either.
PACED_KINDS = frozenset(
    {
        "broadcast",
        "meeting_alert",
        "meeting_rescheduled",
        "meeting_reminder",
        "meeting_cancelled",
        POLL_QUESTION,
        "poll_results",
        COMMITMENT_QUESTION,
        "guide_series",
        "guide_series_end",
    }
)
PACED = "Paced"  # the error a held-back message carries while it waits (shown on its row)


def pacing_on(settings: Settings) -> bool:
    return settings.max_per_contact_per_day > 0 or settings.min_spacing > timedelta(0)


def is_paced(message: Message) -> bool:
    return message.contact_id is not None and not message.automatic and message.kind in PACED_KINDS


def _day_start(moment: datetime, settings: Settings, days: int = 0) -> datetime:
    local = moment.astimezone(settings.timezone)
    start = datetime.combine(local.date() + timedelta(days=days), datetime.min.time())
    return start.replace(tzinfo=settings.timezone).astimezone(moment.tzinfo)


def _lock(contact_ids: list[int]) -> None:
    """Lock the contacts' rows until the commit (ignored by SQLite, see the module)."""
    db.session.execute(
        select(Contact.id).where(Contact.id.in_(contact_ids)).order_by(Contact.id).with_for_update()
    )


def _history(
    contact_ids: list[int], claiming: set[int], since: datetime
) -> dict[int, list[datetime]]:
    """When each contact's scheduled messages were claimed since ``since`` (oldest first),
    other than those being claimed now."""
    rows = db.session.execute(
        select(Message.contact_id, Message.claimed_at)
        .where(
            Message.contact_id.in_(contact_ids),
            Message.direction == "out",
            Message.kind.in_(PACED_KINDS),
            Message.automatic.is_(False),
            Message.status.in_(REACHED),
            Message.claimed_at >= since,
            Message.id.not_in(claiming),
        )
        .order_by(Message.claimed_at)
    ).all()
    found: dict[int, list[datetime]] = defaultdict(list)
    for contact_id, claimed_at in rows:
        if contact_id is not None and claimed_at is not None:  # both, by the query
            found[contact_id].append(_aware(claimed_at))
    return found


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; the gateway stores UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def next_slot(sent: list[datetime], now: datetime, settings: Settings) -> datetime:
    """The earliest moment from ``now`` at which one more scheduled message may go to a
    contact who got ``sent`` (claim times, oldest first): spaced from the last and within its
    day's cap; a message moved by pacing also waits for the end of the quiet hours (one that
    is due now goes now, as it was planned: a late meeting alert may be planned in them)."""
    cap, spacing = settings.max_per_contact_per_day, settings.min_spacing
    moment, moved = now, False
    for _ in range(8):  # each turn only moves later; a few always suffice
        if sent and moment < sent[-1] + spacing:
            moment, moved = sent[-1] + spacing, True
        day, next_day = _day_start(moment, settings), _day_start(moment, settings, 1)
        if cap and sum(day <= s < next_day for s in sent) >= cap:
            moment, moved = next_day, True
            continue
        if moved and (later := next_send_time(moment, settings)) != moment:
            moment = later
            continue
        return moment
    return moment


def hold_back(
    messages: Iterable[Message], settings: Settings, *, exempt: bool = False
) -> list[Message]:
    """Of messages just claimed (``sending``, in the claim's open transaction), put back in the
    queue those that would break a contact's pace, with their next slot as ``not_before``;
    return the others, which may go now. ``exempt``: an urgent broadcast's (they count for
    the messages after them, but never wait)."""
    claimed = list(messages)
    if exempt or not pacing_on(settings):
        return claimed
    paced = [m for m in claimed if is_paced(m)]
    if not paced:
        return claimed
    now = utcnow()
    contact_ids = sorted({m.contact_id for m in paced if m.contact_id is not None})
    _lock(contact_ids)
    since = min(_day_start(now, settings), now - settings.min_spacing)
    history = _history(contact_ids, {m.id for m in claimed}, since)
    held: set[int] = set()
    for message in sorted(paced, key=lambda m: m.id):  # the oldest goes first
        sent = history[message.contact_id or 0]
        slot = next_slot(sent, now, settings)
        if slot <= now:
            sent.append(now)
            continue
        held.add(message.id)
        message.status, message.claimed_at = "queued", None
        message.not_before, message.error = slot, PACED
    return [m for m in claimed if m.id not in held]
