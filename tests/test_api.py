"""The JSON API under /api/v1/: tokens, contacts with consent, messages, the OpenAPI document."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from gateway.api.models import ApiToken
from gateway.contacts.models import Contact
from gateway.extensions import db
from gateway.sms.models import Message
from gateway.ussd.models import UssdSessionEnd

PHONE = "+254712345678"


@pytest.fixture
def token(runner) -> str:
    result = runner.invoke(args=["tokens", "create", "secretariat"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.fixture
def api(client, token):
    class Api:
        headers = {"Authorization": f"Bearer {token}"}

        def get(self, path, **kw):
            return client.get(f"/api/v1{path}", headers=self.headers, **kw)

        def post(self, path, json):
            return client.post(f"/api/v1{path}", headers=self.headers, json=json)

        def patch(self, path, json):
            return client.patch(f"/api/v1{path}", headers=self.headers, json=json)

        def delete(self, path):
            return client.delete(f"/api/v1{path}", headers=self.headers)

    return Api()


def test_token_is_printed_once_and_only_its_hash_is_kept(app, token):
    """Does `tokens create` print a token whose plain text is stored nowhere."""
    assert token.startswith("hmk_") and len(token) > 40
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row is not None and row.name == "secretariat"
        assert token not in row.token_hash and len(row.token_hash) == 64


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong-token", "Basic abc"])
def test_a_valid_token_is_required(client, token, header):
    """Is every API call without a valid bearer token refused with a JSON 401."""
    headers = {"Authorization": header} if header else {}
    response = client.get(f"/api/v1/contacts/{PHONE}", headers=headers)
    assert response.status_code == 401
    assert response.json["message"] and "token" in response.json["message"].lower()
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_create_a_contact_with_consent_and_read_it_back(api, app):
    """Can the secretariat add a person met at a meeting, with the consent they gave there."""
    created = api.post(
        "/contacts",
        json={
            "phone": "0712 345 678",
            "language": "kam",
            "county": "Kitui",
            "ward": "Mui",
            "consent": {
                "channel": "meeting",
                "wording_version": "consent.v1",
                "wording_text": "HMK will send you free SMS ...",
            },
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["phone"] == PHONE and created.json["has_consent"] is True
    assert created.json["consent_channel"] == "meeting"
    [event] = created.json["consent_events"]
    assert (event["action"], event["wording_version"]) == ("granted", "consent.v1")

    for form in ("0712345678", "254712345678", "%2B254712345678"):
        fetched = api.get(f"/contacts/{form}")
        assert fetched.status_code == 200 and fetched.json["county"] == "Kitui", form
    with app.app_context():
        contact = db.session.scalar(select(Contact))
        assert contact is not None and contact.consent_events[0].wording_text


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"phone": "12ab"}, "phone", "phone number"),
        ({}, "phone", "required"),
        ({"phone": PHONE, "language": "fr"}, "language", "en, sw, kam"),
        ({"phone": PHONE, "county": "Atlantis"}, "county", "Kitui"),
        ({"phone": PHONE, "consent": {"channel": "meeting"}}, "consent", "required"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field(api, body, field, words):
    """Does invalid input get a 400 whose errors name the field and say what would do."""
    response = api.post("/contacts", json=body)
    assert response.status_code == 400
    errors = response.json["errors"]["json"]
    assert field in errors
    assert words in str(errors[field])


def test_duplicate_missing_and_update(api):
    """Is a second contact with the same number refused, a missing one a 404, and an update kept."""
    assert api.post("/contacts", json={"phone": PHONE}).status_code == 201
    duplicate = api.post("/contacts", json={"phone": "0712345678"})
    assert duplicate.status_code == 409 and "PATCH" in duplicate.json["message"]
    assert api.get("/contacts/0799999999").status_code == 404
    updated = api.patch(
        f"/contacts/{PHONE}",
        json={
            "language": "sw",
            "consent": {"channel": "paper_form", "wording_version": "consent.v1"},
        },
    )
    assert updated.status_code == 200
    assert updated.json["language"] == "sw" and updated.json["has_consent"] is True
    stopped = api.patch(f"/contacts/{PHONE}", json={"opted_out": True})
    assert stopped.json["has_consent"] is False and stopped.json["opted_out_at"]


def test_messages_by_phone(api, at, workers):
    """Can the secretariat list what was sent to and received from one number."""
    at.sms(PHONE, "JOIN")
    workers.drain()
    response = api.get("/messages", query_string={"phone": "0712345678"})
    assert response.status_code == 200
    kinds = [(m["direction"], m["kind"], m["status"]) for m in response.json]
    assert kinds == [("out", "welcome", "sent"), ("in", "keyword:join", "received")]
    assert response.json[0]["encoding"] == "GSM-7" and response.json[0]["segments"] == 1
    assert api.get("/messages").status_code == 400


def test_an_sms_not_yet_handled_is_listed_as_unhandled(api, at):
    """Does the API give an SMS no worker has interpreted yet the kind ``unhandled``, as it
    always has (inside, that is its handling state, not its kind)."""
    at.sms(PHONE, "JOIN")
    response = api.get("/messages", query_string={"phone": PHONE})
    assert [(m["direction"], m["kind"]) for m in response.json] == [("in", "unhandled")]


def test_delete_anonymises_and_keeps_counts(api, at, workers, app: Flask):
    """Does deleting a contact remove their number and message texts but keep the counts."""
    at.sms(PHONE, "Maji yetu ni machafu")
    at.session_ended(PHONE, "ATUid_gone")
    workers.drain()
    api.patch(f"/contacts/{PHONE}", json={"county": "Kitui"})
    assert api.delete(f"/contacts/{PHONE}").status_code == 204
    assert api.get(f"/contacts/{PHONE}").status_code == 404
    with app.app_context():
        contact = db.session.scalar(select(Contact))
        assert contact is not None and contact.phone != PHONE and contact.county == "Kitui"
        texts = db.session.scalars(select(Message.text)).all()
        assert texts and all(t == "" for t in texts)
        assert db.session.scalar(select(Message).where(Message.phone == PHONE)) is None
        ended = db.session.scalar(select(UssdSessionEnd))
        assert ended is not None and ended.phone != PHONE and ended.input is None


def test_openapi_document_describes_the_api(client):
    """Is there an OpenAPI 3 document listing every endpoint, its schemas and the bearer auth."""
    doc = client.get("/api/v1/openapi.json")
    assert doc.status_code == 200
    spec = doc.json
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {
        "/api/v1/contacts",
        "/api/v1/contacts/{phone}",
        "/api/v1/messages",
    }
    post = spec["paths"]["/api/v1/contacts"]["post"]
    assert "400" in post["responses"] and "201" in post["responses"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearer": []}]
    assert "phone" in spec["components"]["schemas"]["ContactIn"]["required"]


@pytest.mark.parametrize(
    "path",
    [
        "/polls/{id}",
        "/polls/{id}/results.csv",
        "/meetings/{id}",
        "/broadcasts/{id}",
        "/surveys/{id}/results",
        "/reports/{id}",
        "/users/{id}",
    ],
)
def test_an_id_past_64_bits_is_not_found(api, client, path):
    """Does an id no row can have (past 64 bits, which PostgreSQL refuses to bind) get a JSON
    404 naming nothing found, and does the OpenAPI document say how large an id may be."""
    for huge in ("9223372036854775808", "99999999999999999999"):
        response = api.get(path.format(id=huge))
        assert response.status_code == 404 and response.json["status"] == "Not Found"
    spec = client.get("/api/v1/openapi.json").json
    ids = [
        param["schema"]
        for item in spec["paths"].values()
        for param in item.get("parameters", [])
        if param["in"] == "path" and param["schema"]["type"] == "integer"
    ]
    assert len(ids) > 10
    assert all(schema == {"type": "integer", "minimum": 0, "maximum": 2**63 - 1} for schema in ids)


def test_healthz_checks_database_and_redis(client):
    """Does /healthz say the database and Redis answer."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_delete_removes_free_text_survey_answers_and_unlinks_reports(api, at, workers, app):
    """Does deleting a contact remove what they wrote in a survey and their name from their
    reports, while their choices and numbers still count."""
    import factories

    from gateway.reports.models import Report
    from gateway.surveys.models import SurveyAnswer

    factories.surveys(app)  # "MAJI": a choice, a number, a free text
    for text in ("MAJI", "2", "40", "The borehole pump broke in March"):
        at.sms(PHONE, text)
        workers.drain()
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.phone == PHONE))
        db.session.add(
            Report(
                reference="R-TEST22",
                contact_id=contact.id,
                category="water",
                description="Pump broke",
                channel="ussd",
            )
        )
        db.session.commit()
        answers = sorted(db.session.scalars(select(SurveyAnswer.value)).all())
        assert answers == ["2", "40", "The borehole pump broke in March"]
    assert api.delete(f"/contacts/{PHONE}").status_code == 204
    with app.app_context():
        assert sorted(db.session.scalars(select(SurveyAnswer.value)).all()) == ["", "2", "40"]
        report = db.session.scalar(select(Report))
        assert report is not None and report.contact_id is None


@pytest.mark.parametrize("wording", ["no", "yes", "Y", "1", "consent.v9"])
def test_consent_only_with_a_wording_the_gateway_knows(api, app, wording):
    """A consent whose wording is not one the gateway knows (a "no" above all) is refused,
    naming the known wordings, on create and on update, and records nothing."""
    consent = {"channel": "paper_form", "wording_version": wording}
    created = api.post("/contacts", json={"phone": PHONE, "consent": consent})
    assert created.status_code == 400
    assert "consent.v1, sms.join" in str(created.json["errors"]["json"]["consent"])
    assert api.post("/contacts", json={"phone": PHONE}).status_code == 201
    updated = api.patch(f"/contacts/{PHONE}", json={"consent": consent})
    assert updated.status_code == 400
    assert "consent.v1, sms.join" in str(updated.json["errors"]["json"]["consent"])
    fetched = api.get(f"/contacts/{PHONE}").json
    assert fetched["has_consent"] is False and fetched["consent_events"] == []
    with app.app_context():
        assert db.session.scalar(select(Contact.consent_wording)) is None


def test_tokens_expire_in_90_days_unless_made_without_expiry_on_purpose(app, runner):
    """Does a token made without --days expire after 90 days, and does --no-expiry (which
    warns) make one that never does?"""
    from datetime import timedelta

    from gateway.extensions import utcnow

    made = runner.invoke(args=["tokens", "create", "laptop"])
    assert made.exit_code == 0, made.output
    forever = runner.invoke(args=["tokens", "create", "uptime-robot", "--no-expiry"])
    assert forever.exit_code == 0, forever.output
    assert "never expires" in forever.stderr and "warning" in forever.stderr.lower()
    assert forever.stdout.strip().startswith("hmk_")  # scripts read the token alone
    both = runner.invoke(args=["tokens", "create", "x", "--days", "5", "--no-expiry"])
    assert both.exit_code != 0 and "--no-expiry" in both.output
    with app.app_context():
        rows = {row.name: row for row in db.session.scalars(select(ApiToken))}
    assert set(rows) == {"laptop", "uptime-robot"}
    assert abs(rows["laptop"].expires_at - (utcnow() + timedelta(days=90))) < timedelta(minutes=1)
    assert rows["uptime-robot"].expires_at is None


def test_tokens_are_listed_without_their_secret_and_revoked_from_the_command_line(
    app, runner, client
):
    """Can an operator list the tokens (names and dates, never the token) and revoke one, after
    which it is refused, with the revocation in the audit log?"""
    from gateway.users.models import AuditEvent

    kept = runner.invoke(args=["tokens", "create", "radio-studio"]).output.strip()
    lost = runner.invoke(args=["tokens", "create", "lost-laptop"]).output.strip()
    listing = runner.invoke(args=["tokens", "list"])
    assert listing.exit_code == 0, listing.output
    assert "radio-studio" in listing.output and "lost-laptop" in listing.output
    assert kept not in listing.output and lost not in listing.output
    with app.app_context():
        hashes = db.session.scalars(select(ApiToken.token_hash)).all()
    assert not any(h[:12] in listing.output for h in hashes)
    revoked = runner.invoke(args=["tokens", "revoke", "lost-laptop"])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in revoked.output and "lost-laptop" in revoked.output
    refused = client.get(f"/api/v1/contacts/{PHONE}", headers={"Authorization": f"Bearer {lost}"})
    assert refused.status_code == 401 and "revoked" in refused.json["message"]
    still = client.get(f"/api/v1/contacts/{PHONE}", headers={"Authorization": f"Bearer {kept}"})
    assert still.status_code == 404  # a valid token: the contact just does not exist
    listed = runner.invoke(args=["tokens", "list"]).output.splitlines()
    assert "revoked" in next(line for line in listed if "lost-laptop" in line)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke"))
        assert event is not None and event.details["name"] == "lost-laptop"


def test_an_admin_token_lists_and_revokes_tokens_through_the_api(
    app, runner, client, api, make_user
):
    """Can an admin's integration list the API tokens (never a secret) and revoke one, and is
    anyone else refused?"""
    other = runner.invoke(args=["tokens", "create", "old-dashboard"]).output.strip()
    make_user("coordinator", email="c@hmk.example", counties=("Kitui",))
    coordinator = runner.invoke(
        args=["tokens", "create", "c-laptop", "--user", "c@hmk.example"]
    ).output.strip()
    listed = api.get("/tokens")
    assert listed.status_code == 200, listed.json
    names = {row["name"]: row for row in listed.json}
    assert {"secretariat", "old-dashboard", "c-laptop"} <= set(names)
    assert names["c-laptop"]["user"] == "c@hmk.example" and names["old-dashboard"]["user"] is None
    assert names["old-dashboard"]["state"] == "active" and names["old-dashboard"]["expires_at"]
    body = listed.get_data(as_text=True)
    assert other not in body and coordinator not in body and "hash" not in body
    as_coordinator = {"Authorization": f"Bearer {coordinator}"}
    assert client.get("/api/v1/tokens", headers=as_coordinator).status_code == 403
    target = names["old-dashboard"]["id"]
    refused = client.post(f"/api/v1/tokens/{target}/revoke", headers=as_coordinator)
    assert refused.status_code == 403
    done = api.post(f"/tokens/{target}/revoke", json={})
    assert done.status_code == 200 and done.json["state"] == "revoked", done.json
    revoked = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {other}"})
    assert revoked.status_code == 401  # the revoked token itself
    assert api.post("/tokens/99999/revoke", json={}).status_code == 404
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/tokens" in paths and "/api/v1/tokens/{token_id}/revoke" in paths
