"""Catalog texts as they are sent (GSM-7), in a language or a contact's, and whether they fit;
and the one way to send a contact a text in their language (:func:`reply`, :func:`reply_text`).
"""

from __future__ import annotations

from functools import partial

from gateway.contacts.models import Contact
from gateway.encoding import analyse, transliterate
from gateway.i18n import catalogs
from gateway.settings import current_settings
from gateway.sms.models import Message
from gateway.sms.outbound import queue_sms
from gateway.sms.replies import queue_reply

SMS_LIMIT = 2  # segments: what the gateway's own texts may take, with the longest values


def say(key: str, language: str, **values: object) -> str:
    """The catalog text ``key`` in ``language`` (or its fallback) as it is sent, with the USSD
    code and the short code filled in."""
    settings = current_settings()
    values.setdefault("code", settings.ussd_code)
    values.setdefault("shortcode", settings.at_shortcode)
    return transliterate(catalogs().text(key, language, **values))


def language_of(contact: Contact) -> str:
    """The language ``contact`` is written to in: theirs, or the default."""
    return contact.language or current_settings().default_language


def render(contact: Contact, key: str, **values: object) -> str:
    """The catalog text ``key`` in ``contact``'s language, as it is sent."""
    return say(key, language_of(contact), **values)


def reply(
    contact: Contact,
    key: str,
    *,
    kind: str,
    ignores_opt_out: bool = False,
    ignores_limit: bool | None = None,
    by_staff: bool = False,
    phone: str | None = None,
    **values: object,
) -> Message:
    """Queue the catalog text ``key`` to ``contact`` in their language: see :func:`reply_text`."""
    return reply_text(
        contact,
        render(contact, key, **values),
        kind=kind,
        ignores_opt_out=ignores_opt_out,
        ignores_limit=ignores_limit,
        by_staff=by_staff,
        phone=phone,
    )


def reply_text(
    contact: Contact,
    text: str,
    *,
    kind: str,
    ignores_opt_out: bool = False,
    ignores_limit: bool | None = None,
    by_staff: bool = False,
    phone: str | None = None,
) -> Message:
    """Queue ``text``, written in ``contact``'s language, to them: a reply (see
    :mod:`gateway.sms.replies`: limited by country and per number), or with ``by_staff`` an
    officer's text (not limited).

    Args:
        ignores_opt_out: It goes after a STOP too (the person's own exchange about their data).
        ignores_limit: It goes past the per-number limit; by default as ``ignores_opt_out``
            (the STOP confirmation always goes).
        phone: The number, when the contact no longer holds it (a deletion's last answer).
    """
    if ignores_limit is None:
        ignores_limit = ignores_opt_out
    send = queue_sms if by_staff else partial(queue_reply, ignores_limit=ignores_limit)
    return send(
        phone=phone or contact.phone,
        text=text,
        kind=kind,
        contact=contact,
        language=language_of(contact),
        ignores_opt_out=ignores_opt_out,
    )


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
