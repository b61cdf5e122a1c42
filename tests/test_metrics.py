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


def test_metrics_count_callbacks_hops_queues_messages_and_spend(app: Flask, at) -> None:
    """Do callbacks, USSD hop latency, queue depths, messages by status and spend show up."""
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
