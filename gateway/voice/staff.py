"""Staff record prompts by phone (``flows/voice_staff.yaml``): a call to the voice number from
a user's number (one with a voice PIN, :mod:`gateway.users.voice_pin`) is answered, not
rejected: the staff member pays for their own call. They key their PIN, choose the language
and the prompt's number (shown on the admin's Voice prompts page), hear its script and its
current recording, record, listen, and keep the take or record again.

Admins and coordinators record (as they upload on the Voice prompts page). The call
remembers who signed in (``user_id``), never the PIN. A kept take goes through the
upload's checks (:func:`gateway.voice.recorded.keep_take`); one refused is explained and
recorded again.
"""

from __future__ import annotations

import logging

from gateway.extensions import db
from gateway.phones import mask_phone
from gateway.settings import current_settings
from gateway.users import audit
from gateway.users.models import ADMIN, COORDINATOR, User
from gateway.users.voice_pin import check_voice_pin, user_of_phone
from gateway.voice.answering import answer_inbound
from gateway.voice.engine import CallContext
from gateway.voice.recorded import keep_take, row_numbered, row_of
from gateway.voice.registry import action, condition, sounds
from gateway.voice.staff_pin import is_locked, note_failure, note_success
from gateway.voice.xml import Play, Prompt, Say

log = logging.getLogger(__name__)

PURPOSE = "staff"
RECORDERS = (ADMIN, COORDINATOR)  # who may record prompts, by upload or by phone
PIN_TRIES = 3  # wrong PINs in one call before goodbye
# Why a take was refused, as the staff member hears it.
REFUSALS = {
    "too_short": "voice.staff.refused.too_short",
    "too_long": "voice.staff.refused.too_long",
    "too_quiet": "voice.staff.refused.too_quiet",
    "clipped": "voice.staff.refused.clipped",
    "not_audio": "voice.staff.refused.not_audio",
    "too_big": "voice.staff.refused.too_long",
    "unreachable": "voice.staff.refused.unreachable",
}


def is_staff_caller(phone: str) -> bool:
    return user_of_phone(phone, RECORDERS) is not None


answer_inbound(PURPOSE, "voice_staff.yaml", is_staff_caller)


def _user(ctx: CallContext) -> User | None:
    """The staff member who keyed their PIN in this call (still active), or None."""
    user_id = ctx.data.get("user_id")
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active and user.role in RECORDERS else None


# -- signing in ------------------------------------------------------------------------------


@action("staff_start")
def staff_start(ctx: CallContext, _value: str | None) -> None:
    """The call speaks the staff member's admin language."""
    user = user_of_phone(ctx.phone, RECORDERS)
    if user is not None:
        ctx.data["language"] = user.language


@action("staff_check_pin")
def staff_check_pin(ctx: CallContext, pin: str | None) -> None:
    if is_locked(ctx.phone):
        ctx.data["locked"] = True
        return
    user = user_of_phone(ctx.phone, RECORDERS)
    if user is not None and check_voice_pin(user, pin or ""):
        ctx.data["user_id"] = user.id
        note_success(ctx.phone)
        log.info("voice: staff %s signed in from %s", user.id, mask_phone(ctx.phone))
        return
    ctx.data["pin_failures"] = int(ctx.data.get("pin_failures", 0)) + 1
    if note_failure(ctx.phone):
        ctx.data["locked"] = True
        log.warning("voice: staff number %s locked: wrong PINs", mask_phone(ctx.phone))
        if user is not None:
            masked = mask_phone(ctx.phone)
            audit.record_by(user, "voice.staff_locked", "user", user.id, phone=masked)


@condition("staff_locked")
def staff_locked(ctx: CallContext) -> bool:
    return bool(ctx.data.get("locked")) or is_locked(ctx.phone)


@condition("staff_signed_in")
def staff_signed_in(ctx: CallContext) -> bool:
    return _user(ctx) is not None


@condition("staff_pin_tries_used")
def staff_pin_tries_used(ctx: CallContext) -> bool:
    return int(ctx.data.get("pin_failures", 0)) >= PIN_TRIES


# -- choosing what to record -------------------------------------------------------------------


@action("staff_record_language")
def staff_record_language(ctx: CallContext, language: str | None) -> None:
    ctx.data["record_language"] = language


@action("staff_choose_prompt")
def staff_choose_prompt(ctx: CallContext, digits: str | None) -> None:
    ctx.data.pop("prompt", None)
    ctx.data.pop("take", None)
    number = int(digits) if digits and digits.isdigit() else 0
    row = row_numbered(number) if _user(ctx) is not None else None
    if row is not None and row.cells[ctx.data.get("record_language") or "en"].applies:
        ctx.data["prompt"] = row.key


@condition("staff_prompt_chosen")
def staff_prompt_chosen(ctx: CallContext) -> bool:
    return bool(ctx.data.get("prompt"))


@sounds("staff_script")
def staff_script(ctx: CallContext) -> list[Prompt | str]:
    """What the chosen recording says in the language being recorded."""
    row = row_of(ctx.data.get("prompt") or "")
    script = row.scripts.get(ctx.data.get("record_language") or "en") if row else None
    return [Say(script)] if script else []


def _current_url(ctx: CallContext) -> str | None:
    row = row_of(ctx.data.get("prompt") or "")
    if row is None:
        return None
    cell = row.cells.get(ctx.data.get("record_language") or "en")
    if cell is None or cell.url is None or not cell.applies:
        return None
    return current_settings().public_url.rstrip("/") + cell.url


@condition("staff_has_recording")
def staff_has_recording(ctx: CallContext) -> bool:
    return _current_url(ctx) is not None


@sounds("staff_current")
def staff_current(ctx: CallContext) -> list[Prompt | str]:
    url = _current_url(ctx)
    return [Play(url)] if url else []


# -- recording, listening, keeping -------------------------------------------------------------


@action("staff_take")
def staff_take(ctx: CallContext, url: str | None) -> None:
    ctx.data["take"] = url
    ctx.data.pop("refusal", None)


@sounds("staff_take")
def staff_take_sound(ctx: CallContext) -> list[Prompt | str]:
    take = ctx.data.get("take")
    return [Play(str(take))] if take else []


@action("staff_keep")
def staff_keep(ctx: CallContext, _value: str | None) -> None:
    user, key, take = _user(ctx), ctx.data.get("prompt"), ctx.data.get("take")
    language = ctx.data.get("record_language") or "en"
    if user is None or not key or not take:
        ctx.data["refusal"] = "not_audio"
        return
    refusal = keep_take(user, str(key), language, str(take))
    if refusal is None:
        ctx.data.pop("take", None)
        ctx.data.pop("refusal", None)
        log.info("voice: staff %s recorded %s in %s by phone", user.id, key, language)
    else:
        ctx.data["refusal"] = refusal


@condition("staff_kept")
def staff_kept(ctx: CallContext) -> bool:
    return not ctx.data.get("refusal")


@sounds("staff_refusal")
def staff_refusal(ctx: CallContext) -> list[Prompt | str]:
    return [REFUSALS.get(str(ctx.data.get("refusal")), REFUSALS["not_audio"])]
