"""The Africa's Talking SMS channel, exercised against the bundled emulator over real HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from flask import Flask, request
from werkzeug.serving import make_server

from gateway.channels.africastalking import (
    RecipientResult,
    RequestRejected,
    SmsChannel,
    TransientSendError,
    classify_refusal,
    read_recipients,
    transport_error,
)
from gateway.channels.emulator_server import EmulatorServer

API_KEY = "test-api-key"
PHONES = ["+254712345678", "+254733000003", "+254110123456"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(api_key=API_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def at(emulator: EmulatorServer) -> EmulatorServer:
    """The shared emulator, with no records and no failure rules left from other tests."""
    emulator.clear()
    return emulator


@pytest.fixture
def channel(at: EmulatorServer) -> SmsChannel:
    return SmsChannel("hmk", API_KEY, sender_id="HAKIMADINI", api_url=at.url)


class DeliveryReceiver:
    """A tiny stand-in for the gateway's /at/sms/delivery: records every form it is posted."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.arrived = threading.Event()
        app = Flask(__name__)

        @app.post("/at/sms/delivery")
        def delivery() -> str:
            self.forms.append(request.form.to_dict())
            self.arrived.set()
            return ""

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.port}/at/sms/delivery"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for_first(self, timeout_s: float = 5.0) -> list[dict[str, str]]:
        self.arrived.wait(timeout_s)
        return self.forms

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[DeliveryReceiver]:
    server = DeliveryReceiver()
    yield server
    server.stop()


def test_one_request_carries_a_whole_batch(channel: SmsChannel, at: EmulatorServer) -> None:
    """A batch of numbers goes out in one request with one text, and each gets a result."""
    results = channel.send("Mkutano wa jamii Jumamosi saa nne, Mui.", PHONES)

    assert [r.phone for r in results] == PHONES
    assert all(r.accepted and r.provider_status == "Success" for r in results)
    [sent] = at.requests()
    assert sent["to"] == PHONES
    assert sent["text"] == "Mkutano wa jamii Jumamosi saa nne, Mui."
    assert sent["from"] == "HAKIMADINI"
    assert sent["username"] == "hmk"
    messages = at.messages()
    assert [m["to"] for m in messages] == PHONES
    assert {m["text"] for m in messages} == {"Mkutano wa jamii Jumamosi saa nne, Mui."}
    assert [m["message_id"] for m in messages] == [r.message_id for r in results]


def test_each_recipient_outcome_is_mapped(channel: SmsChannel, at: EmulatorServer) -> None:
    """Delivered, opted-out and network-failed recipients each say what the caller should do."""
    ok, opted_out, network_down = PHONES
    at.set_recipient_status(opted_out, "UserInBlacklist")
    at.set_recipient_status(network_down, "InternalServerError")

    results = {r.phone: r for r in channel.send("Kura ya maoni imefunguliwa.", PHONES)}

    assert results[ok].accepted
    assert results[ok].status_code == 101
    assert (results[ok].message_id or "").startswith("ATXid_")
    assert results[ok].cost == Decimal("0.8000")
    assert not results[ok].blacklisted and not results[ok].retryable

    blocked = results[opted_out]
    assert (blocked.accepted, blocked.blacklisted, blocked.retryable) == (False, True, False)
    assert (blocked.status_code, blocked.provider_status) == (406, "UserInBlacklist")
    assert blocked.message_id is None

    failed = results[network_down]
    assert (failed.accepted, failed.blacklisted, failed.retryable) == (False, False, True)
    assert (failed.status_code, failed.message_id) == (500, None)


def test_server_error_is_transient(channel: SmsChannel, at: EmulatorServer) -> None:
    """An HTTP 500 from Africa's Talking can be retried, and the retry goes through."""
    at.fail_next(http_status=500, count=1)

    with pytest.raises(TransientSendError) as failure:
        channel.send("Habari", PHONES[:1])
    assert failure.value.may_have_been_sent is False

    [retry] = channel.send("Habari", PHONES[:1])
    assert retry.accepted
    assert [r["http_status"] for r in at.requests()] == [500, 201]


def test_wrong_api_key_is_rejected(at: EmulatorServer) -> None:
    """A wrong API key refuses the whole request and says why; nothing is sent."""
    channel = SmsChannel("hmk", "not-the-key", api_url=at.url)

    with pytest.raises(RequestRejected, match="The supplied authentication is invalid"):
        channel.send("Habari", PHONES)
    assert at.messages() == []


def test_invalid_sender_id_is_rejected(channel: SmsChannel, at: EmulatorServer) -> None:
    """A 201 with no recipients and a failure Message is a refusal, not a success."""
    at.reject_next("InvalidSenderId")

    with pytest.raises(RequestRejected, match="InvalidSenderId"):
        channel.send("Habari", PHONES)


def test_unreachable_server_is_transient() -> None:
    """When Africa's Talking cannot be reached at all, the caller may retry later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = SmsChannel("hmk", API_KEY, api_url=f"http://127.0.0.1:{port}")

    with pytest.raises(TransientSendError) as failure:
        channel.send("Habari", PHONES[:1])
    assert failure.value.may_have_been_sent is False  # nothing reached AT: safe to resend


def test_a_timeout_after_connecting_may_have_sent() -> None:
    """A read timeout is retryable, but the caller is told the texts may already be out."""
    error = transport_error(requests.ReadTimeout("Read timed out. (read timeout=9.05)"))
    assert error.may_have_been_sent is True


def test_local_format_number_fails_before_any_request(
    channel: SmsChannel, at: EmulatorServer
) -> None:
    """A number not in E.164 is a programming error caught before anything is sent."""
    with pytest.raises(ValueError, match="0712345678"):
        channel.send("Habari", ["+254733000003", "0712345678"])
    assert at.requests() == []
    assert at.messages() == []


def test_kikamba_text_arrives_intact(channel: SmsChannel, at: EmulatorServer) -> None:
    """Kiswahili and Kikamba letters (ĩ, ũ) reach Africa's Talking unchanged, billed as UCS-2."""
    text = "Ũmbano wa kũneenea makaa ma mawe nĩ wa Wakwatũ ĩũlũ wa kĩsio kya Mui. Karibuni nyote!"
    assert len(text) > 70  # two UCS-2 segments

    [result] = channel.send(text, PHONES[:1])

    [message] = at.messages()
    assert message["text"] == text
    assert result.cost == Decimal("1.6000")


def test_emulator_reports_delivery_to_the_gateway(receiver: DeliveryReceiver) -> None:
    """With auto-deliver on, every accepted recipient gets a Success report in AT's form format."""
    options: dict[str, Any] = {"delivery_url": receiver.url, "auto_deliver": True}
    with EmulatorServer(delivery_delay_s=0.05, **options) as at:
        at.set_recipient_status(PHONES[1], "UserInBlacklist")
        results = SmsChannel("hmk", "any", api_url=at.url).send("Asante", PHONES[:2])

        forms = receiver.wait_for_first()
        assert forms == [
            {
                "id": results[0].message_id,
                "status": "Success",
                "phoneNumber": PHONES[0],
                "networkCode": "63902",
            }
        ]


def test_emulator_delivers_failures_on_request(receiver: DeliveryReceiver) -> None:
    """A test can make the emulator report a failure, with its reason, for one message."""
    with EmulatorServer(delivery_url=receiver.url) as at:
        [result] = SmsChannel("hmk", "any", api_url=at.url).send("Asante", PHONES[:1])
        assert result.message_id is not None

        answer = at.deliver(result.message_id, "Failed", failure_reason="AbsentSubscriber")

    assert answer["status_code"] == 200
    assert receiver.forms == [
        {
            "id": result.message_id,
            "status": "Failed",
            "phoneNumber": PHONES[0],
            "networkCode": "63902",
            "failureReason": "AbsentSubscriber",
        }
    ]


def test_emulator_answers_json_exactly_as_the_sdk_expects(at: EmulatorServer) -> None:
    """The send answer's Content-Type is exactly application/json (the SDK compares it as is)."""
    answer = requests.post(
        at.url + "/version1/messaging",
        data={"username": "hmk", "to": PHONES[0], "message": "Habari"},
        headers={"apiKey": API_KEY, "Accept": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 201
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()["SMSMessageData"]
    assert body["Message"] == "Sent to 1/1 Total Cost: KES 0.8000"
    assert body["Recipients"][0]["messageParts"] == 1


def test_a_recipient_missing_from_the_answer_is_retryable() -> None:
    """If Africa's Talking leaves a number out of its answer, that number is retried, not lost."""
    answer = {
        "SMSMessageData": {
            "Message": "Sent to 1/2 Total Cost: KES 0.8000",
            "Recipients": [
                {
                    "statusCode": 101,
                    "number": "+254712345678",
                    "status": "Success",
                    "cost": "KES 0.8000",
                    "messageId": "ATXid_1",
                }
            ],
        }
    }

    results = read_recipients(answer, ["+254712345678", "+254733000003"])

    assert results[1] == RecipientResult(
        phone="+254733000003",
        accepted=False,
        provider_status="Missing",
        status_code=None,
        message_id=None,
        cost=None,
        blacklisted=False,
        retryable=True,
    )


def test_a_non_json_answer_is_transient() -> None:
    """A 2xx that is not AT's JSON (the SDK then hands back text) may be retried."""
    with pytest.raises(TransientSendError) as failure:
        read_recipients("<html>Bad gateway</html>", ["+254712345678"])
    assert failure.value.may_have_been_sent is True


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The supplied authentication is invalid", RequestRejected),
        ("Request is missing required form field 'to'", RequestRejected),
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", TransientSendError),
        ("<html><title>403 Forbidden</title></html>", TransientSendError),
        ("", TransientSendError),
        ("upstream request timeout", TransientSendError),
    ],
)
def test_refusals_are_told_from_outages_by_their_body(body: str, expected: type) -> None:
    """The SDK hides the HTTP status: AT's own refusal texts are final, anything else retryable."""
    assert type(classify_refusal(body)) is expected
