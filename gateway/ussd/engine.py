"""The USSD engine: walks a flow for one hop.

A hop either continues a session whose position is known (kept in Redis by
:mod:`gateway.ussd.sessions`) with its one new input, or, when that position is lost, replays
every input Africa's Talking sent in ``text`` from the start of the flow. Actions (saving,
enqueueing) run only for a hop's newest input, so a replay never repeats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.contacts.models import Contact
from gateway.i18n import Catalogs
from gateway.numbers import whole_number
from gateway.settings import Settings
from gateway.ussd.flow import RESUME, Flow, Node
from gateway.ussd.registry import Handlers
from gateway.ussd.screens import BACK, HOME, MORE, Renderer, Screen

INVALID = "ussd.invalid"


@dataclass(frozen=True)
class Hop:
    """One USSD request from Africa's Talking."""

    session_id: str
    phone: str
    service_code: str
    text: str
    network_code: str | None = None

    @property
    def inputs(self) -> list[str]:
        return [part.strip() for part in self.text.split("*")] if self.text else []


@dataclass(frozen=True)
class Item:
    """One entry of a list screen: the value kept when chosen, and its label (already in the
    caller's language)."""

    value: str
    label: str


@dataclass
class Context:
    """What conditions, sources, views and actions may see and change during one hop."""

    hop: Hop
    contact: Contact
    settings: Settings
    catalogs: Catalogs
    data: dict[str, str] = field(default_factory=dict)
    # Where a dropped session left off, when this session may resume it.
    resume: dict[str, Any] | None = None
    # The text key of the screen being rendered, set before its view or source is asked: a date
    # in it is said in the language that text resolves to (gateway.localized.when).
    screen_text: str = ""

    @property
    def language(self) -> str:
        return self.data.get("language") or self.contact.language or self.settings.default_language

    def text(self, key: str, **values: object) -> str:
        return self.catalogs.text(key, self.language, **values)


@dataclass
class Walk:
    """Where a session is: the node, the page of it, how it got there, and a hint to show."""

    node: str
    page: int = 0
    history: list[tuple[str, int]] = field(default_factory=list)
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "page": self.page,
            "history": list(self.history),
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Walk:
        history = [(str(node), int(page)) for node, page in raw.get("history", [])]
        return cls(str(raw["node"]), int(raw.get("page", 0)), history, raw.get("hint"))


class Engine:
    """Walks one flow with the named handlers it may use, and renders where it stands."""

    def __init__(self, flow: Flow, handlers: Handlers) -> None:
        self.flow = flow
        self.handlers = handlers
        self.renderer = Renderer(handlers)

    def node(self, walk: Walk) -> Node:
        return self.flow.node(walk.node)

    def start(self, ctx: Context) -> Walk:
        """A new session's first screen."""
        walk = Walk(node=self.flow.start)
        self._enter(walk, self.flow.start, ctx, live=True)
        return walk

    def replay(self, ctx: Context) -> Walk:
        """Rebuild the position from every input in the hop, running only the last's actions."""
        inputs = ctx.hop.inputs
        walk = Walk(node=self.flow.start)
        self._enter(walk, self.flow.start, ctx, live=not inputs)
        for index, raw in enumerate(inputs):
            self.step(walk, raw, ctx, live=index == len(inputs) - 1)
        return walk

    def render(self, walk: Walk, ctx: Context) -> Screen:
        return self.renderer.render(self.node(walk), walk, ctx)

    # -- moving ----------------------------------------------------------------------------
    def step(self, walk: Walk, raw: str, ctx: Context, live: bool) -> None:
        """Answer the screen ``walk`` is on with ``raw``."""
        node = self.node(walk)
        if node.kind == "end":
            return
        walk.hint = None
        raw = raw.strip()
        if raw == HOME:
            walk.history.clear()
            self._enter(walk, self.flow.home, ctx, live)
        elif raw == BACK and walk.history:
            walk.node, walk.page = walk.history.pop()
        else:
            getattr(self, f"_answer_{node.kind}")(walk, node, raw, ctx, live)

    def _enter(self, walk: Walk, node_id: str, ctx: Context, live: bool) -> None:
        if node_id == RESUME:
            self._resume(walk, ctx, live)
            return
        node = self.flow.node(node_id)
        walk.node, walk.page = node_id, 0
        if not node.back:  # the screens before are done with (a survey's answered questions)
            walk.history.clear()
        if node.kind == "route":
            route = next(
                r for r in node.routes if r.when is None or self.handlers.conditions[r.when](ctx)
            )
            self._enter(walk, route.to, ctx, live)
        elif node.kind == "action":
            if live:
                self.handlers.actions[node.action or ""](ctx)
            self._enter(walk, node.next or "", ctx, live)
        elif node.kind == "end" and node.action and live:
            self.handlers.actions[node.action](ctx)

    def _go(self, walk: Walk, target: str, ctx: Context, live: bool) -> None:
        walk.history.append((walk.node, walk.page))
        self._enter(walk, target, ctx, live)

    def _resume(self, walk: Walk, ctx: Context, live: bool) -> None:
        """Put the session where the dropped one left off (its screen, answers and way back)."""
        saved = ctx.resume or {}
        if "walk" not in saved:
            self._enter(walk, self.flow.start, ctx, live)
            return
        restored = Walk.from_dict(saved["walk"])
        walk.node, walk.page, walk.history, walk.hint = (
            restored.node,
            restored.page,
            restored.history,
            None,
        )
        ctx.data.update(saved.get("data", {}))
        ctx.resume = None

    def _invalid(self, walk: Walk, node: Node) -> None:
        walk.hint = node.hint or INVALID

    def _answer_menu(self, walk: Walk, node: Node, raw: str, ctx: Context, live: bool) -> None:
        options = self.renderer.visible_options(node, ctx)
        chosen = whole_number(raw, low=1, high=len(options))
        if chosen is not None:
            self._go(walk, options[chosen - 1].next, ctx, live)
        else:
            self._invalid(walk, node)

    def _answer_confirm(self, walk: Walk, node: Node, raw: str, ctx: Context, live: bool) -> None:
        if raw in ("1", "2"):
            if node.save:
                ctx.data[node.save] = "yes" if raw == "1" else "no"
            self._go(walk, (node.accept if raw == "1" else node.decline) or "", ctx, live)
        else:
            self._invalid(walk, node)

    def _answer_list(self, walk: Walk, node: Node, raw: str, ctx: Context, live: bool) -> None:
        pages = self.renderer.list_pages(node, ctx)
        if raw == MORE and walk.page + 1 < len(pages):
            walk.history.append((walk.node, walk.page))
            walk.page += 1
            return
        item = dict((str(n), i) for n, i in pages[walk.page]).get(raw)
        if item is None:
            self._invalid(walk, node)
            return
        if node.save:
            ctx.data[node.save] = item.value
        if node.action and live:
            self.handlers.actions[node.action](ctx)
        self._go(walk, node.next or "", ctx, live)

    def _answer_paged(self, walk: Walk, node: Node, raw: str, ctx: Context, live: bool) -> None:
        if raw == MORE and walk.page + 1 < len(self.renderer.content_pages(node, walk, ctx)):
            walk.history.append((walk.node, walk.page))
            walk.page += 1
        else:
            self._answer_menu(walk, node, raw, ctx, live)

    def _answer_input(self, walk: Walk, node: Node, raw: str, ctx: Context, live: bool) -> None:
        rule = node.validate
        if rule.kind == "number":
            valid = whole_number(raw, low=rule.min, high=rule.max) is not None
        else:
            valid = rule.min <= len(raw) <= rule.max
        if not valid:
            self._invalid(walk, node)
            return
        ctx.data[node.save or ""] = raw
        self._go(walk, node.next or "", ctx, live)
