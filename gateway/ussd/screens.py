"""Rendering a node as a USSD screen of at most 160 GSM-7 characters.

Lists and long texts are split into pages that fit, with ``98`` for more; navigation lines are
``0`` back (and ``00`` home, which works everywhere without taking a line).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from gateway.encoding import transliterate
from gateway.ussd.flow import Node, Option
from gateway.ussd.registry import Handlers

if TYPE_CHECKING:
    from gateway.ussd.engine import Context, Item, Walk

log = logging.getLogger(__name__)

SCREEN_LIMIT = 160
BACK, HOME, MORE = "0", "00", "98"


@dataclass(frozen=True)
class Screen:
    text: str
    end: bool
    dropped: tuple[str, ...] = ()  # what did not fit: "back", "hint", "title", "text" (cut)

    @property
    def body(self) -> str:
        """The response body Africa's Talking expects: ``CON …`` or ``END …``."""
        return ("END " if self.end else "CON ") + self.text


def _width(lines: list[str]) -> int:
    return len(transliterate("\n".join(lines)))


class Renderer:
    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers

    # -- what a node shows -----------------------------------------------------------------
    def values(self, node: Node, ctx: Context) -> dict[str, object]:
        """The placeholders a node's text may use: the session's answers, then its view."""
        values: dict[str, object] = dict(ctx.data)
        values["language"] = ctx.catalogs.language(ctx.language).name
        values["code"] = ctx.settings.ussd_code
        values["shortcode"] = ctx.settings.at_shortcode
        if node.view:
            ctx.screen_text = node.text or ""
            values.update(self.handlers.views[node.view](ctx))
        return values

    def heading(self, node: Node, ctx: Context) -> list[str]:
        return [ctx.text(node.text, **self.values(node, ctx))] if node.text else []

    def visible_options(self, node: Node, ctx: Context) -> list[Option]:
        conditions = self.handlers.conditions
        return [o for o in node.options if o.when is None or conditions[o.when](ctx)]

    def option_lines(self, node: Node, ctx: Context) -> list[str]:
        options = self.visible_options(node, ctx)
        return [f"{n}. {ctx.text(o.label)}" for n, o in enumerate(options, start=1)]

    def nav(self, ctx: Context, more: bool, back: bool) -> list[str]:
        lines = [f"{MORE}. {ctx.text('nav.more')}"] if more else []
        if back:
            lines.append(f"{BACK}. {ctx.text('nav.back')}")
        return lines

    # -- paging ----------------------------------------------------------------------------
    def list_pages(self, node: Node, ctx: Context) -> list[list[tuple[int, Item]]]:
        """A list's items split into screens that fit, with room for a hint and navigation."""
        ctx.screen_text = node.text or ""
        items = self.handlers.sources[node.source or ""](ctx)
        fixed = (ctx.text("ussd.invalid"), *self.heading(node, ctx))
        nav = tuple(self.nav(ctx, more=True, back=True))
        pages: list[list[tuple[int, Item]]] = []
        start = 0
        for size in _list_page_sizes(tuple(item.label for item in items), fixed, nav):
            pages.append([(n + 1, items[n]) for n in range(start, start + size)])
            start += size
        return pages

    def content_pages(self, node: Node, walk: Walk | None, ctx: Context) -> list[str]:
        """A long text split at spaces into pieces that fit beside the node's options."""
        content = str(self.handlers.views[node.content or ""](ctx)["content"])
        fixed = self.heading(node, ctx) + self.option_lines(node, ctx)
        room = SCREEN_LIMIT - _width(fixed + self.nav(ctx, more=True, back=True)) - 1
        return list(_text_pages(content, room))

    # -- the screen ------------------------------------------------------------------------
    def render(self, node: Node, walk: Walk, ctx: Context) -> Screen:
        hint = [ctx.text(walk.hint)] if walk.hint else []
        more = False
        body = self.heading(node, ctx)
        if node.kind in ("menu", "paged"):
            if node.kind == "paged":
                texts = self.content_pages(node, walk, ctx)
                body.append(texts[walk.page])
                more = walk.page + 1 < len(texts)
            body += self.option_lines(node, ctx)
        elif node.kind == "confirm":
            body += [f"1. {ctx.text('common.yes')}", f"2. {ctx.text('common.no')}"]
        elif node.kind == "list":
            pages = self.list_pages(node, ctx)
            if not pages[0] and node.empty:
                body = [ctx.text(node.empty, **self.values(node, ctx))]
            body += [f"{n}. {item.label}" for n, item in pages[walk.page]]
            more = walk.page + 1 < len(pages)
        end = node.kind == "end"
        nav = [] if end else self.nav(ctx, more, back=bool(walk.history))
        # A menu's title may go before its last options would: they are what the caller needs.
        title = 1 if node.kind == "menu" and node.text and len(body) > 1 else 0
        return self.fit(node, ctx, hint, body, nav, end, title=title)

    def fit(
        self,
        node: Node,
        ctx: Context,
        hint: list[str],
        body: list[str],
        nav: list[str],
        end: bool,
        *,
        title: int = 0,
    ) -> Screen:
        """The fullest screen that fits: without the Back line (0 still works), then without
        the hint (the same screen again says as much), then without a menu's ``title`` first
        line(s) (a main menu with every option a caller may have); cutting text is the last
        resort."""
        without_back = [line for line in nav if not line.startswith(f"{BACK}.")]
        back = ("back",) if without_back != nav else ()
        hinted = ("hint",) if hint else ()
        candidates = [
            (hint + body + nav, ()),
            (hint + body + without_back, back),
            (body + nav, hinted),
            (body + without_back, hinted + back),
        ]
        if title:
            candidates.append((body[title:] + without_back, (*hinted, *back, "title")))
        for lines, dropped in candidates:
            text = transliterate("\n".join(lines))
            if len(text) <= SCREEN_LIMIT:
                return Screen(text, end, dropped)
        log.error("USSD screen %s in %s is %d characters", node.id, ctx.language, len(text))
        return Screen(text[:SCREEN_LIMIT], end, (*hinted, *back, "text"))


# The splitting below is a pure function of the texts it is given, so it is worked out once per
# distinct list or text (the same menu in the same language is split the same way every hop).
@lru_cache(maxsize=4096)
def _list_page_sizes(
    labels: tuple[str, ...], fixed: tuple[str, ...], nav: tuple[str, ...]
) -> tuple[int, ...]:
    """How many of ``labels`` go on each screen, beside ``fixed`` lines and ``nav``."""
    pages: list[list[str]] = [[]]
    for number, label in enumerate(labels, start=1):
        line = f"{number}. {label}"
        if pages[-1] and _width([*fixed, *pages[-1], line, *nav]) > SCREEN_LIMIT:
            pages.append([line])
        else:
            pages[-1].append(line)
    return tuple(len(page) for page in pages)


@lru_cache(maxsize=1024)
def _text_pages(content: str, room: int) -> tuple[str, ...]:
    """``content`` split at spaces into pieces of at most ``room`` characters."""
    words = transliterate(content).split()
    pages: list[str] = []
    current = ""
    for word in words:
        while len(word) > room:  # a word longer than a page (a web address): cut it
            if current:
                pages.append(current)
                current = ""
            pages.append(word[:room])
            word = word[room:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > room:
            pages.append(current)
            current = word
        else:
            current = candidate
    if current or not pages:
        pages.append(current)
    return tuple(pages)
