"""Send SMS through Africa's Talking: the only way the gateway sends a text.

:class:`SmsChannel` wraps the official SDK (``africastalking``) and turns its loosely typed
answers into :class:`RecipientResult` rows and a small exception family. The caller batches
recipients and decides about retries; this module makes one HTTP request per :meth:`send`.

How SDK failures are classified. The SDK (2.0.x) raises ``AfricasTalkingException(body)`` for
any non-2xx answer and drops the HTTP status code, and the public API gives no other way to see
it. So the body text decides: Africa's Talking's own plain-text refusals (wrong key, missing
form field, ...) become :class:`RequestRejected`; anything else (HTML error pages from a proxy,
empty bodies, unknown text) becomes :class:`TransientSendError`. Erring towards "transient" is
the safe side: a retried refusal fails again and costs nothing, a lost transient failure would
drop the message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService
from urllib3.exceptions import ConnectTimeoutError

ACCEPTED_CODES = frozenset({100, 101, 102})
RETRYABLE_CODES = frozenset({500, 501, 502})
BLACKLISTED_CODE = 406
BLACKLISTED_STATUS = "UserInBlacklist"
MISSING_STATUS = "Missing"

# Lower-cased fragments of the plain-text bodies Africa's Talking sends with a 4xx.
REJECTION_FRAGMENTS = (
    "supplied authentication is invalid",
    "missing required",
    "invalid sender",
    "invalid username",
    "invalid phone number",
    "not allowed",
    "not authorized",
    "unauthorized",
    "forbidden",
)


@dataclass(frozen=True)
class RecipientResult:
    """What Africa's Talking said about one recipient of a send."""

    phone: str  # E.164 as AT returned it
    accepted: bool  # statusCode 100/101/102
    provider_status: str  # AT's "status" string, e.g. "Success", "UserInBlacklist"
    status_code: int | None
    message_id: str | None  # None when AT says "None" or omits it
    cost: Decimal | None  # parsed from "KES 0.8000"; None if absent or unparseable
    blacklisted: bool  # the person opted out at the network (UserInBlacklist / 406)
    retryable: bool  # statusCode 500, 501, 502


class SendError(Exception):
    """A send failed as a whole: no recipient has a result."""


class TransientSendError(SendError):
    """Transport error, timeout, HTTP 5xx or an unreadable answer: the caller may retry.

    ``may_have_been_sent`` is True when the request may have reached Africa's Talking and been
    acted on (a read timeout, a dropped connection, a 2xx we could not read); False when it
    certainly did not (no connection could be made) or AT answered with an error.
    """

    def __init__(self, message: str, *, may_have_been_sent: bool = False) -> None:
        super().__init__(message)
        self.may_have_been_sent = may_have_been_sent


class RequestRejected(SendError):
    """Africa's Talking refused the whole request (wrong key, bad sender ID...): do not retry."""


class SmsChannel:
    """Africa's Talking bulk SMS, one HTTP request per :meth:`send`.

    Args:
        username: the Africa's Talking application username (``sandbox`` for the sandbox).
        api_key: the application's API key.
        sender_id: alphanumeric sender ID or short code; None for the account default.
        api_url: base URL replacing the SDK's (the emulator, a test server), without
            ``/version1``.
    """

    def __init__(
        self,
        username: str,
        api_key: str,
        sender_id: str | None = None,
        api_url: str | None = None,
    ) -> None:
        self.sender_id = sender_id
        self._service = SMSService(username, api_key)
        if api_url:
            # The SDK has no setting for its base URL; it appends "/messaging" to this one.
            self._service._baseUrl = api_url.rstrip("/") + "/version1"

    def send(self, text: str, phones: Sequence[str]) -> list[RecipientResult]:
        """Send ``text`` to every phone in one request.

        Returns one result per recipient in Africa's Talking's order; a phone the answer does
        not mention comes last as ``provider_status="Missing"``, not accepted, retryable.

        Raises:
            ValueError: a phone is not E.164 (raised by the SDK before any HTTP call).
            TransientSendError: the request may succeed if repeated.
            RequestRejected: the request was refused as a whole.
        """
        if not phones:
            return []
        try:
            answer = self._service.send(text, list(phones), sender_id=self.sender_id)
        except requests.RequestException as exc:
            raise transport_error(exc) from exc
        except AfricasTalkingException as exc:
            raise classify_refusal(str(exc)) from exc
        return read_recipients(answer, phones)


def transport_error(exc: requests.RequestException) -> TransientSendError:
    """The exception for a transport failure, saying whether AT may have got the request."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    never_connected = isinstance(exc, requests.ConnectTimeout) or isinstance(
        reason,
        ConnectTimeoutError,  # urllib3's NewConnectionError: refused, no such host
    )
    kind = "unreachable" if never_connected else "failed mid-request"
    return TransientSendError(
        f"Africa's Talking {kind}: {exc}", may_have_been_sent=not never_connected
    )


def classify_refusal(body: str) -> SendError:
    """The exception for a non-2xx answer, judged by its body alone (see the module docstring)."""
    text = " ".join(body.split())
    lowered = text.lower()
    looks_like_page = lowered.startswith("<") or "<html" in lowered
    if not looks_like_page and any(fragment in lowered for fragment in REJECTION_FRAGMENTS):
        return RequestRejected(text)
    return TransientSendError(f"Africa's Talking answered with an error: {text[:300]!r}")


def read_recipients(answer: object, phones: Sequence[str]) -> list[RecipientResult]:
    """Turn the SDK's return value for a send into one result per recipient.

    Raises:
        TransientSendError: the answer is not Africa's Talking's JSON (the SDK returns the body
            as a string when the Content-Type is not exactly ``application/json``).
        RequestRejected: a 2xx answer with no recipients, whose ``Message`` names the failure.
    """
    data = answer.get("SMSMessageData") if isinstance(answer, Mapping) else None
    if not isinstance(data, Mapping):
        raise TransientSendError(
            f"Unexpected answer from Africa's Talking: {str(answer)[:300]!r}",
            may_have_been_sent=True,  # it answered 2xx: the texts may well be on their way
        )
    recipients = data.get("Recipients") or []
    if not recipients:
        raise RequestRejected(str(data.get("Message") or "No recipients in the answer"))
    results = [_recipient(entry) for entry in recipients if isinstance(entry, Mapping)]
    missing = Counter(phones) - Counter(result.phone for result in results)
    results.extend(_missing(phone) for phone in missing.elements())
    return results


def _recipient(entry: Mapping[str, Any]) -> RecipientResult:
    status = str(entry.get("status") or "")
    code = _int_or_none(entry.get("statusCode"))
    message_id = entry.get("messageId")
    return RecipientResult(
        phone=str(entry.get("number") or ""),
        accepted=code in ACCEPTED_CODES,
        provider_status=status,
        status_code=code,
        message_id=str(message_id) if message_id not in (None, "", "None") else None,
        cost=_cost(entry.get("cost")),
        blacklisted=status == BLACKLISTED_STATUS or code == BLACKLISTED_CODE,
        retryable=code in RETRYABLE_CODES,
    )


def _missing(phone: str) -> RecipientResult:
    return RecipientResult(
        phone=phone,
        accepted=False,
        provider_status=MISSING_STATUS,
        status_code=None,
        message_id=None,
        cost=None,
        blacklisted=False,
        retryable=True,
    )


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _cost(value: object) -> Decimal | None:
    """``"KES 0.8000"`` → ``Decimal("0.8000")``; ``"0"`` → ``Decimal("0")``."""
    if value is None:
        return None
    parts = str(value).split()
    if not parts:
        return None
    try:
        cost = Decimal(parts[-1])
    except InvalidOperation:
        return None
    return cost if cost.is_finite() else None
