"""The named conditions, actions and sources a voice flow may use; each area registers its own
(``gateway/<area>/voice.py``) and the flow names them, as the USSD flow does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from gateway.voice.engine import CallContext
    from gateway.voice.xml import Prompt


@dataclass(frozen=True)
class Item:
    """One thing to choose or hear: its id, the prompt keys that speak it (a guide's title; a
    chapter's title and text), and the values their placeholders are filled with (a meeting's
    date, spoken from clips; its title, typed by staff, read out)."""

    id: str
    prompts: tuple[str, ...]
    values: Mapping[str, object] = field(default_factory=dict)


Condition = Callable[["CallContext"], bool]
Action = Callable[["CallContext", "str | None"], None]
Source = Callable[["CallContext"], list[Item]]
# What a node plays after its prompt that is no fixed prompt: a recording just made (Play), a
# text read out (Say), or prompt keys (str, spoken as the engine speaks every prompt).
Sounds = Callable[["CallContext"], "list[Prompt | str]"]
F = TypeVar("F")


@dataclass
class VoiceHandlers:
    conditions: dict[str, Condition] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    sounds: dict[str, Sounds] = field(default_factory=dict)


VOICE_HANDLERS = VoiceHandlers()


def _register(table: dict[str, F], name: str) -> Callable[[F], F]:
    def register(func: F) -> F:
        if name in table:
            raise ValueError(f"voice handler {name!r} is registered twice")
        table[name] = func
        return func

    return register


def condition(name: str) -> Callable[[Condition], Condition]:
    return _register(VOICE_HANDLERS.conditions, name)


def action(name: str) -> Callable[[Action], Action]:
    return _register(VOICE_HANDLERS.actions, name)


def source(name: str) -> Callable[[Source], Source]:
    return _register(VOICE_HANDLERS.sources, name)


def sounds(name: str) -> Callable[[Sounds], Sounds]:
    return _register(VOICE_HANDLERS.sounds, name)
