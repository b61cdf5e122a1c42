"""Replies: what the gateway sends on its own in answer to an SMS or a USSD session (help,
confirmations, thank-yous, a survey's next question, an excerpt asked for).

Every reply is queued through :func:`queue_reply`, the one place that guards them. Anyone can
make the gateway answer (a forged callback, a script dialling the menu), so a reply goes

- only to numbers of ``GATEWAY_REPLY_COUNTRIES`` (Kenya by default): answering forged SMS
  "from" international numbers is SMS pumping, paid by HMK. Broadcasts, meeting alerts and
  poll questions are sent by staff to contacts who consented, and are not limited so.
- at most ``GATEWAY_REPLY_LIMIT`` to one number an hour and a day (counters in Redis, shared
  by every process). The first reply refused in a window is replaced by one notice saying so.
  A STOP's confirmation (``ignores_limit``) always goes, and counts.

A refused reply is kept as a message ``unsent`` with the reason (``ReplyCountry``,
``ReplyLimit``), so the contact's page shows it. Replies are marked ``automatic``: their cost
is shown apart from broadcasts' on the dashboard, and counts against the monthly budget as
every SMS does.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError

from gateway.contacts.models import Contact
from gateway.encoding import transliterate
from gateway.extensions import redis_client, utcnow
from gateway.i18n import catalogs
from gateway.phones import mask_phone, region_of
from gateway.settings import Settings, current_settings
from gateway.sms.models import Message
from gateway.sms.outbound import queue_sms, send_after_commit, store_sms

log = logging.getLogger(__name__)

NOTICE_KEY = "sms.reply_limit"
NOTICE_KIND = "reply_limit"
_WINDOWS = (("h", 3600), ("d", 86400))


@dataclass(frozen=True)
class Verdict:
    refused: str | None = None  # the reason stored on the message; None: it may go
    notice: bool = False  # the first refused in its window: tell the person, once


def check_reply(phone: str, settings: Settings, *, ignores_limit: bool = False) -> Verdict:
    """May a reply go to ``phone`` now? Counts it against the number's hour and day."""
    region = region_of(phone)
    if region not in settings.reply_countries:
        log.warning(
            "reply to %s refused: %s is not in GATEWAY_REPLY_COUNTRIES",
            mask_phone(phone),
            region or "an unknown country",
        )
        return Verdict("ReplyCountry")
    try:
        hour, day = _count(phone)
    except RedisError:
        # Fail open: refusing would roll back what the reply answers (a USSD join, a STOP); the
        # country check above still holds, and without Redis no SMS job runs to be pumped.
        log.warning("reply to %s not counted: Redis unavailable", mask_phone(phone))
        return Verdict()
    hour_cap, day_cap = settings.reply_limit_per_hour, settings.reply_limit_per_day
    over_hour, over_day = bool(hour_cap) and hour > hour_cap, bool(day_cap) and day > day_cap
    if ignores_limit or not (over_hour or over_day):
        return Verdict()
    # Only the first refusal of a window brings the notice (INCR is atomic across processes);
    # when the day's cap was passed earlier, a new hour brings none.
    first_hour = over_hour and hour == hour_cap + 1 and (not day_cap or day <= day_cap + 1)
    first_day = over_day and day == day_cap + 1 and (not hour_cap or hour <= hour_cap + 1)
    log.warning("reply to %s refused: GATEWAY_REPLY_LIMIT reached", mask_phone(phone))
    return Verdict("ReplyLimit", notice=first_hour or first_day)


def _counter_prefix(phone: str) -> str:
    return f"sms:replies:{phone}:"


def forget_reply_counts(phone: str) -> None:
    """Remove ``phone``'s reply counters (an erasure: the keys hold the number)."""
    client = redis_client()
    keys = list(client.scan_iter(match=f"{_counter_prefix(phone)}*", count=100))
    if keys:
        client.delete(*keys)


def _count(phone: str) -> tuple[int, int]:
    """This reply's number in the current hour and day for ``phone`` (fixed windows)."""
    now = int(time.time())
    pipe = redis_client().pipeline()
    for name, seconds in _WINDOWS:
        key = f"{_counter_prefix(phone)}{name}{now // seconds}"
        pipe.incr(key)
        pipe.expire(key, seconds + 60)
    hour, _, day, _ = pipe.execute()
    return int(hour), int(day)


def queue_reply(
    *,
    phone: str,
    text: str,
    kind: str,
    contact: Contact | None = None,
    language: str | None = None,
    ignores_opt_out: bool = False,
    ignores_limit: bool = False,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> Message:
    """Queue a reply as :func:`~gateway.sms.outbound.queue_sms` does, if the country and the
    number's reply limit allow; otherwise keep it ``unsent`` (and, the first time in a window,
    queue the notice that the limit is reached instead)."""
    settings = current_settings()
    # Stored first: a duplicate (dedupe_key) fails here, before it counts against the limit.
    message = store_sms(
        phone=phone,
        text=text,
        kind=kind,
        contact=contact,
        language=language,
        ignores_opt_out=ignores_opt_out,
        not_before=not_before,
        dedupe_key=dedupe_key,
        automatic=True,
    )
    verdict = check_reply(phone, settings, ignores_limit=ignores_limit)
    if verdict.refused is None:
        send_after_commit(message)
    else:
        message.status, message.error, message.failed_at = "unsent", verdict.refused, utcnow()
    if verdict.notice:
        language = language or settings.default_language
        notice = catalogs().text(NOTICE_KEY, language, code=settings.ussd_code)
        queue_sms(
            phone=phone,
            text=transliterate(notice),
            kind=NOTICE_KIND,
            contact=contact,
            language=language,
            automatic=True,
        )
    return message
