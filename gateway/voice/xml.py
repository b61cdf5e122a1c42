"""Africa's Talking voice actions, written as the XML a voice callback answers with.

The SDK has no builder: each action is a small value, and :func:`response` writes them in order
inside ``<Response>``, every text and attribute escaped. ``Reject`` must stand alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class Say:
    """Text to speech: English only (Kiswahili and Kikamba are :class:`Play`ed recordings)."""

    text: str

    def xml(self) -> str:
        return f'<Say voice="woman" playBeep="false">{escape(self.text)}</Say>'


@dataclass(frozen=True)
class Play:
    url: str

    def xml(self) -> str:
        return f"<Play url={quoteattr(self.url)}/>"


Prompt = Say | Play


@dataclass(frozen=True)
class GetDigits:
    """Play ``prompts`` while waiting for keys; with none pressed the next action runs."""

    prompts: Sequence[Prompt]
    callback_url: str
    num_digits: int = 1
    timeout_s: int = 10
    finish_on_key: str = "#"

    def xml(self) -> str:
        inner = "".join(p.xml() for p in self.prompts)
        return (
            f'<GetDigits numDigits="{self.num_digits}" timeout="{self.timeout_s}" '
            f"finishOnKey={quoteattr(self.finish_on_key)} "
            f"callbackUrl={quoteattr(self.callback_url)}>{inner}</GetDigits>"
        )


@dataclass(frozen=True)
class Record:
    """Play ``prompts``, then record until ``#``, ``max_length_s`` or hang-up."""

    prompts: Sequence[Prompt]
    callback_url: str
    max_length_s: int = 120
    finish_on_key: str = "#"

    def xml(self) -> str:
        inner = "".join(p.xml() for p in self.prompts)
        return (
            f'<Record maxLength="{self.max_length_s}" trimSilence="true" playBeep="true" '
            f"finishOnKey={quoteattr(self.finish_on_key)} "
            f"callbackUrl={quoteattr(self.callback_url)}>{inner}</Record>"
        )


@dataclass(frozen=True)
class Redirect:
    url: str

    def xml(self) -> str:
        return f"<Redirect>{escape(self.url)}</Redirect>"


@dataclass(frozen=True)
class Reject:
    """End an inbound call unanswered: it costs neither the caller nor HMK anything."""

    def xml(self) -> str:
        return "<Reject/>"


Action = Say | Play | GetDigits | Record | Redirect | Reject


def response(actions: Sequence[Action]) -> str:
    """The ``<Response>`` document for ``actions``, run by Africa's Talking in order."""
    if any(isinstance(a, Reject) for a in actions) and len(actions) != 1:
        raise ValueError("<Reject/> must be the only action of a response")
    body = "".join(action.xml() for action in actions)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
