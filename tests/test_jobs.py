"""Jobs are functions marked where their work is: RQ finds each again by its name, the names of
the previous release still lead to them, and a periodic job runs once across workers."""

from __future__ import annotations

from flask import Flask
from redis import Redis
from rq.job import Job
from rq.utils import import_attribute

from gateway.broadcasts.dispatch import send_broadcast_chunk, start_broadcast
from gateway.commitments import followup
from gateway.contacts import retention
from gateway.contacts.imports import run_import
from gateway.guides import series
from gateway.meetings import announce
from gateway.meetings.announce import announce_meeting, send_cancellation_notices
from gateway.polls import notices
from gateway.polls.notices import send_poll_question
from gateway.privacy import forget_last_reply
from gateway.queues import periodic
from gateway.recovery import LOCK as RECOVERY_LOCK
from gateway.recovery import recover_stranded
from gateway.sms.inbound import handle_inbound_sms
from gateway.sms.outbound import send_messages
from gateway.voice import callbacks as voice_callbacks
from gateway.wiring import PERIODIC

# The jobs of the previous release, by the name they were enqueued under.
OLD_NAMES = {
    "send_messages": send_messages,
    "handle_inbound_sms": handle_inbound_sms,
    "start_broadcast": start_broadcast,
    "send_broadcast_chunk": send_broadcast_chunk,
    "send_due_series": series.send_due_series,
    "announce_meeting": announce_meeting,
    "send_cancellation_notices": send_cancellation_notices,
    "recover_meeting_jobs": announce.recover_meeting_jobs,
    "send_poll_question": send_poll_question,
    "send_poll_results": notices.send_due_results,
    "import_contacts": run_import,
    "recover_stranded": recover_stranded,
}


def test_rq_finds_each_job_again_by_its_name(redis: Redis) -> None:
    """Does the name RQ stores for each job lead back to the job itself (with its app context
    and session clean-up), not to a function it wraps?"""
    jobs = {*OLD_NAMES.values(), forget_last_reply, *(job for job, _, _ in PERIODIC)}
    for job in jobs:
        stored = Job.create(job, connection=redis)
        assert import_attribute(stored.func_name) is job, stored.func_name


def test_jobs_enqueued_by_the_previous_release_still_run() -> None:
    """Does a job waiting in Redis under its old name (``gateway.jobs.<name>``) still find its
    function after a deploy?"""
    for name, job in OLD_NAMES.items():
        assert import_attribute(f"gateway.jobs.{name}") is job, name


def test_each_periodic_job_does_nothing_while_another_run_holds_its_lock(
    app: Flask, redis: Redis
) -> None:
    """Is each periodic job done once across workers: while a run holds its lock, does
    another run do nothing?"""
    locks = (
        RECOVERY_LOCK,
        series.LOCK,
        announce.LOCK,
        notices.RESULTS_LOCK,
        retention.LOCK,
        voice_callbacks.RECOVER_LOCK,
        followup.ROUNDS_LOCK,
    )
    for lock in locks:
        redis.set(lock, "another run")
    with app.app_context():
        for job, _, _ in PERIODIC:
            assert job() == {"skipped": 1}, job.__name__
    assert [redis.get(lock) for lock in locks] == [b"another run"] * len(locks)


def test_a_periodic_lock_is_kept_or_given_back(app: Flask, redis: Redis) -> None:
    """Does a sweep's lock stay until it expires (one run per period), while a job that runs
    one at a time gives its lock back, and never one another run has taken since?"""
    runs: list[str] = []

    @periodic("test:sweep", 30)
    def sweep() -> dict[str, int]:
        runs.append("sweep")
        return {"done": 1}

    @periodic("test:one-at-a-time", 30, release=True)
    def one_at_a_time() -> dict[str, int]:
        runs.append("one at a time")
        return {"done": 1}

    @periodic("test:overrun", 30, release=True)
    def overrun() -> dict[str, int]:
        redis.set("test:overrun", "a later run")  # this run's lock expired and was taken
        return {"done": 1}

    with app.app_context():
        assert sweep() == {"done": 1}
        assert sweep() == {"skipped": 1}
        assert 0 < redis.ttl("test:sweep") <= 30
        assert one_at_a_time() == {"done": 1}
        assert one_at_a_time() == {"done": 1}
        assert redis.get("test:one-at-a-time") is None
        assert overrun() == {"done": 1}
    assert runs == ["sweep", "one at a time", "one at a time"]
    assert redis.get("test:overrun") == b"a later run"
