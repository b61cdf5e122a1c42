"""What the tests compare against: the texts the gateway sends, and what a phone received."""

from __future__ import annotations

from typing import Any

from flask import Flask

from gateway.encoding import transliterate


def text(app: Flask, key: str, language: str, **values: object) -> str:
    """What the gateway sends for ``key`` in ``language`` (with the test settings' USSD code
    and shortcode, as every reply has them)."""
    values.setdefault("code", "*384*123#")
    values.setdefault("shortcode", "22384")
    return transliterate(app.extensions["catalogs"].text(key, language, **values))


def received(emulator: Any, phone: str) -> list[str]:
    """The texts the emulator was handed for ``phone``, oldest first."""
    return [m["text"] for m in emulator.messages() if m["to"] == phone]


def confirmation(page: str) -> dict[str, str]:
    """The fields of an estimate's confirmation form (the form as posted and the estimate's
    token), without the CSRF token."""
    import html
    import re

    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in hidden if name != "csrf_token"}


def send_confirmed(session: Any, path: str, data: dict[str, str], page: str) -> Any:
    """Post a form that sends, then confirm the estimate it shows, as an officer does."""
    asked = session.post(path, data, page=page)
    shown = asked.get_data(as_text=True)
    if asked.status_code != 200 or 'name="estimate_token"' not in shown:
        return asked
    return session.post(path, confirmation(shown), page=page)
