"""Every RQ job the gateway runs, in one place.

Jobs take ids, reload their rows and are safe to run twice; the work itself lives in the area
modules. Each job runs inside the app context of the worker that runs it (``worker.py`` pushes
one), or builds an app when started by a bare ``rq worker``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

from flask import Flask, has_app_context

from gateway.extensions import db

P = ParamSpec("P")
R = TypeVar("R")
_app: Flask | None = None


def _standalone_app() -> Flask:
    global _app
    if _app is None:
        from gateway import create_app

        _app = create_app()
    return _app


def job(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with an app context and a database session it does not share afterwards."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not has_app_context():
            with _standalone_app().app_context():
                return run(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()

    return run


@job
def send_messages(message_ids: Sequence[int]) -> dict[str, int]:
    """Hand queued outgoing SMS to Africa's Talking."""
    from gateway.sms.outbound import send_messages as send

    return send(message_ids)


@job
def recover_stranded() -> dict[str, int]:
    """Enqueue again the work whose job went missing (see :mod:`gateway.recovery`)."""
    from gateway.recovery import recover_stranded as recover

    return recover()


@job
def handle_inbound_sms(message_id: int) -> str:
    """Interpret and answer one incoming SMS."""
    from gateway.sms.inbound import handle_inbound_sms as handle

    return handle(message_id)


@job
def start_broadcast(broadcast_id: int) -> str:
    """Write a broadcast's messages and start its chains of sends."""
    from gateway.broadcasts.dispatch import start_broadcast as start

    return start(broadcast_id)


@job
def send_broadcast_chunk(broadcast_id: int) -> str:
    """Send one chunk of a broadcast and enqueue the next link of its chain."""
    from rq import get_current_job

    from gateway.broadcasts.dispatch import send_broadcast_chunk as send

    current = get_current_job()
    return send(broadcast_id, current.id if current else None)


@job
def send_due_series() -> dict[str, int]:
    """Queue the guide-series excerpts due this week (periodic; one run at a time)."""
    from gateway.guides.series import send_due_series as send

    return send()


@job
def announce_meeting(meeting_id: int, version: int) -> str:
    """Queue a meeting version's alerts (or notices of a move) and reminders."""
    from gateway.meetings.announce import announce_meeting as announce

    return announce(meeting_id, version)


@job
def send_cancellation_notices(meeting_id: int) -> str:
    """Tell those who heard of a cancelled meeting that it will not take place."""
    from gateway.meetings.announce import send_cancellation_notices as send

    return send(meeting_id)


@job
def recover_meeting_jobs() -> dict[str, int]:
    """Enqueue again meeting announcements and cancellations whose job went missing."""
    from gateway.meetings.announce import recover_meeting_jobs as recover

    return recover()


@job
def send_poll_question(poll_id: int) -> str:
    """Queue a poll's question to its audience, once per person."""
    from gateway.polls.notices import send_poll_question as send

    return send(poll_id)


@job
def send_poll_results() -> dict[str, int]:
    """Queue the results SMS of polls that have closed to their voters (periodic; locked)."""
    from gateway.polls.notices import send_due_results

    return send_due_results()


@job
def import_contacts(import_id: int) -> str:
    """Check an uploaded CSV of contacts and, if every row is good, write them (resumable)."""
    from gateway.contacts.imports import run_import

    return run_import(import_id)
