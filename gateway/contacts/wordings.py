"""The consent wordings the gateway knows: the only versions a consent is recorded with.

Each version is the key of its words in ``messages/<lang>/LC_MESSAGES/messages.po``, so the
words a person agreed to can always be read back in their language. A published wording is
never edited: new words are a new version (``consent.v2``), added to the catalogs and here.
Anything else offered as a wording (an import's ``yes`` or ``no``, an API client's ``1``) is
refused, so that no answer is ever mistaken for consent.
"""

from __future__ import annotations

from gateway.i18n import catalogs

USSD_CONSENT = "consent.v1"  # the question of the USSD join screen (ussd.join.consent)
SMS_JOIN = "sms.join"  # texting JOIN; the answer (this key) says how to stop
VOICE_CONSENT = "voice.consent.v1"  # spoken to a first-time caller on the voice line
WORDINGS: tuple[str, ...] = (USSD_CONSENT, SMS_JOIN, VOICE_CONSENT)


def known_wording(value: str) -> str | None:
    """The known version ``value`` names (any case, spaces around it), or None."""
    wanted = value.strip().casefold()
    return next((version for version in WORDINGS if version.casefold() == wanted), None)


def wordings_in(language: str) -> list[tuple[str, str]]:
    """Each known version with its words in ``language`` (or its fallback), placeholders such
    as ``{county}`` as they are, to show an officer what each version means."""
    return [(version, catalogs().raw(version, language)[0]) for version in WORDINGS]


def accepted_wordings() -> str:
    """The known versions, for a message that names them: ``consent.v1, sms.join``."""
    return ", ".join(WORDINGS)
