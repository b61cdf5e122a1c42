"""The inbound SMS router: an ordered list of routes, the first that takes an SMS has it.

Areas define their routes; :func:`gateway.wiring.inbound_routes` puts them in order, and the app
is given that list at start (:func:`init_app`). What no route takes goes to the inbox
(:mod:`gateway.sms.inbound`). A route's ``match`` is a cheap look (which keyword, if any); its
``handle`` may still find the SMS is not its own (None), and the next route looks at it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask, current_app

from gateway.contacts.models import Contact
from gateway.sms.keywords import KeywordMatch
from gateway.sms.models import Message

Check = Callable[[Message, Contact, KeywordMatch | None], bool]
Handler = Callable[[Message, Contact, KeywordMatch | None], str | None]


def any_sms(message: Message, contact: Contact, keyword: KeywordMatch | None) -> bool:
    return True


def no_keyword(message: Message, contact: Contact, keyword: KeywordMatch | None) -> bool:
    """An SMS that starts with none of the gateway's own keywords (STOP, YES, NEXT...)."""
    return keyword is None


def keyword_in(*names: str) -> Check:
    """An SMS that starts with one of the keywords ``names`` (see :mod:`gateway.sms.keywords`)."""

    def check(message: Message, contact: Contact, keyword: KeywordMatch | None) -> bool:
        return keyword is not None and keyword.name in names

    return check


@dataclass(frozen=True)
class Route:
    name: str  # what it takes, as the route order is printed
    handle: Handler  # the outcome logged, or None: not this route's after all
    match: Check = any_sms


@dataclass(frozen=True)
class Taken:
    route: str
    outcome: str


def route(
    routes: Sequence[Route], message: Message, contact: Contact, keyword: KeywordMatch | None
) -> Taken | None:
    """The first of ``routes`` that takes ``message``, and its outcome; None if none does."""
    for candidate in routes:
        if candidate.match(message, contact, keyword):
            outcome = candidate.handle(message, contact, keyword)
            if outcome is not None:
                return Taken(candidate.name, outcome)
    return None


def mark_keyword(message: Message, contact: Contact, keyword: KeywordMatch) -> None:
    """Record that ``message`` was the keyword, and take its language if the contact has none."""
    message.kind = f"keyword:{keyword.name}"
    if contact.language is None:
        contact.language = keyword.language


def init_app(app: Flask, routes: Sequence[Route]) -> None:
    app.extensions["inbound_routes"] = tuple(routes)


def inbound_routes() -> tuple[Route, ...]:
    """The app's routes, in order."""
    found: tuple[Route, ...] = current_app.extensions["inbound_routes"]
    return found
