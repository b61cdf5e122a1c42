"""One send job for the SMS a transaction queues, instead of one job each.

A burst of inbound SMS (a radio show's poll) queues a thank-you for most of them. One job per
message cost a forked work horse per SMS, several times the sending itself; inside
:func:`one_send_job` the messages that go as soon as possible are collected instead, into one
job (``send-sms-<first>-<last>``; a single message keeps ``send-sms-<id>``) enqueued after the
commit, like any other job, and in the place of the first of them (a job asked for after a
reply, such as forgetting a deletion's last reply, still comes behind its send). It is the
ordinary send job: it takes ids, claims the still-queued rows (so it is safe to run twice),
drops messages to contacts who opted out meanwhile, and sends the recipients of one text in
one request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import inspect

from gateway.extensions import db
from gateway.queues import OUTBOUND, SEND_RETRY, PendingJob, enqueue_after_commit, withdraw
from gateway.sms.models import Message

_BATCH = "sms_send_batch"  # session.info: the batch of the one_send_job() around us


@dataclass
class _Batch:
    messages: list[Message] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # the job's argument, filled in at the end
    job: PendingJob | None = None


def collect(message: Message) -> bool:
    """Keep ``message`` for the job of the :func:`one_send_job` around us; False if none is."""
    batch: _Batch | None = db.session.info.get(_BATCH)
    if batch is None:
        return False
    if batch.job is None:
        from gateway.sms.outbound import send_messages  # which imports this module

        batch.job = enqueue_after_commit(
            db.session, OUTBOUND, send_messages, batch.ids, retry=SEND_RETRY
        )
        batch.job.savepoint = None  # the transaction's, whichever SAVEPOINT asked first
    batch.messages.append(message)
    return True


@contextmanager
def one_send_job() -> Iterator[None]:
    """Send the SMS queued inside (and not scheduled for later) with one job after commit.

    A message whose SAVEPOINT rolled back (a duplicate thank-you) is no longer in the session
    and is left out; if the whole transaction rolls back, the job is never enqueued. Nesting
    is not supported: an inner block would take the outer one's messages.
    """
    from gateway.sms.outbound import send_job_id

    session = db.session()
    batch = _Batch()
    session.info[_BATCH] = batch
    try:
        yield
    finally:
        session.info.pop(_BATCH, None)
    if batch.job is None:
        return
    batch.ids.extend(sorted(m.id for m in batch.messages if inspect(m).persistent))
    if not batch.ids:
        withdraw(session, batch.job)
        return
    batch.job.job_id = send_job_id(batch.ids[0])
    if len(batch.ids) > 1:
        batch.job.job_id += f"-{batch.ids[-1]}"
