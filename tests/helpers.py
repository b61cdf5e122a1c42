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
