"""The USSD engine: walks a flow for one hop and renders the screen to answer with.

Africa's Talking sends every input of the session joined with ``*`` on each hop, so the engine
replays the inputs from the start of the flow and needs no memory of its own between hops.
Actions (saving, enqueueing) run only for the hop's last input, so a replay never repeats them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.contacts.models import Contact
from gateway.encoding import transliterate
from gateway.i18n import Catalogs
from gateway.settings import Settings
from gateway.ussd.flow import Flow, Node

log = logging.getLogger(__name__)

SCREEN_LIMIT = 160
BACK, HOME, MORE = "0", "00", "98"


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
class Screen:
    text: str
    end: bool

    @property
    def body(self) -> str:
        """The response body Africa's Talking expects: ``CON …`` or ``END …``."""
        return ("END " if self.end else "CON ") + self.text


@dataclass(frozen=True)
class Item:
    value: str
    label: str


@dataclass
class Context:
    """What conditions, sources and actions may see and change during one hop."""

    hop: Hop
    contact: Contact
    settings: Settings
    catalogs: Catalogs
    data: dict[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return self.data.get("language") or self.contact.language or self.settings.default_language

    def text(self, key: str, **values: object) -> str:
        return self.catalogs.text(key, self.language, **values)


Condition = Callable[[Context], bool]
Source = Callable[[Context], list[Item]]
Action = Callable[[Context], None]


@dataclass
class Walk:
    node: str
    page: int = 0
    history: list[tuple[str, int]] = field(default_factory=list)
    hint: bool = False


class Engine:
    """Answers hops of one flow, with the named conditions, sources and actions it may use."""

    def __init__(
        self,
        flow: Flow,
        conditions: dict[str, Condition],
        sources: dict[str, Source],
        actions: dict[str, Action],
    ) -> None:
        self.flow = flow
        self.conditions = conditions
        self.sources = sources
        self.actions = actions

    def answer(self, ctx: Context) -> Screen:
        inputs = ctx.hop.inputs
        walk = Walk(node=self.flow.start)
        self._enter(walk, self.flow.start, ctx, live=not inputs)
        for index, raw in enumerate(inputs):
            if self.flow.node(walk.node).kind == "end":
                break
            self._step(walk, raw, ctx, live=index == len(inputs) - 1)
        return self._render(walk, ctx)

    # -- walking ---------------------------------------------------------------------------
    def _enter(self, walk: Walk, node_id: str, ctx: Context, live: bool) -> None:
        node = self.flow.node(node_id)
        walk.node, walk.page = node_id, 0
        if node.kind == "route":
            for route in node.routes:
                if route.when is None or self.conditions[route.when](ctx):
                    self._enter(walk, route.to, ctx, live)
                    return
        if node.kind == "end" and node.action and live:
            self.actions[node.action](ctx)

    def _go(self, walk: Walk, target: str, ctx: Context, live: bool) -> None:
        walk.history.append((walk.node, walk.page))
        self._enter(walk, target, ctx, live)

    def _step(self, walk: Walk, raw: str, ctx: Context, live: bool) -> None:
        walk.hint = False
        node = self.flow.node(walk.node)
        if raw == HOME:
            walk.history.clear()
            self._enter(walk, self.flow.home, ctx, live)
        elif raw == BACK and walk.history:
            walk.node, walk.page = walk.history.pop()
        elif node.kind == "menu" and raw.isdigit() and 1 <= int(raw) <= len(node.options):
            self._go(walk, node.options[int(raw) - 1].next, ctx, live)
        elif node.kind == "confirm" and raw in ("1", "2"):
            self._go(walk, (node.accept if raw == "1" else node.decline) or "", ctx, live)
        elif node.kind == "list":
            self._step_list(walk, node, raw, ctx, live)
        else:
            walk.hint = True

    def _step_list(self, walk: Walk, node: Node, raw: str, ctx: Context, live: bool) -> None:
        pages = self._pages(node, ctx)
        if raw == MORE and walk.page + 1 < len(pages):
            walk.history.append((walk.node, walk.page))
            walk.page += 1
            return
        shown = {str(number): item for number, item in pages[walk.page]}
        item = shown.get(raw)
        if item is None:
            walk.hint = True
            return
        if node.save:
            ctx.data[node.save] = item.value
        if node.action and live:
            self.actions[node.action](ctx)
        self._go(walk, node.next or "", ctx, live)

    # -- rendering -------------------------------------------------------------------------
    def _values(self, ctx: Context) -> dict[str, object]:
        values: dict[str, object] = dict(ctx.data)
        values["language"] = ctx.catalogs.language(ctx.language).name
        values["code"] = ctx.settings.ussd_code
        values["shortcode"] = ctx.settings.at_shortcode
        return values

    def _head(self, walk: Walk, node: Node, ctx: Context) -> list[str]:
        lines = [ctx.text("ussd.invalid")] if walk.hint else []
        lines.append(ctx.text(node.text or "", **self._values(ctx)))
        return lines

    def _nav(self, walk: Walk, ctx: Context, more: bool) -> list[str]:
        lines = [f"{MORE}. {ctx.text('nav.more')}"] if more else []
        if walk.history:
            lines.append(f"{BACK}. {ctx.text('nav.back')}")
        return lines

    def _pages(self, node: Node, ctx: Context) -> list[list[tuple[int, Item]]]:
        """Split a list's items into screens that fit, with room for the hint and navigation."""
        items = self.sources[node.source or ""](ctx)
        head = [ctx.text("ussd.invalid"), ctx.text(node.text or "", **self._values(ctx))]
        nav = [f"{MORE}. {ctx.text('nav.more')}", f"{BACK}. {ctx.text('nav.back')}"]
        pages: list[list[tuple[int, Item]]] = [[]]
        for number, item in enumerate(items, start=1):
            candidate = pages[-1] + [(number, item)]
            lines = head + [f"{n}. {i.label}" for n, i in candidate] + nav
            if pages[-1] and len(transliterate("\n".join(lines))) > SCREEN_LIMIT:
                pages.append([(number, item)])
            else:
                pages[-1] = candidate
        return pages

    def _render(self, walk: Walk, ctx: Context) -> Screen:
        node = self.flow.node(walk.node)
        body = [ctx.text(node.text or "", **self._values(ctx))]
        more = False
        if node.kind == "menu":
            body += [f"{n}. {ctx.text(o.label)}" for n, o in enumerate(node.options, start=1)]
        elif node.kind == "confirm":
            body += [f"1. {ctx.text('common.yes')}", f"2. {ctx.text('common.no')}"]
        elif node.kind == "list":
            pages = self._pages(node, ctx)
            body += [f"{n}. {item.label}" for n, item in pages[walk.page]]
            more = walk.page + 1 < len(pages)
        nav = self._nav(walk, ctx, more) if node.kind != "end" else []
        hint = [ctx.text("ussd.invalid")] if walk.hint else []
        # Longest first: a screen that does not fit drops the Back line (0 still works), then the
        # hint (the same screen shown again says as much); cutting text is the last resort.
        without_back = [line for line in nav if not line.startswith(f"{BACK}.")]
        for lines in (hint + body + nav, hint + body + without_back, body + nav):
            text = transliterate("\n".join(lines))
            if len(text) <= SCREEN_LIMIT:
                return Screen(text=text, end=node.kind == "end")
        log.error("USSD screen %s in %s is %d characters", node.id, ctx.language, len(text))
        return Screen(text=text[:SCREEN_LIMIT], end=node.kind == "end")
