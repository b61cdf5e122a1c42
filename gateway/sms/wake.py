"""Waking a worker for incoming SMS: one handling job at a time, however fast SMS arrive.

A burst (a radio show's poll: hundreds of SMS a second) must not cost a job per SMS, nor a job
per few SMS: RQ's default worker forks a process per job, and RQ's own bookkeeping per job
costs several times the handling of one SMS. So one job handles SMS for as long as they keep
coming, and two keys in Redis arrange it:

- the **note** (:data:`NOTE_KEY`): the lowest id of the SMS committed since a job last looked.
  Every incoming SMS writes it after its commit (:func:`wake`); a job takes it before each look
  at the database, and starts that look from the noted id if it is lower than where it was (two
  web processes can commit ids out of order).
- the **lease** (:data:`LEASE_KEY`): held from the moment a handling job is enqueued until it
  ends. An SMS that finds it taken enqueues nothing (the job will find the SMS); one that finds
  it free takes it and enqueues a job. The running job renews it as it goes, and gives it back
  with :meth:`Lease.give_back`, which in one step either finds a note (more SMS came: the job
  goes on) or frees the lease (an SMS after that finds it free and enqueues a new job). So no
  SMS is left between a job that ends and one that is never enqueued.

Nothing depends on these keys for safety: each SMS is claimed once in the database, two jobs at
once only share the work, a lease whose job was killed expires after :data:`LEASE_S`, and an SMS
whose wake-up was lost (Redis away) is found by the recovery sweep.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from gateway.extensions import redis_client
from gateway.queues import INBOUND, get_queue

log = logging.getLogger(__name__)

NOTE_KEY = "sms:inbound:wake"  # the lowest SMS id committed since a job last looked
LEASE_KEY = "sms:inbound:job"  # the handling job that is enqueued or running
NOTE_TTL_S = 600  # a note nobody took (its job lost) stops mattering; the sweep has its SMS
QUEUED_S = 30  # a job enqueued but not started holds the lease this long (then the next SMS
# enqueues another: the first may have been lost)
LEASE_S = 10  # a running job renews its lease at least this often (a killed job's expires)

# Note the id (keeping the lowest); take the lease if it is free: 1 if taken (enqueue a job).
_WAKE = """
local current = redis.call('GET', KEYS[1])
if (not current) or tonumber(ARGV[1]) < tonumber(current) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'EX', ARGV[4]) then return 1 end
return 0
"""
# Give the lease back, unless a note waits (then renew it): 1 if given back.
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 0
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


def handling_job_id(message_id: int) -> str:
    return f"inbound-sms-{message_id}"


def wake(message_id: int) -> bool:
    """Note ``message_id`` for the handling job, and enqueue one if none is enqueued or running;
    True if a job was enqueued. With Redis away nothing is lost: the recovery sweep finds the
    message."""
    job_id = handling_job_id(message_id)
    redis = redis_client()
    try:
        keys_and_args = (NOTE_KEY, LEASE_KEY, message_id, NOTE_TTL_S, job_id, QUEUED_S)
        if not redis.eval(_WAKE, 2, *keys_and_args):
            return False
        from gateway.sms.inbound import handle_inbound_sms  # which imports this module

        try:
            get_queue(INBOUND).enqueue(handle_inbound_sms, message_id, job_id=job_id)
        except (RedisError, OSError):
            redis.delete(LEASE_KEY)  # no job to wait for: let the next SMS enqueue one
            raise
        return True
    except (RedisError, OSError) as exc:
        log.warning("inbound sms %s: no worker woken, left for recovery: %s", message_id, exc)
        return False


def take_note() -> int | None:
    """Take the note (the lowest SMS id committed since the last look), if there is one."""
    try:
        noted = redis_client().getdel(NOTE_KEY)
    except (RedisError, OSError) as exc:
        log.warning("inbound sms: wake-up note unavailable: %s", exc)
        return None
    return int(noted) if noted else None


class Lease:
    """The running handling job's hold on :data:`LEASE_KEY` (see the module's docstring).

    With Redis away, every method answers as if no other SMS had come: the job handles what
    the database holds and ends, and the sweep finds what came meanwhile.
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id

    def renew(self) -> None:
        try:
            redis_client().set(LEASE_KEY, self.job_id, px=LEASE_S * 1000)
        except (RedisError, OSError) as exc:
            log.warning("inbound sms: handling lease not renewed: %s", exc)

    def give_back(self) -> bool:
        """Free the lease, unless SMS were noted meanwhile (then keep it: True only if freed)."""
        try:
            freed = redis_client().eval(
                _GIVE_BACK, 2, LEASE_KEY, NOTE_KEY, self.job_id, LEASE_S * 1000
            )
        except (RedisError, OSError) as exc:
            log.warning("inbound sms: handling lease not given back: %s", exc)
            return True
        return bool(freed)

    def hand_on(self, next_message_id: int) -> None:
        """This job's time is up: free the lease and wake a fresh job for the SMS from
        ``next_message_id`` on (a job of its own, so RQ's timeout does not end a long burst)."""
        try:
            redis_client().delete(LEASE_KEY)
        except (RedisError, OSError) as exc:
            log.warning("inbound sms: handling lease not freed: %s", exc)
        wake(next_message_id)
