"""Where the areas plug in: the one module that imports every area."""

from __future__ import annotations

from collections.abc import Callable

from gateway.contacts.retention import remove_expired_text_job
from gateway.guides.series import send_due_series
from gateway.meetings.announce import recover_meeting_jobs
from gateway.polls.notices import send_due_results
from gateway.queues import DEFAULT
from gateway.recovery import recover_stranded

# Periodic jobs, as data: (job, queue, every so many seconds). ``worker.py`` has RQ's cron
# scheduler enqueue them on every worker machine; each takes its lock (gateway.queues.periodic),
# so each runs once however many machines enqueue it.
PERIODIC: tuple[tuple[Callable[[], dict[str, int]], str, int], ...] = (
    (recover_stranded, DEFAULT, 60),
    (send_due_series, DEFAULT, 300),
    (recover_meeting_jobs, DEFAULT, 60),
    (send_due_results, DEFAULT, 60),
    (remove_expired_text_job, DEFAULT, 24 * 3600),  # GATEWAY_RETENTION_DAYS
)
