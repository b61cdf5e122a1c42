"""The voice flow's own handlers: the caller's language, their consent, and STOP."""

from __future__ import annotations

from gateway.contacts.service import get_or_create_contact, opt_out, record_consent
from gateway.contacts.wordings import VOICE_CONSENT
from gateway.voice.engine import CallContext
from gateway.voice.registry import action, condition


@condition("needs_language")
def needs_language(ctx: CallContext) -> bool:
    return not ctx.data.get("language") and (ctx.contact is None or not ctx.contact.language)


@condition("needs_consent")
def needs_consent(ctx: CallContext) -> bool:
    """Nothing about a caller is kept before they agree; one who stopped is asked again."""
    contact = ctx.contact
    return contact is None or contact.consent_at is None or contact.opted_out_at is not None


@action("set_language")
def set_language(ctx: CallContext, language: str | None) -> None:
    """The call speaks ``language`` from now on; a known contact keeps it."""
    ctx.data["language"] = language
    if ctx.contact is not None and not needs_consent(ctx):
        ctx.contact.language = language


@action("record_voice_consent")
def record_voice_consent(ctx: CallContext, _value: str | None) -> None:
    """The caller pressed "yes" to the consent wording they just heard, in their language."""
    language = ctx.language
    contact = ctx.contact or get_or_create_contact(ctx.phone)
    ctx.contact = contact
    contact.language = language
    record_consent(
        contact,
        channel="voice",
        wording_version=VOICE_CONSENT,
        wording_text=ctx.catalogs.text(VOICE_CONSENT, language),
        language=language,
    )


@action("stop_messages")
def stop_messages(ctx: CallContext, _value: str | None) -> None:
    if ctx.contact is not None:
        opt_out(ctx.contact, channel="voice")
