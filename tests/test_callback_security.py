"""Who may post Africa's Talking callbacks: the shared secret and the address allow-list."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.sms.models import Message

SMS = {
    "from": "+254712345678",
    "to": "22384",
    "text": "Maji yamechafuka",
    "date": "2026-11-29 10:04:45",
    "id": "ATXid_sec1",
    "linkId": "",
    "networkCode": "63902",
}


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message)) or 0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "at_webhook_secret": "s3cret",
        "at_allowed_networks": (ip_network("52.48.80.0/24"), ip_network("::1/128")),
    }


def test_a_forged_callback_without_the_secret_is_refused_and_stores_nothing(app: Flask) -> None:
    client = app.test_client()
    peer = {"REMOTE_ADDR": "52.48.80.7"}
    for query in ({}, {"secret": "guess"}, {"secret": "s3cret "}):
        response = client.post("/at/sms", data=SMS, query_string=query, environ_base=peer)
        assert response.status_code == 403 and "secret" in response.text
    assert stored(app) == 0
    ok = client.post("/at/sms", data=SMS, query_string={"secret": "s3cret"}, environ_base=peer)
    assert ok.status_code == 200 and stored(app) == 1


def test_a_callback_from_outside_the_allow_list_is_refused(app: Flask) -> None:
    """With AT_ALLOWED_IPS set, even the right secret from another address is refused."""
    client = app.test_client()
    response = client.post(
        "/at/sms",
        data=SMS,
        query_string={"secret": "s3cret"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 403 and "address" in response.text
    assert stored(app) == 0
    ussd = client.post(
        "/at/ussd",
        data={
            "sessionId": "s",
            "serviceCode": "*384*123#",
            "phoneNumber": "+254712345678",
            "text": "",
        },
        query_string={"secret": "s3cret"},
        environ_base={"REMOTE_ADDR": "::1"},
    )
    assert ussd.status_code == 200 and ussd.text.startswith("CON ")


def test_the_allow_list_setting_is_parsed_and_checked() -> None:
    from gateway.settings import load_settings

    settings = load_settings({"AT_ALLOWED_IPS": "52.48.80.0/24, 3.8.1.2"})
    assert [str(n) for n in settings.at_allowed_networks] == ["52.48.80.0/24", "3.8.1.2/32"]
    with pytest.raises(ValueError, match="AT_ALLOWED_IPS"):
        load_settings({"AT_ALLOWED_IPS": "africastalking.com"})
