"""The named conditions, sources, views and actions a flow may use.

Each area registers its own in a ``ussd`` module (``gateway/meetings/ussd.py``, ...) with these
decorators; the flow names them, so menus stay data and the Python stays with its area.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from gateway.ussd.engine import Context, Item

Condition = Callable[["Context"], bool]
Source = Callable[["Context"], list["Item"]]
View = Callable[["Context"], dict[str, object]]
Action = Callable[["Context"], None]
F = TypeVar("F")


@dataclass
class Handlers:
    conditions: dict[str, Condition] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)


HANDLERS = Handlers()


def _register(table: dict[str, F], name: str) -> Callable[[F], F]:
    def register(func: F) -> F:
        if name in table:
            raise ValueError(f"{name!r} is registered twice")
        table[name] = func
        return func

    return register


def condition(name: str) -> Callable[[Condition], Condition]:
    return _register(HANDLERS.conditions, name)


def source(name: str) -> Callable[[Source], Source]:
    return _register(HANDLERS.sources, name)


def view(name: str) -> Callable[[View], View]:
    return _register(HANDLERS.views, name)


def action(name: str) -> Callable[[Action], Action]:
    return _register(HANDLERS.actions, name)
