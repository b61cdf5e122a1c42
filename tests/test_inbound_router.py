"""The inbound SMS router: its order, as wired, and how a route takes an SMS."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import factories

from gateway.contacts.models import Contact
from gateway.extensions import db, utcnow
from gateway.polls.sms import find_poll
from gateway.sms.models import Message
from gateway.sms.router import Route, keyword_in, no_keyword, route
from gateway.surveys.models import Survey
from gateway.surveys.taking import find_survey
from gateway.wiring import inbound_routes

ORDER = [
    "JOIN <platform code>",
    "STOP, JOIN, HELP",
    "FUTA/DELETE: a person's own data",
    "leader commands: TANGAZA, HUDHURIA, THIBITISHA, KATAA",
    "meeting code (MUI12): attendance",
    "poll keyword with a vote, or alone",
    "radio show on air: its keyword or short code",
    "consultation keyword",
    "survey keyword",
    "answer to the waiting survey question",
    "answer to the commitment follow-up asked last",
    "poll keyword with anything else",
    "bare number: the poll question asked last",
    "words after a consultation's clause",
    "YES, NO: the meeting announced (two or more: which one?)",
    "NEXT: the next guide excerpt",
]
FEATURES = {
    "admin",
    "broadcasts",
    "consultations",
    "commitments",
    "guides",
    "meetings",
    "platforms",
    "leaders",
    "polls",
    "privacy",
    "radio",
    "reports",
    "surveys",
    "wiring",
}


def test_the_route_order_reads_top_to_bottom(app):
    """Is an incoming SMS offered to the routes in the wired order (printed here), the inbox
    taking what none takes."""
    names = [r.name for r in app.extensions["inbound_routes"]]
    print("\ninbound route order:")
    for number, name in enumerate([*names, "inbox (what no route takes)"], start=1):
        print(f"{number:3}. {name}")
    assert names == ORDER
    assert [r.name for r in inbound_routes()] == ORDER


def test_the_first_route_that_takes_an_sms_has_it():
    """Is an SMS handled by the first route that matches and takes it, a route that matches
    but finds it is not its own letting the next one look, and the later ones never asked."""
    asked: list[str] = []

    def handler(name: str, outcome: str | None):
        def handle(message, contact, keyword):
            asked.append(name)
            return outcome

        return handle

    routes = [
        Route("keyword only", handler("keyword only", "kw"), keyword_in("stop")),
        Route("declines", handler("declines", None)),
        Route("takes", handler("takes", "taken")),
        Route("takes too", handler("takes too", "too late")),
    ]
    taken = route(routes, Message(text="hello"), Contact(phone="+254711000001"), None)
    assert taken is not None and (taken.route, taken.outcome) == ("takes", "taken")
    assert asked == ["declines", "takes"]
    assert route(routes[:2], Message(text="hi"), Contact(phone="+254711000001"), None) is None
    assert no_keyword(Message(text="hi"), Contact(phone="+254711000001"), None)


def test_an_exact_keyword_of_one_kind_is_never_a_typo_of_anothers(app):
    """Is a word that is exactly a survey's keyword never taken for a typo of a poll's, nor the
    reverse, while a word that is nobody's keyword still finds the keyword it misses by one."""
    polls = factories.polls(app)  # ZAMANI: a poll closed a day ago
    with app.app_context():
        now = utcnow()
        db.session.add(
            Survey(
                keyword="ZAMANA", title={"en": "Then"}, opens_at=now, closes_at=now + timedelta(1)
            )
        )
        db.session.commit()
        assert find_poll("zamana") is None
        assert find_survey("Zamani") is None
        assert getattr(find_survey("zamana"), "keyword", None) == "ZAMANA"
        assert getattr(find_poll("ZAMANY"), "id", None) == polls["closed"]


def test_the_sms_layer_imports_no_area():
    """Does no module of gateway/sms import an area (they plug in through gateway.wiring)."""
    found = []
    for path in sorted((Path(__file__).parent.parent / "gateway" / "sms").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "gateway" and len(parts) > 1 and parts[1] in FEATURES:
                    found.append(f"{path.name}: {name}")
    assert found == []
