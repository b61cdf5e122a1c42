"""Schemathesis against ``/api/v1/openapi.json`` through the WSGI app: for every operation, a
bounded number of generated requests with an admin token; none may get a 5xx."""

from __future__ import annotations

import time
from typing import Any

import schemathesis
from factories import joined_contact, meetings, polls
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES = 5  # per operation: 42 operations x 5 requests, well under a minute


def _fuzz(operation: Any, headers: dict[str, str], called: dict[str, int]) -> None:
    """Send ``EXAMPLES`` generated requests to one operation; raise at the first 5xx."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        called[operation.label] += 1
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    fuzz()


def test_no_operation_answers_a_server_error(app, runner):
    """Does every operation of the API document answer generated requests (valid and not)
    with anything but a 5xx, for an admin token?"""
    token = runner.invoke(args=["tokens", "create", "fuzz"]).output.strip()
    joined_contact(app, "+254711000001")
    meetings(app)
    polls(app)
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    called: dict[str, int] = {}
    started = time.process_time()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        called[label] = 0

        try:
            _fuzz(operation, headers, called)
        except Exception as error:  # noqa: BLE001 (each operation's first failure, all listed)
            failures[label] = f"{type(error).__name__}: {str(error)[:600]}"
    cpu = time.process_time() - started
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert len(called) >= 35 and all(n >= 1 for n in called.values()), called
    print(f"{sum(called.values())} requests over {len(called)} operations, {cpu:.1f} s CPU")
