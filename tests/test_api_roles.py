"""The JSON API scoped by the token's role: every endpoint with every role, lists filtered by
county and show, sensitive reports for admins only; expired, revoked and deactivated tokens."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from factories import joined_contact, meetings, polls
from sqlalchemy import select

from gateway.api.models import ApiToken
from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.radio.models import RadioMessage, RadioShow
from gateway.reports.models import Report
from gateway.sms.models import Message
from gateway.users.models import AuditEvent

# The order each endpoint is called in: refused roles go before the ones that change things.
ROLES = ("viewer", "radio_host", "coordinator", "legacy", "admin")
HOST = "host@hmk.example"
KITUI_PHONE, KWALE_PHONE = "+254711000001", "+254722000002"
_numbers = count(100)


def _fresh_phone() -> str:
    return f"+2547330{next(_numbers):05d}"


class World:
    """Rows in Kitui (the coordinator's county) and Kwale, a host's show and another's, a
    sensitive report, and a token for each role."""

    def __init__(self, app: Any, client: Any, make_user: Callable[..., int]) -> None:
        self.app, self.client = app, client
        self.user_ids = {
            "admin": make_user("admin", email="admin@hmk.example"),
            "coordinator": make_user("coordinator", counties=("Kitui",)),
            "radio_host": make_user("radio_host", email=HOST),
            "viewer": make_user("viewer"),
        }
        self.kitui_contact = joined_contact(app, KITUI_PHONE, county="Kitui", ward="Mui")
        self.kwale_contact = joined_contact(app, KWALE_PHONE, county="Kwale", ward=None)
        self.meetings = meetings(app)
        self.polls = polls(app)
        with app.app_context():
            self.tokens = {}
            for role, user_id in self.user_ids.items():
                row, token = ApiToken.issue(role, user_id=user_id)
                db.session.add(row)
                self.tokens[role] = token
            row, self.tokens["legacy"] = ApiToken.issue("secretariat")
            db.session.add(row)
            shows = {
                "own": RadioShow(
                    station="Mwatu FM",
                    name="Sauti ya Mui",
                    host=HOST,
                    keywords=["SAUTI"],
                    schedule=[{"weekday": 3, "start": "19:00", "end": "20:00"}],
                    poll_id=self.polls["open"],
                ),
                "other": RadioShow(
                    station="Pwani FM",
                    name="Bahari",
                    host="other@hmk.example",
                    keywords=["BAHARI"],
                    schedule=[{"weekday": 4, "start": "19:00", "end": "20:00"}],
                ),
            }
            db.session.add_all(shows.values())
            db.session.flush()
            self.shows = {name: show.id for name, show in shows.items()}
            self.items = {}
            for name, show in shows.items():
                message = Message(
                    direction="in",
                    kind="radio",
                    phone=KITUI_PHONE,
                    text=f"Hello {show.name}",
                    encoding="gsm",
                    segments=1,
                    status="received",
                    contact_id=self.kitui_contact,
                )
                db.session.add(message)
                db.session.flush()
                item = RadioMessage(show_id=show.id, message_id=message.id, episode="2026-12-03")
                db.session.add(item)
                db.session.flush()
                self.items[name] = item.id
            self.reports = {}
            for name, county, category, contact in (
                ("kitui", "Kitui", "water", self.kitui_contact),
                ("kwale", "Kwale", "land", self.kwale_contact),
                ("sensitive", "Kitui", "security", self.kitui_contact),
            ):
                report = Report(
                    reference=f"R-{name.upper()[:6]}",
                    contact_id=contact,
                    category=category,
                    sensitive=category == "security",
                    county=county,
                    description=f"A {category} problem in {county}",
                    language="en",
                    channel="ussd",
                )
                db.session.add(report)
                db.session.flush()
                self.reports[name] = report.id
            db.session.commit()

    def call(self, role: str, method: str, path: str, body: Any = None, query: Any = None) -> Any:
        return self.client.open(
            "/api/v1" + path,
            method=method,
            json=body,
            query_string=query,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
        )

    def fresh_contact(self, county: str) -> str:
        phone = _fresh_phone()
        joined_contact(self.app, phone, county=county, ward=None)
        return phone


@pytest.fixture
def world(app, client, make_user) -> World:
    return World(app, client, make_user)


def _meeting(county: str | None) -> dict[str, Any]:
    return {
        "title": {"en": "Water committee"},
        "county": county,
        "place": "Mui Primary School",
        "starts_at": (utcnow() + timedelta(days=7)).isoformat(),
    }


def _user() -> dict[str, Any]:
    return {"email": f"new{next(_numbers)}@hmk.example", "role": "viewer", "name": "New"}


V, H, C, L, A = ROLES
ALL = dict.fromkeys(ROLES, 200)


def only(allowed: dict[str, int], refused: int = 403) -> dict[str, int]:
    return {role: allowed.get(role, refused) for role in ROLES}


# (method, OpenAPI path, a function of the world and role giving (path, body, query), expected)
P = Callable[[World, str], tuple[str, Any, Any]]


def at(path: str, body: Any = None, query: Any = None) -> P:
    return lambda w, role: (path.format(w=w), body() if callable(body) else body, query)


Row = tuple[str, str, P, dict[str, int]]
AREAS: dict[str, list[Row]] = {
    "contacts": [
        (
            "POST",
            "/contacts",
            lambda w, r: (
                "/contacts",
                {"phone": _fresh_phone(), "language": "en", "county": "Kitui"},
                None,
            ),
            only({C: 201, L: 201, A: 201}),
        ),
        (
            "POST",
            "/contacts",
            lambda w, r: (
                "/contacts",
                {"phone": _fresh_phone(), "language": "en", "county": "Kwale"},
                None,
            ),
            only({L: 201, A: 201}),
        ),
        (
            "GET",
            "/contacts/{phone}",
            at(f"/contacts/{KITUI_PHONE}"),
            only({V: 200, C: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/contacts/{phone}",
            at(f"/contacts/{KWALE_PHONE}"),
            only({V: 200, C: 404, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/contacts/{phone}",
            at(f"/contacts/{KITUI_PHONE}", {"language": "sw"}),
            only({C: 200, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/contacts/{phone}",
            at(f"/contacts/{KWALE_PHONE}", {"language": "sw"}),
            only({C: 404, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/contacts/{phone}",
            lambda w, r: (f"/contacts/{w.fresh_contact('Kitui')}", {"county": "Migori"}, None),
            only({C: 403, L: 200, A: 200}),
        ),
        (
            "DELETE",
            "/contacts/{phone}",
            lambda w, r: (f"/contacts/{w.fresh_contact('Kitui')}", None, None),
            only({C: 204, L: 204, A: 204}),
        ),
        (
            "DELETE",
            "/contacts/{phone}",
            lambda w, r: (f"/contacts/{w.fresh_contact('Kwale')}", None, None),
            only({C: 404, L: 204, A: 204}),
        ),
        (
            "GET",
            "/contacts/{phone}/export",
            at(f"/contacts/{KITUI_PHONE}/export"),
            only({L: 200, A: 200}),
        ),
        (
            "POST",
            "/contacts/{phone}/subscriptions",
            at(f"/contacts/{KITUI_PHONE}/subscriptions", {"guide": "coal"}),
            only({C: 201, L: 200, A: 200}),
        ),
        (
            "POST",
            "/contacts/{phone}/subscriptions",
            at(f"/contacts/{KWALE_PHONE}/subscriptions", {"guide": "coal"}),
            only({C: 404, L: 201, A: 200}),
        ),
        (
            "GET",
            "/messages",
            at("/messages", query={"phone": KITUI_PHONE}),
            only({V: 200, C: 200, L: 200, A: 200}),
        ),
    ],
    "broadcasts": [
        ("POST", "/broadcasts/estimate", at("/broadcasts/estimate", {}), only({L: 400, A: 400})),
        ("POST", "/broadcasts", at("/broadcasts", {}), only({L: 400, A: 400})),
        (
            "GET",
            "/broadcasts/{broadcast_id}",
            at("/broadcasts/999"),
            only({V: 404, L: 404, A: 404}),
        ),
        (
            "POST",
            "/broadcasts/{broadcast_id}/cancel",
            at("/broadcasts/999/cancel"),
            only({L: 404, A: 404}),
        ),
        ("POST", "/surveys", at("/surveys", {}), only({L: 400, A: 400})),
        ("GET", "/surveys/{survey_id}", at("/surveys/999"), only({V: 404, L: 404, A: 404})),
        (
            "GET",
            "/surveys/{survey_id}/results",
            at("/surveys/999/results"),
            only({V: 404, L: 404, A: 404}),
        ),
        (
            "GET",
            "/surveys/{survey_id}/responses.csv",
            at("/surveys/999/responses.csv"),
            only({V: 404, L: 404, A: 404}),
        ),
    ],
    "platforms": [
        ("GET", "/platforms", at("/platforms"), only({V: 200, C: 200, L: 200, A: 200})),
    ],
    "meetings": [
        (
            "POST",
            "/meetings",
            at("/meetings", lambda: _meeting("Kitui")),
            only({C: 201, L: 201, A: 201}),
        ),
        ("POST", "/meetings", at("/meetings", lambda: _meeting("Kwale")), only({L: 201, A: 201})),
        ("POST", "/meetings", at("/meetings", lambda: _meeting(None)), only({L: 201, A: 201})),
        (
            "POST",
            "/meetings/estimate",
            at("/meetings/estimate", lambda: _meeting("Kitui")),
            only({C: 200, L: 200, A: 200}),
        ),
        (
            "POST",
            "/meetings/estimate",
            at("/meetings/estimate", lambda: _meeting("Kwale")),
            only({C: 403, L: 200, A: 200}),
        ),
        (
            "POST",
            "/meetings/{meeting_id}/estimate",
            at("/meetings/{w.meetings[kitui]}/estimate", {"place": "Mui Hall"}),
            only({C: 200, L: 200, A: 200}),
        ),
        (
            "POST",
            "/meetings/{meeting_id}/estimate",
            at("/meetings/{w.meetings[kwale]}/estimate", {"place": "Ramisi Hall"}),
            only({C: 404, L: 200, A: 200}),
        ),
        (
            "GET",
            "/meetings/{meeting_id}",
            at("/meetings/{w.meetings[kitui]}"),
            only({V: 200, C: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/meetings/{meeting_id}",
            at("/meetings/{w.meetings[kwale]}"),
            only({V: 200, C: 404, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/meetings/{meeting_id}",
            at("/meetings/{w.meetings[kitui]}", {"place": "Mui Hall"}),
            only({C: 200, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/meetings/{meeting_id}",
            at("/meetings/{w.meetings[kwale]}", {"place": "Ramisi Hall"}),
            only({C: 404, L: 200, A: 200}),
        ),
        (
            "POST",
            "/meetings/{meeting_id}/cancel",
            at("/meetings/{w.meetings[kitui]}/cancel"),
            only({C: 200, L: 200, A: 200}),
        ),
        (
            "POST",
            "/meetings/{meeting_id}/cancel",
            at("/meetings/{w.meetings[kwale]}/cancel"),
            only({C: 404, L: 200, A: 200}),
        ),
    ],
    "polls": [
        ("POST", "/polls", at("/polls", {}), only({L: 400, A: 400})),
        (
            "GET",
            "/polls/{poll_id}",
            at("/polls/{w.polls[open]}"),
            only({V: 200, H: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/polls/{poll_id}",
            at("/polls/{w.polls[kwale]}"),
            only({V: 200, H: 404, L: 200, A: 200}),
        ),
        (
            "GET",
            "/polls/{poll_id}/results",
            at("/polls/{w.polls[open]}/results"),
            only({V: 200, H: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/polls/{poll_id}/results",
            at("/polls/{w.polls[kwale]}/results"),
            only({V: 200, H: 404, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/polls/{poll_id}",
            at("/polls/{w.polls[kwale]}", {}),
            only({L: 200, A: 200}),
        ),
        (
            "GET",
            "/polls/{poll_id}/results/estimate",
            at("/polls/{w.polls[open]}/results/estimate"),
            only({V: 200, H: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/polls/{poll_id}/results/estimate",
            at("/polls/{w.polls[kwale]}/results/estimate"),
            only({V: 200, H: 404, L: 200, A: 200}),
        ),
        (
            "GET",
            "/polls/{poll_id}/results.csv",
            at("/polls/{w.polls[open]}/results.csv"),
            only({V: 200, H: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/polls/{poll_id}/results.csv",
            at("/polls/{w.polls[kwale]}/results.csv"),
            only({V: 200, H: 404, L: 200, A: 200}),
        ),
        (
            "POST",
            "/polls/{poll_id}/send/estimate",
            at("/polls/{w.polls[open]}/send/estimate"),
            only({L: 200, A: 200}),
        ),
        (
            "POST",
            "/polls/{poll_id}/send",
            at("/polls/{w.polls[open]}/send"),
            only({L: 202, A: 202}),
        ),
    ],
    "radio": [
        ("GET", "/radio/shows", at("/radio/shows"), only({V: 200, H: 200, L: 200, A: 200})),
        ("POST", "/radio/shows", at("/radio/shows", {}), only({L: 400, A: 400})),
        (
            "GET",
            "/radio/shows/{show_id}",
            at("/radio/shows/{w.shows[own]}"),
            only({V: 200, H: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/radio/shows/{show_id}",
            at("/radio/shows/{w.shows[other]}"),
            only({V: 200, H: 404, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/radio/shows/{show_id}",
            at("/radio/shows/{w.shows[own]}", {"name": "Sauti"}),
            only({L: 200, A: 200}),
        ),
        *[
            (
                "GET",
                f"/radio/shows/{{show_id}}/{part}",
                at(f"/radio/shows/{{w.shows[{show}]}}/{part}"),
                only({V: 200, H: 200 if show == "own" else 404, L: 200, A: 200}),
            )
            for part in ("feed", "feed.csv", "tally", "tally.csv")
            for show in ("own", "other")
        ],
        *[
            (
                method,
                "/radio/shows/{show_id}/board-link",
                at(f"/radio/shows/{{w.shows[{show}]}}/board-link"),
                only({H: status if show == "own" else 404, L: status, A: status}),
            )
            for method, status in (("POST", 201), ("DELETE", 204))
            for show in ("own", "other")
        ],
        (
            "PATCH",
            "/radio/messages/{item_id}",
            at("/radio/messages/{w.items[own]}", {"starred": True}),
            only({H: 200, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/radio/messages/{item_id}",
            at("/radio/messages/{w.items[other]}", {"starred": True}),
            only({H: 404, L: 200, A: 200}),
        ),
    ],
    "reports": [
        ("GET", "/reports", at("/reports"), only({V: 200, C: 200, L: 200, A: 200})),
        (
            "GET",
            "/reports/{report_id}",
            at("/reports/{w.reports[kitui]}"),
            only({V: 200, C: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/reports/{report_id}",
            at("/reports/{w.reports[kwale]}"),
            only({V: 200, C: 404, L: 200, A: 200}),
        ),
        (
            "GET",
            "/reports/{report_id}",
            at("/reports/{w.reports[sensitive]}"),
            only({V: 404, C: 404, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/reports/{report_id}",
            at("/reports/{w.reports[kitui]}", {"status": "in_progress"}),
            only({C: 200, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/reports/{report_id}",
            at("/reports/{w.reports[kwale]}", {"status": "resolved"}),
            only({C: 404, L: 200, A: 200}),
        ),
        (
            "PATCH",
            "/reports/{report_id}",
            at("/reports/{w.reports[sensitive]}", {"status": "closed"}),
            only({C: 404, L: 200, A: 200}),
        ),
        (
            "POST",
            "/reports/{report_id}/reply/estimate",
            at("/reports/{w.reports[kitui]}/reply/estimate", {"text": "Noted"}),
            only({C: 200, L: 200, A: 200}),
        ),
        (
            "POST",
            "/reports/{report_id}/reply/estimate",
            at("/reports/{w.reports[sensitive]}/reply/estimate", {"text": "Noted"}),
            only({C: 404, L: 200, A: 200}),
        ),
        (
            "POST",
            "/reports/{report_id}/reply",
            at("/reports/{w.reports[kitui]}/reply", {"text": "Noted"}),
            only({C: 202, L: 202, A: 202}),
        ),
        (
            "POST",
            "/reports/{report_id}/reply",
            at("/reports/{w.reports[sensitive]}/reply", {"text": "Noted"}),
            only({C: 404, L: 202, A: 202}),
        ),
        (
            "GET",
            "/reports/{report_id}/history",
            at("/reports/{w.reports[kitui]}/history"),
            only({V: 200, C: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/reports/{report_id}/history",
            at("/reports/{w.reports[sensitive]}/history"),
            only({V: 404, C: 404, L: 200, A: 200}),
        ),
        (
            "POST",
            "/reports/{report_id}/notes",
            at("/reports/{w.reports[kitui]}/notes", {"text": "Called the chief."}),
            only({C: 201, L: 201, A: 201}),
        ),
        (
            "POST",
            "/reports/{report_id}/notes",
            at("/reports/{w.reports[kwale]}/notes", {"text": "Called the chief."}),
            only({C: 404, L: 201, A: 201}),
        ),
    ],
    "accountability": [
        (
            "POST",
            "/duty-bearers",
            lambda w, r: (
                "/duty-bearers",
                {"name": f"Bearer {next(_numbers)}", "kind": "nema"},
                None,
            ),
            only({L: 201, A: 201}),
        ),
        ("GET", "/duty-bearers", at("/duty-bearers"), only({V: 200, C: 200, L: 200, A: 200})),
        (
            "GET",
            "/duty-bearers/scorecard",
            at("/duty-bearers/scorecard"),
            only({V: 200, C: 200, L: 200, A: 200}),
        ),
        (  # duty bearer 1: the legacy token's, just made
            "POST",
            "/reports/{report_id}/escalations",
            at("/reports/{w.reports[kitui]}/escalations", {"duty_bearer_id": 1, "how": "letter"}),
            only({C: 201, L: 201, A: 201}),
        ),
        (
            "POST",
            "/reports/{report_id}/escalations",
            at("/reports/{w.reports[kwale]}/escalations", {"duty_bearer_id": 1, "how": "letter"}),
            only({C: 404, L: 201, A: 201}),
        ),
        (
            "POST",
            "/reports/{report_id}/response",
            at("/reports/{w.reports[kitui]}/response", {"response": "We will inspect."}),
            only({C: 201, L: 201, A: 201}),
        ),
        (
            "GET",
            "/reports/{report_id}/escalations",
            at("/reports/{w.reports[kitui]}/escalations"),
            only({V: 200, C: 200, L: 200, A: 200}),
        ),
        (
            "GET",
            "/reports/{report_id}/escalations",
            at("/reports/{w.reports[sensitive]}/escalations"),
            only({V: 404, C: 404, L: 200, A: 200}),
        ),
    ],
    "users": [
        ("GET", "/users", at("/users"), only({L: 200, A: 200})),
        ("POST", "/users", at("/users", _user), only({L: 201, A: 201})),
        ("GET", "/users/{user_id}", at("/users/{w.user_ids[viewer]}"), only({L: 200, A: 200})),
        (
            "PATCH",
            "/users/{user_id}",
            at("/users/{w.user_ids[viewer]}", {"language": "sw"}),
            only({L: 200, A: 200}),
        ),
        (
            "POST",
            "/users/{user_id}/reset-link",
            at("/users/{w.user_ids[viewer]}/reset-link"),
            only({L: 201, A: 201}),
        ),
        ("GET", "/audit", at("/audit"), only({L: 200, A: 200})),
    ],
    "tokens": [
        ("GET", "/tokens", at("/tokens"), only({L: 200, A: 200})),
        (  # no such token: the callers' own tokens stay good for the next rows
            "POST",
            "/tokens/{token_id}/revoke",
            at("/tokens/99999/revoke"),
            only({L: 404, A: 404}),
        ),
    ],
}
TABLE: list[Row] = [row for rows in AREAS.values() for row in rows]


@pytest.mark.parametrize("area", AREAS)
def test_every_endpoint_with_every_role(world, area):
    """Does each role get what the table says from each endpoint of the area, refusals being
    JSON that names the role? (One world per area, the rows in order: fewer password hashes.)"""
    wrong = []
    for method, _, make, expected in AREAS[area]:
        got = {}
        for role in ROLES:
            path, body, query = make(world, role)
            response = world.call(role, method, path, body, query)
            got[role] = response.status_code
            if response.status_code in (403, 404):
                assert response.is_json and response.json["message"], (role, path)
            if response.status_code == 403:
                assert world_role(role) in response.json["message"], response.json
        if got != expected:
            wrong.append(
                (method, path, {r: (got[r], expected[r]) for r in ROLES if got[r] != expected[r]})
            )
    assert wrong == []


def world_role(role: str) -> str:
    return "admin" if role == "legacy" else role


def test_the_table_covers_every_operation_and_the_document_names_401_and_403(client):
    """Is every operation of the OpenAPI document in the table, with a 401 and a 403 that
    names the roles it is for?"""
    spec = client.get("/api/v1/openapi.json").json
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    }
    assert documented == {(method, path) for method, path, _, _ in TABLE}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "401" in responses and "403" in responses, (method, path)
            assert responses["403"]["description"].startswith("Forbidden: only for admin")
    users = spec["paths"]["/api/v1/users"]["get"]["responses"]["403"]["description"]
    assert users == "Forbidden: only for admin tokens."
    contacts = spec["paths"]["/api/v1/contacts/{phone}"]["get"]["responses"]["403"]["description"]
    assert contacts == "Forbidden: only for admin, coordinator, viewer tokens."


def test_lists_hide_other_counties_shows_and_sensitive_reports(world):
    """Does a coordinator's report list hold their county's only, a viewer's no sensitive
    one, a host's show list their own shows only, and a coordinator's messages of another
    county's number nothing?"""

    def references(role: str, **query: str) -> set[str]:
        response = world.call(role, "GET", "/reports", query=query)
        assert response.status_code == 200
        return {row["reference"] for row in response.json}

    assert references("admin") == {"R-KITUI", "R-KWALE", "R-SENSIT"}
    assert references("legacy") == {"R-KITUI", "R-KWALE", "R-SENSIT"}
    assert references("viewer") == {"R-KITUI", "R-KWALE"}
    assert references("coordinator") == {"R-KITUI"}
    assert references("coordinator", county="Kwale") == set()
    kitui = world.call("coordinator", "GET", f"/reports/{world.reports['kitui']}").json
    assert kitui["description"] == "A water problem in Kitui"
    assert kitui["phone"] == "+2547••••••01"  # masked

    shows = world.call("radio_host", "GET", "/radio/shows").json
    assert [show["name"] for show in shows] == ["Sauti ya Mui"]
    assert {s["name"] for s in world.call("viewer", "GET", "/radio/shows").json} == {
        "Sauti ya Mui",
        "Bahari",
    }
    feed = world.call(
        "radio_host", "GET", f"/radio/shows/{world.shows['own']}/feed", query={"episode": "all"}
    ).json
    assert [item["text"] for item in feed["items"]] == ["Hello Sauti ya Mui"]

    with world.app.app_context():
        for phone, contact in (
            (KITUI_PHONE, world.kitui_contact),
            (KWALE_PHONE, world.kwale_contact),
        ):
            db.session.add(
                Message(
                    direction="in",
                    kind="inbox",
                    phone=phone,
                    text=f"hi from {phone}",
                    encoding="gsm",
                    segments=1,
                    status="received",
                    contact_id=contact,
                )
            )
        db.session.commit()
    mine = world.call("coordinator", "GET", "/messages", query={"phone": KITUI_PHONE}).json
    assert f"hi from {KITUI_PHONE}" in {m["text"] for m in mine}
    assert world.call("coordinator", "GET", "/messages", query={"phone": KWALE_PHONE}).json == []
    theirs = world.call("viewer", "GET", "/messages", query={"phone": KWALE_PHONE}).json
    assert [m["text"] for m in theirs] == [f"hi from {KWALE_PHONE}"]


def test_refused_changes_change_nothing(world):
    """Does a refused write leave the database as it was (no contact, no meeting, no status)?"""
    phone = _fresh_phone()
    for role in ("viewer", "coordinator"):
        body = {"phone": phone, "language": "en", "county": "Kwale"}
        assert world.call(role, "POST", "/contacts", body).status_code == 403
    assert (
        world.call(
            "viewer", "PATCH", f"/reports/{world.reports['kitui']}", {"status": "closed"}
        ).status_code
        == 403
    )
    assert (
        world.call(
            "coordinator", "PATCH", f"/reports/{world.reports['kwale']}", {"status": "closed"}
        ).status_code
        == 404
    )
    with world.app.app_context():
        assert db.session.scalar(select(Contact).where(Contact.phone == phone)) is None
        statuses = dict(db.session.execute(select(Report.reference, Report.status)).all())
        assert statuses == {"R-KITUI": "new", "R-KWALE": "new", "R-SENSIT": "new"}
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_coordinator_triages_and_replies_by_sms(world, workers, emulator):
    """Does a coordinator's status change, assignment and reply land: audited under their
    name, and the reply at the reporter's phone through the worker and the emulator?"""
    report = world.reports["kitui"]
    coordinator = world.user_ids["coordinator"]
    changed = world.call(
        "coordinator",
        "PATCH",
        f"/reports/{report}",
        {"status": "in_progress", "assigned_to_id": coordinator},
    )
    assert changed.json["status"] == "in_progress" and changed.json["assigned_to_id"] == coordinator
    bad = world.call(
        "coordinator", "PATCH", f"/reports/{report}", {"assigned_to_id": world.user_ids["viewer"]}
    )
    assert bad.status_code == 422 and "assigned_to_id" in bad.json["errors"]["json"]
    for other in ("kwale", "sensitive"):  # the coordinator may not read these: not theirs
        refused = world.call(
            "admin", "PATCH", f"/reports/{world.reports[other]}", {"assigned_to_id": coordinator}
        )
        assert refused.status_code == 422
    reply = world.call(
        "coordinator",
        "POST",
        f"/reports/{report}/reply",
        {"text": "The water office visits Mui on Friday."},
    )
    assert reply.status_code == 202 and reply.json["to"] == "+2547••••••01"
    workers.drain()
    texts = [m["text"] for m in emulator.messages() if m["to"] == KITUI_PHONE]
    # The status change is told to the reporter too (a report is a case), then the reply.
    assert texts[0] == "HMK: we are following up your report R-KITUI."
    assert len(texts) == 2 and "The water office visits Mui on Friday." in texts[1]
    assert "R-KITUI" in texts[1]
    log = world.call("admin", "GET", "/audit", query={"actor": "coordinator"}).json
    assert [e["action"] for e in log] == ["report.reply", "report.assign", "report.status"]
    assert KITUI_PHONE not in str(log) and log[0]["details"]["to"] == "+2547••••••01"
    only_status = world.call("admin", "GET", "/audit", query={"action": "report.status"}).json
    assert [e["target_id"] for e in only_status] == [str(report)]


def test_users_api_creates_with_a_reset_link_and_deactivates(world):
    """Does an admin token create a coordinator (a reset link shown once), refuse one
    without a county and a duplicate, and a deactivated user's token stop working?"""
    created = world.call(
        "admin",
        "POST",
        "/users",
        {
            "email": "Wanjiru@HMK.example",
            "role": "coordinator",
            "name": "Wanjiru",
            "counties": ["Kwale"],
        },
    )
    assert created.status_code == 201
    assert created.json["email"] == "wanjiru@hmk.example" and created.json["counties"] == ["Kwale"]
    assert "/admin/reset/" in created.json["reset_link"]
    listed = world.call("admin", "GET", "/users").json
    assert "wanjiru@hmk.example" in {u["email"] for u in listed}
    assert all("reset_link" not in u and "password_hash" not in u for u in listed)
    again = world.call(
        "admin", "POST", "/users", {"email": "wanjiru@hmk.example", "role": "viewer"}
    )
    assert again.status_code == 409
    lonely = world.call(
        "admin", "POST", "/users", {"email": "x@hmk.example", "role": "coordinator"}
    )
    assert lonely.status_code == 400 and "counties" in lonely.json["errors"]["json"]
    self_demote = world.call(
        "admin", "PATCH", f"/users/{world.user_ids['admin']}", {"role": "viewer"}
    )
    assert self_demote.status_code == 400
    viewer = world.user_ids["viewer"]
    assert world.call("viewer", "GET", "/reports").status_code == 200
    off = world.call("admin", "PATCH", f"/users/{viewer}", {"active": False})
    assert off.status_code == 200 and off.json["active"] is False
    assert world.call("viewer", "GET", "/reports").status_code == 401
    with world.app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["user.create", "user.deactivate"]


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_expired_and_revoked_tokens_are_refused(world, state):
    """Is a token past its expiry, or revoked, refused with a JSON 401 everywhere?"""
    with world.app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "admin"))
        if state == "expired":
            row.expires_at = utcnow() - timedelta(seconds=1)
        else:
            row.revoked_at = utcnow()
        db.session.commit()
    for path in ("/reports", "/users", "/radio/shows", f"/contacts/{KITUI_PHONE}"):
        response = world.call("admin", "GET", path)
        assert response.status_code == 401 and "expired" in response.json["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert world.call("legacy", "GET", "/reports").status_code == 200


def test_the_radio_board_and_stream_follow_the_api_roles(world):
    """Does each token open the studio board and stream of exactly the shows the API shows it
    (a host: their own; a coordinator: none), do refusals show no listener's words, and does a
    board opened with a token hand out no link key of its own?"""
    with world.app.app_context():
        db.session.get(RadioMessage, world.items["own"]).hidden = True
        db.session.commit()
    readable = {"own": 200, "other": 200}
    expected = {
        "admin": readable,
        "legacy": readable,
        "viewer": readable,
        "radio_host": {"own": 200, "other": 404},
        "coordinator": {"own": 403, "other": 403},
    }
    got: dict[str, dict[str, int]] = {}
    for role in ROLES:
        headers = {"Authorization": f"Bearer {world.tokens[role]}"}
        got[role] = {}
        for name, show_id in world.shows.items():
            statuses = set()
            for route in ("board", "stream?all=1"):
                response = world.client.get(f"/radio/shows/{show_id}/{route}", headers=headers)
                statuses.add(response.status_code)
                if response.status_code != 200:
                    assert "Hello" not in response.get_data(as_text=True), (role, route)
            assert len(statuses) == 1, (role, name, statuses)
            got[role][name] = statuses.pop()
    assert got == expected

    headers = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    page = world.client.get(f"/radio/shows/{world.shows['own']}/board", headers=headers)
    stream_url = html.unescape(re.search(r'data-stream="([^"]+)"', page.get_data(as_text=True))[1])
    assert "key=" not in stream_url
    assert world.client.get(stream_url).status_code == 401  # the page's link needs the token


def test_a_coordinator_cannot_tell_which_numbers_other_counties_hold(world):
    """Does a Kitui coordinator adding a number that Kwale holds get the same answer as for a
    number the gateway does not hold, while the Kwale contact is left as it was (and an
    admin, or a number of their own county, still gets the 409)?"""
    consent = {"channel": "meeting", "wording_version": "consent.v1"}

    def add(role: str, phone: str) -> Any:
        body = {"phone": phone, "language": "sw", "county": "Kitui", "consent": consent}
        return world.call(role, "POST", "/contacts", body)

    with world.app.app_context():
        before = db.session.scalar(select(Contact).where(Contact.phone == KWALE_PHONE))
        kept = (before.language, before.county, before.ward, before.consent_at)
        events = len(before.consent_events)
    fresh = _fresh_phone()
    new, held = add("coordinator", fresh), add("coordinator", KWALE_PHONE)
    assert (new.status_code, held.status_code) == (201, 201), held.json
    unlike = {"id", "phone", "created_at", "consent_at", "consent_events"}
    assert set(held.json) == set(new.json)
    assert {k: v for k, v in held.json.items() if k not in unlike} == {
        k: v for k, v in new.json.items() if k not in unlike
    }
    assert held.json["phone"] == KWALE_PHONE
    assert [
        {k: v for k, v in e.items() if k != "created_at"} for e in held.json["consent_events"]
    ] == [{k: v for k, v in e.items() if k != "created_at"} for e in new.json["consent_events"]]
    assert isinstance(held.json["id"], int)
    with world.app.app_context():
        after = db.session.scalar(select(Contact).where(Contact.phone == KWALE_PHONE))
        assert (after.language, after.county, after.ward, after.consent_at) == kept
        assert len(after.consent_events) == events
    assert add("coordinator", fresh).status_code == 409  # their own county's: as before
    assert add("admin", KWALE_PHONE).status_code == 409
