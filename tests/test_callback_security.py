"""Who may post Africa's Talking callbacks: the shared secret and the address allow-list."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from ipaddress import ip_network
from typing import Any

import pytest
from conftest import AfricasTalking, Workers
from flask import Flask
from redis import Redis
from sqlalchemy import func, select

from gateway.channels.emulator_server import EmulatorServer
from gateway.extensions import db
from gateway.settings import load_settings
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
    settings = load_settings({"AT_ALLOWED_IPS": "52.48.80.0/24, 3.8.1.2"})
    assert [str(n) for n in settings.at_allowed_networks] == ["52.48.80.0/24", "3.8.1.2/32"]
    with pytest.raises(ValueError, match="AT_ALLOWED_IPS"):
        load_settings({"AT_ALLOWED_IPS": "africastalking.com"})


LIVE = {"AT_USERNAME": "hmk", "AT_API_KEY": "live-key"}


def test_a_gateway_that_sends_for_real_will_not_start_with_open_callbacks(
    monkeypatch: pytest.MonkeyPatch, database: str, redis_url: str
) -> None:
    """With an Africa's Talking key set and neither AT_WEBHOOK_SECRET nor AT_ALLOWED_IPS,
    anyone could post SMS and USSD callbacks that HMK pays to answer: the gateway refuses to
    start and says what to set. Either setting lets it start; the emulator needs neither."""
    from gateway import create_app
    from gateway.settings import OpenCallbacks

    for name in ("AT_WEBHOOK_SECRET", "AT_ALLOWED_IPS", "AT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("REDIS_URL", redis_url)
    for name, value in LIVE.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(OpenCallbacks) as refused:
        create_app()
    message = str(refused.value)
    assert "AT_WEBHOOK_SECRET" in message and "AT_ALLOWED_IPS" in message
    assert "?secret=" in message
    with pytest.raises(OpenCallbacks):  # settings handed over by a script are checked too
        create_app({"GATEWAY": replace(load_settings({}), at_username="hmk", at_api_key="k")})

    monkeypatch.setenv("AT_WEBHOOK_SECRET", "s3cret")
    assert create_app().config["GATEWAY"].at_webhook_secret == "s3cret"
    monkeypatch.delenv("AT_WEBHOOK_SECRET")
    monkeypatch.setenv("AT_ALLOWED_IPS", "52.48.80.0/24")
    assert create_app().config["GATEWAY"].at_allowed_networks
    monkeypatch.delenv("AT_ALLOWED_IPS")
    monkeypatch.delenv("AT_API_KEY")  # make run: the emulator, no secret needed
    assert create_app().config["GATEWAY"].uses_emulator


ABROAD = [f"+4474001234{n:02d}" for n in range(10)]


def test_forged_sms_from_abroad_are_not_answered_and_the_refusals_are_logged_masked(
    make_app: Callable[..., Flask],
    redis: Redis,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SMS pumping: ten forged HELP "from" UK numbers make the gateway text none of them (each
    refusal is logged with the number masked and kept as an unsent message), while a Kenyan
    sender is answered as before."""
    app = make_app()
    at, workers = AfricasTalking(app.test_client()), Workers(app, redis)
    for number in ABROAD:
        assert at.sms(number, "HELP").status_code == 200
    at.sms("+254712345678", "HELP")
    with caplog.at_level(logging.WARNING):
        workers.drain()
    assert [m["to"] for m in emulator.messages()] == ["+254712345678"]
    refusals = [r.getMessage() for r in caplog.records if "REPLY_COUNTRIES" in r.getMessage()]
    assert len(refusals) == 10
    assert all("+4474" in line and "GB" in line for line in refusals)
    assert not any(number in caplog.text for number in ABROAD)
    with app.app_context():
        unsent = db.session.scalars(
            select(Message.error).where(Message.direction == "out", Message.phone.in_(ABROAD))
        ).all()
    assert unsent == ["ReplyCountry"] * 10


def test_replies_go_to_the_countries_set_in_gateway_reply_countries(
    make_app: Callable[..., Flask], redis: Redis, emulator: EmulatorServer
) -> None:
    """A deployment that serves Ugandan or UK numbers too lists them; the setting is checked."""
    settings = load_settings({"GATEWAY_REPLY_COUNTRIES": "ke, gb"})
    assert settings.reply_countries == ("KE", "GB")
    assert load_settings({}).reply_countries == ("KE",)
    with pytest.raises(ValueError, match="GATEWAY_REPLY_COUNTRIES"):
        load_settings({"GATEWAY_REPLY_COUNTRIES": "Kenya"})
    app = make_app(reply_countries=("KE", "GB"))
    AfricasTalking(app.test_client()).sms(ABROAD[0], "HELP")
    Workers(app, redis).drain()
    assert [m["to"] for m in emulator.messages()] == [ABROAD[0]]


def test_an_oversized_callback_is_refused_and_keeps_nothing(app: Flask) -> None:
    """A 2 MB post to /at/sms (no callback of Africa's Talking's is more than a few hundred
    bytes) is refused with 413 before it is read, and nothing is kept."""
    client = app.test_client()
    response = client.post(
        "/at/sms",
        data={**SMS, "text": "x" * (2 * 1024 * 1024)},
        query_string={"secret": "s3cret"},
        environ_base={"REMOTE_ADDR": "52.48.80.7"},
    )
    assert response.status_code == 413 and "too large" in response.text
    assert stored(app) == 0


def test_an_oversized_ussd_hop_still_gets_a_screen(app: Flask) -> None:
    """The USSD callback answers a screen whatever arrives, a 100 KB body too (refused
    unread: the polite END, not an HTTP error)."""
    response = app.test_client().post(
        "/at/ussd",
        data={"sessionId": "s", "phoneNumber": "+254712345678", "text": "1*" * 50_000},
        query_string={"secret": "s3cret"},
        environ_base={"REMOTE_ADDR": "52.48.80.7"},
    )
    assert response.status_code == 200 and response.text.startswith("END ")
    assert stored(app) == 0


def test_the_reply_limit_setting_is_parsed_and_checked() -> None:
    """GATEWAY_REPLY_LIMIT gives an hourly and a daily cap (either may be left out)."""
    default = load_settings({})
    assert (default.reply_limit_per_hour, default.reply_limit_per_day) == (20, 50)
    hourly = load_settings({"GATEWAY_REPLY_LIMIT": "5/h"})
    assert (hourly.reply_limit_per_hour, hourly.reply_limit_per_day) == (5, 0)
    off = load_settings({"GATEWAY_REPLY_LIMIT": "off"})
    assert (off.reply_limit_per_hour, off.reply_limit_per_day) == (0, 0)
    with pytest.raises(ValueError, match="GATEWAY_REPLY_LIMIT"):
        load_settings({"GATEWAY_REPLY_LIMIT": "5 an hour"})


def test_a_reply_still_goes_when_redis_cannot_count_it(make_app: Callable[..., Flask]) -> None:
    """With Redis unreachable, a reply to a Kenyan number is allowed (what it answers, a USSD
    join or a STOP, is not rolled back for want of a count); one abroad is still refused."""
    from gateway.sms.replies import check_reply

    app = make_app(redis_url="redis://127.0.0.1:9/0")  # nothing listens on the discard port
    with app.app_context():
        settings = app.config["GATEWAY"]
        assert check_reply("+254712345678", settings).refused is None
        assert check_reply(ABROAD[0], settings).refused == "ReplyCountry"
