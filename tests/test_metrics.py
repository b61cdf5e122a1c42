"""``/metrics``: what an operator's Prometheus reads."""

from __future__ import annotations

import re

from factories import joined_contact
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_count_callbacks_hops_queues_messages_and_spend(make_app, redis) -> None:
    """Do callbacks, USSD hop latency, queue depths, messages by status and spend show up."""
    from conftest import AfricasTalking

    app = make_app(metrics_cache_s=0)  # every scrape reads the database afresh
    at = AfricasTalking(app.test_client())
    before = samples(app.test_client().get("/metrics").text)
    joined_contact(app, "+254712000001")
    at.ussd("+254712000001", "")
    at.ussd("+254712000001", "7")
    at.sms("+254712000001", "Habari, maji yamechafuka", message_id="ATXid_m1")
    at.sms("+254712000001", "Habari, maji yamechafuka", message_id="ATXid_m1")  # AT's retry
    at._post("/at/sms", {"from": "not a phone"})
    response = app.test_client().get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("hmk_callbacks_total", kind="ussd", outcome="con") == 2
    assert grew("hmk_callbacks_total", kind="sms", outcome="ok") == 1
    assert grew("hmk_callbacks_total", kind="sms", outcome="duplicate") == 1
    assert grew("hmk_callbacks_total", kind="sms", outcome="bad_request") == 1
    assert grew("hmk_ussd_hop_seconds_count") == 2
    assert after[("hmk_queue_jobs", (("queue", "inbound"), ("state", "queued")))] == 1
    assert after[("hmk_messages", (("direction", "in"), ("status", "received")))] == 1
    assert after[("hmk_monthly_budget_kes", ())] == 20000.0
    assert ("hmk_spend_this_month_kes", ()) in after
    assert not re.search(r"\+2547\d{8}", response.text)  # no phone number in the page


def test_metrics_token_keeps_strangers_out(make_app, redis) -> None:
    """With GATEWAY_METRICS_TOKEN set, only a scraper holding that bearer token reads /metrics."""
    client = make_app(metrics_token="s3cret-scrape").test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401 and "hmk_messages" not in missing.text
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guessed"})
    assert wrong.status_code == 403 and "hmk_messages" not in wrong.text
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert right.status_code == 200 and "hmk_messages" in right.text


def test_scrapes_close_together_count_the_messages_once(app: Flask, at) -> None:
    """Several scrapers at once do not make the database count every message on each scrape:
    the counts are read once and shared for a few seconds."""
    from sqlalchemy import event

    from gateway.extensions import db

    joined_contact(app, "+254712000001")
    at.sms("+254712000001", "Habari", message_id="ATXid_c1")
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.lower())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        first = samples(app.test_client().get("/metrics").text)
        second = samples(app.test_client().get("/metrics").text)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    counting = [s for s in statements if "count(" in s and "from messages" in s]
    summing = [s for s in statements if "sum(messages.cost)" in s]
    assert len(counting) == 1 and len(summing) == 1, statements
    key = ("hmk_messages", (("direction", "in"), ("status", "received")))
    assert first[key] == second[key] == 1
