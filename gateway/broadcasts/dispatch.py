"""Creating, starting, sending and cancelling a broadcast.

Starting a broadcast writes one ``Message`` per recipient (unique per broadcast and contact, so
writing them twice writes nothing new), then chains of ``send_broadcast_chunk`` jobs claim
queued rows a chunk at a time and hand them to Africa's Talking. A worker killed at any moment
leaves rows ``queued`` (claimed by the next chain or the recovery sweep) or ``sending`` (their
send call may have reached Africa's Talking: marked ``unknown`` by the sweep, never resent).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from rq import get_current_job
from sqlalchemy import func, literal, select, update

from gateway.broadcasts.audience import matches
from gateway.broadcasts.estimate import Estimate, estimate, text_as_sent, text_for
from gateway.broadcasts.models import Broadcast
from gateway.broadcasts.timing import planned_start
from gateway.contacts.models import Contact
from gateway.contacts.service import messageable
from gateway.encoding import analyse
from gateway.extensions import conflict_insert, db, redis_client, utcnow
from gateway.i18n import catalogs
from gateway.numbers import whole_number
from gateway.queues import CHAIN_RETRY, OUTBOUND, enqueue_after_commit, job
from gateway.schedule import next_send_time
from gateway.settings import Settings, current_settings
from gateway.sms.models import STATUSES, Message
from gateway.sms.outbound import deliver, kept_after_commit
from gateway.sms.pacing import hold_back
from gateway.sms.throttle import SendRate

log = logging.getLogger(__name__)

# One link of a chain sends for about this long (and at most CHUNK rows), then hands over to
# the next link: long enough that a job's own cost (a forked work horse starts cold: no
# compiled statements, no connection) is small beside its sends, short enough that other
# outgoing SMS on the queue do not wait long behind it.
CHUNK = 20_000
CHUNK_S = 2.0
CHAINS = 2  # chains of jobs sending one broadcast side by side
# A link whose worker died is run again when RQ finds it abandoned (CHAIN_RETRY; the rows it
# claimed are settled by the recovery sweep); the sweep also revives a broadcast whose chains
# all died.


class OverBudget(ValueError):
    def __init__(self, estimate: Estimate) -> None:
        super().__init__("the broadcast would take this month's spending over the budget")
        self.estimate = estimate


class Uncovered(ValueError):
    """Some recipients' languages have no text in their chain and the sender has not said
    whether to leave them out or send them a named language."""

    def __init__(self, estimate: Estimate) -> None:
        names = ", ".join(
            f"{catalogs().language(code).english_name} ({count})"
            for code, count in estimate.uncovered.items()
        )
        super().__init__(
            f"no text in the fallback chain of {names}: they would get nothing; add a text for "
            "them, or choose to leave them out (uncovered: skip) or to send them a language "
            "(uncovered: <code>)"
        )
        self.estimate = estimate


def create_broadcast(
    *,
    name: str,
    texts: Mapping[str, str],
    audience: Mapping[str, Any],
    send_at: datetime | None,
    urgent: bool,
    urgent_reason: str | None,
    created_by: str | None,
    uncovered: str | None = None,
) -> tuple[Broadcast, Estimate]:
    """Save a broadcast and schedule its start; refuse it if it is over the monthly budget, or
    if some recipients have no text in their chain and ``uncovered`` says nothing for them."""
    settings = current_settings()
    if urgent and not (urgent_reason or "").strip():
        raise ValueError("an urgent broadcast must say why it may break the quiet hours")
    found = estimate(texts, audience, settings, catalogs(), uncovered=uncovered)
    if found.needs_choice:
        raise Uncovered(found)
    if found.over_budget:
        raise OverBudget(found)
    broadcast = Broadcast(
        name=name,
        texts=dict(texts),
        audience=dict(audience),
        uncovered=uncovered,
        send_at=send_at,
        urgent=urgent,
        urgent_reason=urgent_reason if urgent else None,
        created_by=created_by,
        estimated_cost_kes=found.cost_kes,
    )
    db.session.add(broadcast)
    db.session.flush()
    if urgent:
        log.warning("urgent broadcast %s by %s: %s", broadcast.id, created_by, urgent_reason)
    enqueue_start(broadcast, settings)
    return broadcast, found


def enqueue_start(broadcast: Broadcast, settings: Settings) -> None:
    """Start the broadcast at its time (or when the quiet hours end); the job's id names that
    time, so enqueueing it again replaces it."""
    when = planned_start(broadcast.send_at, broadcast.urgent, settings)
    enqueue_after_commit(
        db.session,
        OUTBOUND,
        start_broadcast,
        broadcast.id,
        job_id=f"broadcast-{broadcast.id}-start-{int(when.timestamp())}",
        retry=CHAIN_RETRY,
        at=when,
    )


def _write_messages(broadcast: Broadcast, settings: Settings) -> int:
    """One queued message per recipient, in their language; rows that exist stay as they are.
    Those with no text for their language (and none chosen for them) get no row."""
    language = func.coalesce(Contact.language, settings.default_language)
    wanted = matches(broadcast.audience, settings.default_language)
    languages = db.session.scalars(
        select(language).where(wanted, messageable()).group_by(language)
    ).all()
    now = utcnow()
    for code in languages:
        chosen = text_as_sent(broadcast.texts, code, catalogs(), broadcast.uncovered)
        if chosen is None:
            continue
        text = chosen[0]
        info = analyse(text)
        rows = select(
            literal("out"),
            literal("sms"),
            literal("broadcast"),
            Contact.id,
            Contact.phone,
            literal(code),
            literal(text),
            literal(info.encoding),
            literal(info.segments),
            literal("queued"),
            literal(False),
            literal(now),
            literal(now),
            literal(broadcast.id),
            literal(0),
        ).where(wanted, messageable(), language == code)
        columns = [
            "direction",
            "channel",
            "kind",
            "contact_id",
            "phone",
            "language",
            "text",
            "encoding",
            "segments",
            "status",
            "ignores_opt_out",
            "created_at",
            "queued_at",
            "broadcast_id",
            "attempts",
        ]
        statement = conflict_insert(Message).from_select(columns, rows)
        db.session.execute(statement.on_conflict_do_nothing())
    return int(
        db.session.scalar(select(func.count()).where(Message.broadcast_id == broadcast.id)) or 0
    )


@job
def start_broadcast(broadcast_id: int) -> str:
    """Write the broadcast's messages and start sending them (a job: safe to run twice)."""
    settings = current_settings()
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status in ("cancelled", "sent"):
        return "nothing to do"
    when = next_send_time(utcnow(), settings, broadcast.urgent)
    if when > utcnow():  # the quiet hours began since it was scheduled
        enqueue_start(broadcast, settings)
        db.session.commit()
        return f"waits until {when.isoformat()}"
    from gateway.broadcasts.audience import reach

    left_out = reach(broadcast.audience, settings.default_language)
    broadcast.recipients = _write_messages(broadcast, settings)
    broadcast.skipped_no_consent = left_out.skipped_no_consent
    broadcast.skipped_opted_out = left_out.skipped_opted_out
    broadcast.skipped_no_text = sum(
        count
        for code, count in left_out.recipients.items()
        if text_for(broadcast.texts, code, catalogs(), broadcast.uncovered) is None
    )
    broadcast.status, broadcast.started_at = "sending", broadcast.started_at or utcnow()
    for chain in range(CHAINS):
        enqueue_after_commit(
            db.session,
            OUTBOUND,
            send_broadcast_chunk,
            broadcast.id,
            job_id=f"broadcast-{broadcast.id}-chain{chain}-0",
            retry=CHAIN_RETRY,
        )
    db.session.commit()
    return f"{broadcast.recipients} messages"


def _claim_chunk(broadcast_id: int, size: int, settings: Settings, urgent: bool) -> list[Message]:
    """Move up to ``size`` due queued messages of the broadcast to ``sending`` and return them
    (committed), in id order: one UPDATE that returns the rows it claimed. Those that would
    break their contact's pace (unless the broadcast is urgent) go back to the queue for their
    slot in the same commit (:mod:`gateway.sms.pacing`); the chain waits for them."""
    while claimed := _claim_some(broadcast_id, size):
        going = hold_back(claimed, settings, exempt=urgent)
        with kept_after_commit():  # else each claimed row is read again, one SELECT each
            db.session.commit()
        if going:
            return sorted(going, key=lambda message: message.id)
    db.session.commit()
    return []


def _claim_some(broadcast_id: int, size: int) -> list[Message]:
    """Up to ``size`` due queued messages of the broadcast, moved to ``sending`` (not yet
    committed)."""
    due = (
        select(Message.id)
        .where(
            Message.broadcast_id == broadcast_id,
            Message.status == "queued",
            (Message.not_before.is_(None)) | (Message.not_before <= utcnow()),
        )
        .order_by(Message.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.scalars(
        update(Message)
        .where(Message.id.in_(due.scalar_subquery()), Message.status == "queued")
        .values(status="sending", claimed_at=utcnow())
        .returning(Message),
        # A row claimed again in this session (a retry come due) is read afresh.
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).all()
    return list(claimed)


@job
def send_broadcast_chunk(broadcast_id: int, job_id: str | None = None) -> str:
    """Send a broadcast's messages for about ``CHUNK_S`` seconds (at most ``CHUNK``), then
    enqueue the next link of this chain (``job_id``, the running job's by default, names it).

    Rows are claimed one request's worth at a time, just before that request: a worker killed
    mid-send leaves at most one request's recipients ``sending`` (whose fate is unknown).
    """
    if job_id is None and (current := get_current_job()) is not None:
        job_id = current.id
    settings = current_settings()
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status != "sending":
        return "not sending"
    size = SendRate(redis_client(), settings.send_rate_per_s).batch_size(settings.send_batch_size)
    urgent = broadcast.urgent  # read once: the commits below would make it read again
    handed: Counter[str] = Counter()
    until = time.monotonic() + CHUNK_S
    while (
        handed.total() < CHUNK
        and (not handed or time.monotonic() < until)
        and (messages := _claim_chunk(broadcast_id, size, settings, urgent))
    ):
        # The last request's outcomes are committed with the next claim: one commit less each.
        handed.update(deliver(messages, settings, commit_last=False).counts)
    db.session.commit()
    if handed:
        _next_link(broadcast_id, job_id, at=None)
        return f"{handed.total()} handed over ({dict(handed)})"
    waiting = db.session.scalar(
        select(func.min(Message.not_before)).where(
            Message.broadcast_id == broadcast_id, Message.status == "queued"
        )
    )
    if waiting is not None:  # retries waiting for their backoff, recipients for their pace
        _next_link(broadcast_id, job_id, at=waiting + timedelta(seconds=1))
        return "waiting for retries"
    _finish(broadcast)
    return "finished"


def _next_link(broadcast_id: int, job_id: str | None, at: datetime | None) -> None:
    chain, _, number = (job_id or f"broadcast-{broadcast_id}-chain0-0").rpartition("-")
    link = whole_number(number)
    if link is None:
        chain, link = f"{chain}-{number}", 0
    enqueue_after_commit(
        db.session,
        OUTBOUND,
        send_broadcast_chunk,
        broadcast_id,
        job_id=f"{chain}-{link + 1}",
        retry=CHAIN_RETRY,
        at=at,
    )
    db.session.commit()


def _finish(broadcast: Broadcast) -> None:
    """Mark the broadcast sent once nothing is queued or sending (not if it was cancelled)."""
    still = db.session.scalar(
        select(func.count()).where(
            Message.broadcast_id == broadcast.id, Message.status.in_(("queued", "sending"))
        )
    )
    if still == 0:
        db.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id, Broadcast.status == "sending")
            .values(status="sent", finished_at=utcnow())
        )
    db.session.commit()


def cancel_broadcast(broadcast: Broadcast) -> int:
    """Stop a broadcast: nothing not yet handed to Africa's Talking goes. How many were held."""
    if broadcast.status in ("sent", "cancelled"):
        return 0
    now = utcnow()
    broadcast.status, broadcast.cancelled_at = "cancelled", now
    held = db.session.scalars(
        update(Message)
        .where(Message.broadcast_id == broadcast.id, Message.status == "queued")
        .values(status="unsent", error="Cancelled", failed_at=now)
        .returning(Message.id)
    ).all()
    db.session.commit()
    return len(held)


def progress(broadcast: Broadcast) -> dict[str, int]:
    """Messages of the broadcast by status, plus those left out and why."""
    rows = db.session.execute(
        select(Message.status, func.count())
        .where(Message.broadcast_id == broadcast.id)
        .group_by(Message.status)
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({str(status): int(n) for status, n in rows})
    counts["skipped_no_consent"] = broadcast.skipped_no_consent
    counts["skipped_opted_out"] = broadcast.skipped_opted_out
    counts["skipped_no_text"] = broadcast.skipped_no_text
    return counts
