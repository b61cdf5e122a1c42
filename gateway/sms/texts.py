"""Catalog texts in a given language, as they are sent (GSM-7), and whether they fit."""

from __future__ import annotations

from gateway.encoding import analyse, transliterate
from gateway.i18n import catalogs
from gateway.settings import current_settings

SMS_LIMIT = 2  # segments: what the gateway's own texts may take, with the longest values


def say(key: str, language: str, **values: object) -> str:
    """The catalog text ``key`` in ``language`` (or its fallback) as it is sent, with the USSD
    code and the short code filled in."""
    settings = current_settings()
    values.setdefault("code", settings.ussd_code)
    values.setdefault("shortcode", settings.at_shortcode)
    return transliterate(catalogs().text(key, language, **values))


def with_optout_hint(text: str, language: str) -> str:
    """A bulk SMS as it is sent: ``text`` ending with the way out in the recipient's
    ``language`` ("STOP to 22384"), as ``GATEWAY_OPTOUT_HINT`` says: ``fit`` adds it only when
    the text stays in as many segments (the hint costs nothing then), ``always``, or ``off``.
    A text that already names the way out, or is empty, is left as it is."""
    settings = current_settings()
    if settings.optout_hint == "off" or not text.strip():
        return text
    hint = say("sms.optout_hint", language)
    if hint.casefold() in text.casefold():
        return text
    hinted = f"{text}\n{hint}"
    if settings.optout_hint == "always" or analyse(hinted).segments <= analyse(text).segments:
        return hinted
    return text


def fits(text: str) -> bool:
    """Whether ``text`` goes in at most :data:`SMS_LIMIT` SMS."""
    return analyse(text).segments <= SMS_LIMIT
