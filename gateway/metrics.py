"""``/metrics`` for Prometheus: callbacks by kind and outcome, USSD hop latency, queue depths,
messages by status, and this month's spend against the budget.

Callback counts and hop latencies are counted where they happen, in each web process. Under
gunicorn they are shared through ``PROMETHEUS_MULTIPROC_DIR`` (``gunicorn.conf.py`` sets it and
clears it at start), so a scrape of any worker reports the whole machine's; with more than one
machine, Prometheus scrapes each and sums. Queue depths, messages and spend are read from Redis
and the database at scrape time, so they are the whole deployment's from any process; the
database's counts (a pass over the messages table) are shared in Redis for
``GATEWAY_METRICS_CACHE_SECONDS``, so many scrapers cost one count per window, not one each.
The page holds no personal data; expose it to the monitoring network only, and set
``GATEWAY_METRICS_TOKEN`` to make scrapers send ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import json
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from gateway.extensions import db, redis_client
from gateway.queues import ALL
from gateway.settings import Settings, current_settings

bp = Blueprint("metrics", __name__)

# Which callback an endpoint is, for the ``kind`` label.
CALLBACKS = {
    "webhooks.ussd_hop": "ussd",
    "webhooks.ussd_session_ended": "ussd_event",
    "webhooks.incoming_sms": "sms",
    "webhooks.delivery_report": "delivery",
    "webhooks.bulk_optout": "optout",
}

CALLBACKS_TOTAL = Counter(
    "hmk_callbacks", "Africa's Talking callbacks answered, by kind and outcome", ["kind", "outcome"]
)
USSD_SECONDS = Histogram(
    "hmk_ussd_hop_seconds",
    "Time to answer a USSD hop",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def _outcome(response: Response) -> str:
    code = response.status_code
    if code == 403:
        return "refused"
    if code == 400:
        return "bad_request"
    if code >= 500:
        return "unavailable"
    if request.endpoint == "webhooks.ussd_hop":
        return "end" if response.get_data()[:3] == b"END" else "con"
    return "duplicate" if response.get_data()[:9] == b"duplicate" else "ok"


def _started() -> None:
    if request.endpoint in CALLBACKS:
        g.metrics_started = time.perf_counter()


# The counter of each (kind, outcome) seen, so a callback skips prometheus's label lookup.
_callback_counters: dict[tuple[str, str], Counter] = {}


def _counted(response: Response) -> Response:
    kind = CALLBACKS.get(request.endpoint or "")
    if kind is not None:
        labels = (kind, _outcome(response))
        counter = _callback_counters.get(labels)
        if counter is None:
            counter = _callback_counters[labels] = CALLBACKS_TOTAL.labels(*labels)
        counter.inc()
        started = g.get("metrics_started")
        if kind == "ussd" and started is not None:
            USSD_SECONDS.observe(time.perf_counter() - started)
    return response


class StateCollector(Collector):
    """What Redis and the database hold now: read at each scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.app.app_context():
            yield from self._queues()
            yield from self._messages()

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "hmk_queue_jobs", "RQ jobs by queue and state", labels=["queue", "state"]
        )
        try:
            connection = redis_client()
            for name in ALL:
                queue = Queue(name, connection=connection)
                family.add_metric([name, "queued"], queue.count)
                family.add_metric([name, "started"], StartedJobRegistry(queue=queue).count)
                scheduled = ScheduledJobRegistry(queue=queue)  # type: ignore[no-untyped-call]
                family.add_metric([name, "scheduled"], scheduled.count)
                family.add_metric([name, "failed"], FailedJobRegistry(queue=queue).count)
        except (RedisError, OSError):
            return
        yield family

    def _messages(self) -> Iterator[GaugeMetricFamily]:
        from gateway.sms.models import Message
        from gateway.spend import spent_this_month

        settings = current_settings()
        cached = _cached_counts(settings)
        if cached is not None:
            rows, spent = cached
        else:
            try:
                rows = [
                    (direction, status, count)
                    for direction, status, count in db.session.execute(
                        select(Message.direction, Message.status, func.count()).group_by(
                            Message.direction, Message.status
                        )
                    )
                ]
                spent = float(spent_this_month(settings))
            except SQLAlchemyError:
                db.session.rollback()
                return
            finally:
                db.session.remove()
            _keep_counts(settings, rows, spent)
        messages = GaugeMetricFamily(
            "hmk_messages", "SMS kept, by direction and status", labels=["direction", "status"]
        )
        for direction, status, count in rows:
            messages.add_metric([direction, status], count)
        yield messages
        yield GaugeMetricFamily(
            "hmk_spend_this_month_kes", "SMS cost this month (KES)", value=spent
        )
        yield GaugeMetricFamily(
            "hmk_monthly_budget_kes", "The monthly budget (KES)", value=settings.monthly_budget_kes
        )


COUNTS_KEY = "metrics:message-counts"

Counts = tuple[list[tuple[str, str, int]], float]


def _cached_counts(settings: Settings) -> Counts | None:
    """The counts another scrape made within the window, if any (Redis down: none)."""
    if settings.metrics_cache_s <= 0:
        return None
    try:
        raw = redis_client().get(COUNTS_KEY)
    except (RedisError, OSError):
        return None
    if raw is None:
        return None
    kept = json.loads(raw)
    return [(str(d), str(s), int(c)) for d, s, c in kept["rows"]], float(kept["spent"])


def _keep_counts(settings: Settings, rows: list[tuple[str, str, int]], spent: float) -> None:
    if settings.metrics_cache_s <= 0:
        return
    try:
        redis_client().set(
            COUNTS_KEY, json.dumps({"rows": rows, "spent": spent}), ex=settings.metrics_cache_s
        )
    except (RedisError, OSError):
        pass  # the next scrape counts again; the page still answers


def _refusal(settings: Settings) -> Response | None:
    """401 without a bearer token, 403 with a wrong one, when ``GATEWAY_METRICS_TOKEN`` is set."""
    if not settings.metrics_token:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return Response(
            "a bearer token is needed\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    if not hmac.compare_digest(given.strip().encode(), settings.metrics_token.encode()):
        return Response("wrong token\n", 403, mimetype="text/plain")
    return None


@bp.get("/metrics")
def metrics() -> Response:
    refusal = _refusal(current_settings())
    if refusal is not None:
        return refusal
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY  # type: ignore[assignment]
    body = generate_latest(registry)
    state = CollectorRegistry()
    state.register(StateCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    return Response(body + generate_latest(state), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    # Every counted endpoint is a callback's (the ``webhooks`` blueprint): the admin, the API
    # and the rest pass no hook of this module. ``_started`` goes before the blueprint's own
    # checks, so a refused hop is timed as it was when the hook was the app's.
    app.before_request_funcs.setdefault("webhooks", []).insert(0, _started)
    app.after_request_funcs.setdefault("webhooks", []).append(_counted)
    app.register_blueprint(bp)
