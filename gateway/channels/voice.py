"""Place outbound calls through Africa's Talking Voice: the gateway's call-backs.

:class:`VoiceChannel` wraps the SDK's voice service as :class:`~.africastalking.SmsChannel`
wraps its SMS one, and fails the same way: a transport failure or an unreadable answer is a
:class:`~.africastalking.TransientSendError`, a refusal of the whole request a
:class:`~.africastalking.RequestRejected`. A number Africa's Talking will not call comes back as
a :class:`CallResult` with its status and error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.Voice import VoiceService

from gateway.channels.africastalking import (
    RequestRejected,
    TransientSendError,
    classify_refusal,
    transport_error,
)

QUEUED = "Queued"


@dataclass(frozen=True)
class CallResult:
    """What Africa's Talking said about one requested call."""

    phone: str  # as AT returned it
    status: (
        str  # "Queued" when the call will be placed; else AT's reason, e.g. "InvalidPhoneNumber"
    )
    session_id: str | None  # the sessionId every callback of this call carries
    error: str | None  # None when queued

    @property
    def queued(self) -> bool:
        return self.status == QUEUED and self.session_id is not None


class VoiceChannel:
    """Africa's Talking outbound calls, one HTTP request per :meth:`call`.

    Args:
        username: the Africa's Talking application username.
        api_key: the application's API key.
        api_url: base URL replacing the SDK's (the emulator, a test server).
    """

    def __init__(self, username: str, api_key: str, api_url: str | None = None) -> None:
        self._service = VoiceService(username, api_key)
        if api_url:
            # The SDK has no setting for its base URL; it appends "/call" to this one.
            self._service._baseUrl = api_url.rstrip("/") + "/voice"

    def call(self, from_number: str, to_number: str) -> CallResult:
        """Ask Africa's Talking to call ``to_number`` from the voice number ``from_number``.

        Raises:
            ValueError: ``to_number`` is not E.164 (raised by the SDK before any HTTP call).
            TransientSendError: the request may succeed if repeated.
            RequestRejected: the request was refused as a whole (wrong key, unknown caller ID).
        """
        try:
            answer = self._service.call(from_number, [to_number])
        except requests.RequestException as exc:
            raise transport_error(exc) from exc
        except AfricasTalkingException as exc:
            raise classify_refusal(str(exc)) from exc
        return read_call(answer, to_number)


def read_call(answer: object, to_number: str) -> CallResult:
    """Turn the SDK's return value for a call request into the result for ``to_number``.

    Raises:
        TransientSendError: the answer is not Africa's Talking's JSON.
        RequestRejected: no entries, and an ``errorMessage`` saying why.
    """
    if not isinstance(answer, Mapping) or not isinstance(answer.get("entries"), list):
        raise TransientSendError(
            f"Unexpected answer from Africa's Talking: {str(answer)[:300]!r}",
            may_have_been_sent=True,  # it answered 2xx: the call may well be ringing
        )
    entries = answer["entries"]
    error = _none_if_empty(answer.get("errorMessage"))
    entry = next(
        (e for e in entries if isinstance(e, Mapping) and e.get("phoneNumber") == to_number),
        next((e for e in entries if isinstance(e, Mapping)), None),
    )
    if entry is None:
        raise RequestRejected(error or "No entries in the answer")
    status = str(entry.get("status") or "")
    session_id = _none_if_empty(entry.get("sessionId"))
    return CallResult(
        phone=str(entry.get("phoneNumber") or to_number),
        status=status,
        session_id=session_id,
        error=None if status == QUEUED and session_id else (error or status or "Not queued"),
    )


def _none_if_empty(value: object) -> str | None:
    return None if value in (None, "", "None") else str(value)
