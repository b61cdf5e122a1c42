"""Free call-backs: a missed call to the voice number is answered by calling the person back.

A call-back is owed at most once per number per ``GATEWAY_CALLBACK_COOLDOWN``, only to Kenyan
numbers, and not while the month's budget is spent (it is held, and the dashboard counts it).
In the quiet hours it waits for their end, and a caller who agreed to SMS is told when to
expect it. The call itself is placed by a job after the commit, within a minute when due now;
a call-back whose request may have reached Africa's Talking is never placed again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from gateway.channels.africastalking import RequestRejected, TransientSendError
from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact
from gateway.encoding import transliterate
from gateway.extensions import db, redis_client, utcnow
from gateway.i18n import catalogs
from gateway.localized import when
from gateway.phones import mask_phone, region_of
from gateway.queues import CALL_RETRY, DEFAULT, enqueue_after_commit, job, periodic
from gateway.schedule import next_send_time
from gateway.settings import Settings, current_settings
from gateway.sms.replies import queue_reply
from gateway.spend import budget_spent
from gateway.voice.models import CallBack, VoiceCall, VoiceRecording

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
RECOVER_LOCK = "gateway:voice:recover:lock"  # one sweep a minute across every worker


def cooldown_key(phone: str, window: int) -> str:
    """The Redis key that stops two missed calls racing in one cooldown window from both
    being owed a call-back (``voice:callback:<phone>:*`` is erased with the person)."""
    return f"voice:callback:{phone}:{window}"


def owe_callback(call: VoiceCall, settings: Settings) -> tuple[CallBack | None, str]:
    """After a missed call: the call-back owed for it (None if none is), and why."""
    phone = call.phone
    if region_of(phone) != "KE":
        return None, "not a Kenyan number"
    now = utcnow()
    cooldown = settings.callback_cooldown_s
    if cooldown:
        # The table says whether one was owed in the last cooldown; Redis settles a race of
        # two missed calls at once, which the table cannot see before either commits.
        if _recent_callback(phone, now - timedelta(seconds=cooldown)):
            return None, "called back recently"
        window = int(now.timestamp()) // cooldown
        if not redis_client().set(cooldown_key(phone, window), "1", nx=True, ex=2 * cooldown):
            return None, "called back recently"
    contact = find_contact(phone)
    due = next_send_time(now, settings)
    held = budget_spent(settings)
    callback = CallBack(
        phone=phone,
        contact_id=contact.id if contact else None,
        missed_call_id=call.id,
        asked_at=now,
        due_at=due,
        status="held" if held else "waiting",
    )
    db.session.add(callback)
    db.session.flush()
    if held:
        return callback, "held: the month's budget is spent"
    _enqueue(callback, at=due if due > now else None)
    if due > now and contact is not None and contact.consent_at and not contact.opted_out_at:
        _tell_when(contact, contact.language or settings.default_language, due)
        return callback, "waits for the quiet hours to end (told by SMS)"
    return callback, "placed when due" if due > now else "placed now"


def _recent_callback(phone: str, since: datetime) -> bool:
    found = db.session.scalar(
        select(CallBack.id).where(
            CallBack.phone == phone,
            CallBack.asked_at >= since,
            CallBack.status != "failed",
        )
    )
    return found is not None


def _enqueue(callback: CallBack, at: datetime | None = None) -> None:
    enqueue_after_commit(
        db.session,
        DEFAULT,
        place_callback,
        callback.id,
        job_id=f"voice-callback-{callback.id}",
        retry=CALL_RETRY,
        at=at,
    )


def _tell_when(contact: Contact, language: str, due: datetime) -> None:
    key = "sms.voice.callback_later"
    text = transliterate(catalogs().text(key, language, time=when(due, key, language)))
    queue_reply(
        phone=contact.phone, text=text, kind="callback_notice", contact=contact, language=language
    )


@job
@periodic(RECOVER_LOCK, 50)
def recover_voice_work() -> dict[str, int]:
    """Enqueue again the call-backs and recordings whose job went missing (Redis lost it, or
    it was never enqueued); doing one twice is harmless (only a ``waiting`` call-back is
    placed, only a ``pending`` recording fetched). A periodic job."""
    from gateway.voice.recordings import enqueue_fetch

    before = utcnow() - timedelta(seconds=current_settings().recovery_grace_s)
    stranded = db.session.scalars(
        select(CallBack).where(CallBack.status == "waiting", CallBack.due_at < before)
    ).all()
    for callback in stranded:
        _enqueue(callback)
    # A recording's fetch is tried again by RQ for about 13 minutes (FETCH_RETRY) first.
    pending = db.session.scalars(
        select(VoiceRecording).where(
            VoiceRecording.status == "pending",
            VoiceRecording.created_at < before - timedelta(minutes=20),
        )
    ).all()
    for recording in pending:
        enqueue_fetch(recording)
    db.session.commit()
    return {"callbacks": len(stranded), "recordings": len(pending)}


@job
def place_callback(callback_id: int) -> str:
    """Ask Africa's Talking to call the person back (a job; safe to run twice: only a
    ``waiting`` call-back is placed, and it is marked ``calling`` before the request)."""
    settings = current_settings()
    callback = db.session.get(CallBack, callback_id)
    if callback is None or callback.status != "waiting":
        db.session.rollback()
        return "nothing to place"
    if callback.due_at > utcnow() + timedelta(seconds=5):  # enqueued early: RQ will run it
        db.session.rollback()
        return "not due yet"
    if callback.attempts >= MAX_ATTEMPTS:
        callback.status, callback.error = "failed", "tries used up"
        db.session.commit()
        return "tries used up"
    if budget_spent(settings):
        callback.status = "held"
        db.session.commit()
        return "held: the month's budget is spent"
    # Claimed only if still waiting: of two runs at once (a recovered job beside its retry),
    # one places the call.
    claimed = db.session.execute(
        update(CallBack)
        .where(CallBack.id == callback.id, CallBack.status == "waiting")
        .values(status="calling", attempts=CallBack.attempts + 1)
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return "placed by another run"
    db.session.refresh(callback)
    return _call(callback, settings)


def _call(callback: CallBack, settings: Settings) -> str:
    from gateway.channels.voice import VoiceChannel

    channel = VoiceChannel(
        settings.at_username, settings.at_api_key or "emulator", settings.sms_api_url
    )
    try:
        result = channel.call(settings.at_voice_number, callback.phone)
    except TransientSendError as exc:
        if exc.may_have_been_sent:  # it may ring: never a second call for one missed call
            callback.status, callback.error = "failed", f"fate unknown: {exc}"[:200]
            db.session.commit()
            return "fate unknown: not tried again"
        callback.status, callback.error = "waiting", str(exc)[:200]
        db.session.commit()
        raise  # RQ tries again (CALL_RETRY)
    except (RequestRejected, ValueError) as exc:
        callback.status, callback.error = "failed", str(exc)[:200]
        db.session.commit()
        return f"refused: {exc}"
    if result.session_id is None:
        callback.status, callback.error = "failed", (result.error or result.status)[:200]
        db.session.commit()
        return f"not placed: {result.status}"
    callback.status, callback.placed_at = "placed", utcnow()
    callback.session_id = result.session_id
    db.session.commit()
    log.info("call-back %s to %s placed", callback.id, mask_phone(callback.phone))
    return "placed"
