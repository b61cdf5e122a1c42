"""The jobs' names before they moved beside their work, kept for one release (remove in the next).

RQ finds a job's function again by the dotted path it was enqueued under. Jobs enqueued by the
previous release as ``gateway.jobs.<name>`` may still wait in Redis during a deploy (queued,
scheduled for the end of the quiet hours, or retrying), and not all of them would be found again
by a sweep (a poll's question, a contact import): so each old name still leads to its job.
Nothing in the gateway imports this module; enqueue the job functions themselves.
"""

from __future__ import annotations

from gateway.broadcasts.dispatch import send_broadcast_chunk, start_broadcast
from gateway.contacts.imports import run_import as import_contacts
from gateway.guides.series import send_due_series
from gateway.meetings.announce import (
    announce_meeting,
    recover_meeting_jobs,
    send_cancellation_notices,
)
from gateway.polls.notices import send_due_results as send_poll_results
from gateway.polls.notices import send_poll_question
from gateway.recovery import recover_stranded
from gateway.sms.inbound import handle_inbound_sms
from gateway.sms.outbound import send_messages

__all__ = [
    "announce_meeting",
    "handle_inbound_sms",
    "import_contacts",
    "recover_meeting_jobs",
    "recover_stranded",
    "send_broadcast_chunk",
    "send_cancellation_notices",
    "send_due_series",
    "send_messages",
    "send_poll_question",
    "send_poll_results",
    "start_broadcast",
]
