"""Delivery reports, opt-outs and provider refusals: what the gateway learns after sending."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from gateway.channels.emulator_server import EmulatorServer
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import DeliveryReport, Message

PHONE = "+254712345678"


def welcome(app: Flask) -> Message:
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.direction == "out"))
        assert message is not None
        db.session.expunge(message)
        return message


def test_status_moves_forward_and_never_back(at, app, workers, emulator):
    """Does a delivered message stay delivered when late 'Sent' or 'Buffered' reports arrive."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    sent = welcome(app)
    assert sent.status == "sent" and sent.provider_id

    assert at.delivery(sent.provider_id, "Buffered").get_data(as_text=True) == "applied"
    assert welcome(app).status == "buffered"
    at.delivery(sent.provider_id, "Success")
    delivered = welcome(app)
    assert delivered.status == "delivered" and delivered.delivered_at is not None
    for late in ("Sent", "Submitted", "Buffered", "Failed"):
        at.delivery(sent.provider_id, late, failure_reason="DeliveryFailure")
    assert welcome(app).status == "delivered"


def test_a_failed_report_records_the_reason(at, app, workers):
    """Does a 'Failed' report mark the message failed with Africa's Talking's reason."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    sent = welcome(app)
    at.delivery(sent.provider_id, "Failed", failure_reason="UserIsInactive")
    failed = welcome(app)
    assert (failed.status, failed.error) == ("failed", "UserIsInactive")
    assert failed.failed_at is not None


def test_unknown_statuses_and_repeats_do_not_break_anything(at, app, workers):
    """Is a report with a status we do not know kept without changing the message."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    sent = welcome(app)
    first = at.delivery(sent.provider_id, "SomethingNew")
    again = at.delivery(sent.provider_id, "SomethingNew")
    assert first.status_code == 200 and again.get_data(as_text=True).startswith("duplicate")
    assert welcome(app).status == "sent"


def test_malformed_delivery_report_is_a_400(client):
    """Does a delivery report without an id or status get a 400 that says which."""
    no_id = client.post("/at/sms/delivery", data={"status": "Success"})
    no_status = client.post("/at/sms/delivery", data={"id": "ATXid_1"})
    assert no_id.status_code == 400 and "'id'" in no_id.get_data(as_text=True)
    assert no_status.status_code == 400 and "'status'" in no_status.get_data(as_text=True)


@pytest.fixture
def live_gateway(app: Flask) -> Iterator[str]:
    """The gateway served over real HTTP, for the emulator to post delivery reports to."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


def test_an_early_report_is_kept_and_matched_when_the_send_returns(app, at, workers, live_gateway):
    """A report that arrives before the send call has returned is applied once it has."""
    early = EmulatorServer(
        delivery_url=f"{live_gateway}/at/sms/delivery",
        auto_deliver=True,
        deliver_before_answer=True,
    )
    with early:
        app.config["GATEWAY"] = replace(app.config["GATEWAY"], at_api_url=early.url)
        at.sms(PHONE, "JOIN")
        workers.drain()
        [record] = early.messages()
    with app.app_context():
        report = db.session.scalar(select(DeliveryReport))
        assert report is not None and report.provider_id == record["message_id"]
        message = db.session.scalar(select(Message).where(Message.direction == "out"))
        assert message is not None and message.sent_at is not None
        # The report arrived before the send call returned (so before the message had its
        # provider id), was kept, and was applied once the send job stored the id.
        assert report.received_at < message.sent_at
        assert report.applied_at is not None and report.applied_at >= message.sent_at
    assert welcome(app).status == "delivered"


def test_bulk_optout_callback_stops_everything(at, app, workers, emulator):
    """Does Africa's Talking's opt-out callback stop every later message at once."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    assert at.optout(PHONE).get_data(as_text=True) == "opted out"
    assert at.optout(PHONE).get_data(as_text=True) == "already opted out"
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == PHONE))
        assert contact is not None and contact.opt_out_channel == "at_optout"
    before = len(emulator.messages())
    at.sms(PHONE, "HELP")
    workers.drain()
    assert len(emulator.messages()) == before


def test_user_in_blacklist_from_africas_talking_opts_the_contact_out(at, app, workers, emulator):
    """When Africa's Talking answers UserInBlacklist for a number, that contact is opted out."""
    emulator.set_recipient_status(PHONE, "UserInBlacklist")
    at.sms(PHONE, "JOIN")
    workers.drain()
    assert workers.failed() == []  # a refusal is final, not a job failure to retry
    failed = welcome(app)
    assert (failed.status, failed.error) == ("failed", "UserInBlacklist")
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == PHONE))
        assert contact is not None
        assert contact.opted_out_at is not None and contact.opt_out_channel == "provider"
    [request] = emulator.requests()
    assert request["to"] == [PHONE]


def test_a_blacklist_delivery_report_opts_the_contact_out(at, app, workers):
    """A delivery report saying the person blocked our sender (UserInBlackList) stops every
    later message to them."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    sent = welcome(app)
    at.delivery(sent.provider_id, "Failed", failure_reason="UserInBlackList")
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == PHONE))
        assert contact is not None and contact.opted_out_at is not None
        assert contact.opt_out_channel == "provider"
