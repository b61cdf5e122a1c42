"""Joining a platform by SMS: ``JIUNGE MUI`` / ``JOIN MUI`` (any language's JOIN word, then the
platform's code, in any case).

``JOIN`` alone is the system keyword (consent to the gateway's messages): this route comes
before it in :func:`gateway.wiring.inbound_routes` and leaves it every JOIN with nothing after
it, and every JOIN while no platform exists at all (then ``JOIN me`` means what it always
meant). A code no platform has is answered with the codes of the sender's county (or every
code, for a sender whose county is not known), and the sender is not joined to anything.
"""

from __future__ import annotations

from gateway.contacts.models import Contact
from gateway.contacts.wordings import SMS_JOIN
from gateway.platforms.service import any_platform, join, platform_by_code, platforms_in
from gateway.sms.keywords import KeywordMatch, fold
from gateway.sms.models import Message
from gateway.sms.router import Route, keyword_in, mark_keyword
from gateway.sms.texts import reply


def _join_platform(message: Message, contact: Contact, match: KeywordMatch | None) -> str | None:
    assert match is not None
    words = match.rest.split()
    if not words or not any_platform():
        return None  # the system JOIN's
    mark_keyword(message, contact, match)
    code = fold(words[0])  # "Mui." is MUI
    platform = platform_by_code(code)
    if platform is None:
        known = platforms_in(contact.county) or platforms_in(None)
        reply(
            contact,
            "sms.platform.unknown",
            kind="platform_join",
            code=code.upper()[:16],
            codes=", ".join(p.code for p in known),
        )
        return "unknown platform code"
    _, new = join(platform, contact, via="sms", consent=(SMS_JOIN, message.text))
    key = "sms.platform.joined" if new else "sms.platform.already"
    reply(contact, key, kind="platform_join", platform=platform.name)
    return f"joined platform {platform.code}" if new else f"already in platform {platform.code}"


JOIN_PLATFORM = Route("JOIN <platform code>", _join_platform, keyword_in("join"))
