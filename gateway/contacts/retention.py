"""Retention: raw inbound text older than ``GATEWAY_RETENTION_DAYS`` is removed, once a day.

What people wrote is kept only as long as it is useful; the rows stay, so every count (messages
by kind, votes, survey answers, a radio show's feed) is unchanged. Removed after the period:
the text of inbound SMS (a radio call-in's text is its inbound SMS), Africa's Talking's raw
delivery reports, the input of USSD session ends and free-text survey answers. 0 keeps them.

Each area registers what of its own expires (:func:`register_expiring_text`, from
:mod:`gateway.wiring`). The same daily job first finishes deletions by SMS
(:func:`gateway.privacy.sweep_deleted`, a :func:`register_daily_sweep`). It only ever blanks what
is not blank yet, so it may run twice; one run at a time across every worker (a Redis lock) keeps
machines from doing the same bulk updates at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from gateway.extensions import db, utcnow
from gateway.queues import job, periodic
from gateway.settings import current_settings

log = logging.getLogger(__name__)

LOCK = "gateway:retention:lock"
LOCK_S = 3600  # released at the end of a run; expires if a worker dies holding it


# Each area's raw text that the period ends, by the name its count has: what blanks its rows
# older than a time, in the order registered (by :mod:`gateway.wiring`).
EXPIRING: dict[str, Callable[[datetime], int]] = {}
# What the daily job does first, whatever the period (finishing deletions by SMS).
SWEEPS: list[Callable[[], dict[str, int]]] = []


def register_expiring_text(name: str, blank: Callable[[datetime], int]) -> None:
    EXPIRING[name] = blank


def register_daily_sweep(sweep: Callable[[], dict[str, int]]) -> None:
    if sweep not in SWEEPS:
        SWEEPS.append(sweep)


def count_changed(statement: Any) -> int:
    """Run a bulk UPDATE (rows not loaded in the session) and count the rows it changed."""
    table = statement.table
    changed = db.session.execute(
        statement.returning(table.c.id).execution_options(synchronize_session=False)
    )
    return len(changed.all())


def remove_expired_text(now: datetime | None = None) -> dict[str, int]:
    """Blank the raw text older than the retention period; how many rows of each kind."""
    settings = current_settings()
    counts: dict[str, int] = {}
    for sweep in SWEEPS:
        counts |= sweep()
    if settings.retention_days > 0:
        before = (now or utcnow()) - timedelta(days=settings.retention_days)
        counts |= {name: blank(before) for name, blank in EXPIRING.items()}
    db.session.commit()
    if any(counts.values()):
        log.info("retention: %s", counts)
    return counts


@job
@periodic(LOCK, LOCK_S, release=True)
def remove_expired_text_job() -> dict[str, int]:
    """The daily job (in :data:`gateway.wiring.PERIODIC`): see :func:`remove_expired_text`."""
    return remove_expired_text()
