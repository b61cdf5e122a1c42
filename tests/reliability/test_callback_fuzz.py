"""Every Africa's Talking callback, fed random and hostile values (hypothesis): never a server
error, the USSD always a ``CON``/``END`` screen, a refused callback stores nothing, and an
accepted one stores exactly what came."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import DeliveryReport, Message

HOSTILE = [
    "",
    " ",
    "'; DROP TABLE contacts; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00\x01\x02\x1b[31m",
    "\u202e\u200b\ufeff",
    "%00%ff",
    "*" * 300,
    "1*" * 200,
    "x" * 20_000,
    "🙂" * 50,
    "ĩũ’“”—…",
    "+254",
    "0712345678",
    "+999999999999999",
    "not a phone",
    "../../etc/passwd",
    "{0}{text}%s%n",
]
values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300))
raw_bytes = st.binary(max_size=400)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

FIELDS = {
    "/at/ussd": ("sessionId", "serviceCode", "phoneNumber", "networkCode", "text"),
    "/at/ussd/events": (
        "date",
        "sessionId",
        "serviceCode",
        "networkCode",
        "phoneNumber",
        "status",
        "cost",
        "durationInMillis",
        "hopsCount",
        "input",
        "lastAppResponse",
    ),
    "/at/sms": ("from", "to", "text", "date", "id", "linkId", "networkCode"),
    "/at/sms/delivery": (
        "id",
        "status",
        "phoneNumber",
        "networkCode",
        "failureReason",
        "retryCount",
    ),
    "/at/sms/optout": ("senderId", "phoneNumber"),
}


def form_for(path: str, draw: Any) -> dict[str, str]:
    """Some of the callback's fields (maybe none), each a random or hostile value."""
    form = {}
    for name in FIELDS[path]:
        if draw(st.booleans()) or draw(st.booleans()):
            form[name] = draw(values)
    return form


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Message)) or 0,
            db.session.scalar(select(func.count()).select_from(Contact)) or 0,
            db.session.scalar(select(func.count()).select_from(DeliveryReport)) or 0,
        )


def check_answer(path: str, response: Any) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (path, response.status_code, body[:200])
    if path == "/at/ussd":
        assert response.status_code == 200, body[:200]
        assert body.startswith(("CON ", "END ")), body[:200]
    elif response.status_code == 400:
        assert body.strip(), "a 400 must say why"


@SETTINGS
@given(data=st.data(), path=st.sampled_from(sorted(FIELDS)))
def test_hostile_fields_never_break_a_callback(app: Flask, data: Any, path: str) -> None:
    client = app.test_client()
    form = form_for(path, data.draw)
    before = counts(app)
    response = client.post(path, data=form)
    check_answer(path, response)
    after = counts(app)
    if response.status_code == 400:
        assert after == before, f"a refused {path} stored something: {before} -> {after}"
    if path == "/at/sms" and response.status_code == 200 and "duplicate" not in response.text:
        assert after[0] == before[0] + 1  # the SMS is kept, whatever it says
        with app.app_context():
            kept = db.session.scalars(select(Message).order_by(Message.id.desc())).first()
        assert kept is not None and kept.text == form["text"].replace("\x00", "")


@SETTINGS
@given(body=raw_bytes, path=st.sampled_from(sorted(FIELDS)))
def test_invalid_utf8_and_garbage_bodies_are_answered(app: Flask, body: bytes, path: str) -> None:
    """Bytes that are not UTF-8, and bodies that are not forms at all."""
    client = app.test_client()
    encoded = "text=" + quote_from_bytes(body) + "&phoneNumber=%2B254712345678&from=%FF%FE"
    for payload in (body, encoded.encode()):
        response = client.post(path, data=payload, content_type="application/x-www-form-urlencoded")
        check_answer(path, response)


def test_a_huge_body_is_refused_with_a_reason(app: Flask) -> None:
    response = app.test_client().post(
        "/at/sms",
        data={
            "from": "+254712345678",
            "to": "22384",
            "text": "x" * 200_000,
            "id": "ATXid_big",
            "date": "2026-11-29 10:04:45",
        },
    )
    assert response.status_code in (400, 413)
    assert counts(app)[0] == 0
