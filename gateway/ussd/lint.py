"""Render every screen of the flow in every language with realistic long values.

Part of ``flask --app wsgi messages lint``: a screen fails when it does not fit 160 GSM-7
characters with its navigation (a hint above it may push the Back line out, never the text),
or when transliteration had to drop characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import current_app

from gateway.contacts.models import Contact
from gateway.i18n import Catalogs
from gateway.messages_lint import SAMPLE_VALUES, Problem
from gateway.settings import Settings, current_settings
from gateway.ussd.engine import INVALID, Context, Engine, Hop, Item, Walk
from gateway.ussd.flow import Node
from gateway.ussd.registry import Handlers, Source, View
from gateway.ussd.screens import Renderer

T = TypeVar("T")

# Data that lives in the database, as long as the secretariat may make it.
_LONG_ITEMS = {
    "meetings": [Item(str(n), f"31 Des {SAMPLE_VALUES['title']}") for n in range(12)],
    "polls": [Item(str(n), str(SAMPLE_VALUES["question"])[:48]) for n in range(6)],
    "poll_options": [Item(str(n), "Option of up to forty characters long...") for n in range(5)],
    "guide_subscriptions": [Item(g, f"{SAMPLE_VALUES['guide']} (imewashwa)") for g in "ab"],
    "surveys": [Item(str(n), "Survey title of up to forty characters..") for n in range(6)],
    "survey_options": [Item(str(n), "An option of thirty characters") for n in range(9)],
    "consultations": [Item(str(n), str(SAMPLE_VALUES["question"])[:48]) for n in range(6)],
    "consultation_clauses": [Item(str(n), "Regulation 17(2)(b) and Schedule 3") for n in range(12)],
    "promises": [
        Item(str(n), "A promise cut to forty-eight characters, as sh...") for n in range(6)
    ],
}
_LONG_VIEWS: dict[str, dict[str, object]] = {
    "meeting": {k: SAMPLE_VALUES[k] for k in ("title", "when", "place")},
    "meetings_area": {"county": SAMPLE_VALUES["county"]},
    "poll": {"question": SAMPLE_VALUES["question"]},
    "poll_choice": {"choice": SAMPLE_VALUES["choice"]},
    "survey": {"title": "Survey title of up to forty characters.."},
    "survey_question": {"position": 10, "count": 10, "prompt": "Q" * 100},
    "consultation": {"title": str(SAMPLE_VALUES["question"])[:48]},
    "clause": {"reference": "Regulation 17(2)(b) and Schedule 3"},
    "clause_summary": {"content": "Regulation 17(2)(b): " + "A clause summary. " * 16},
    "promise": {"what": ("A promise as long as a commitment's may be: " * 3)[:120]},
}
_SESSION = {
    "county": "Taita Taveta",
    "ward": "Macalder/Kanyarwanda",
    "category": "security",
    "description": "x" * 140,
    "anonymous": "yes",
    "reference": str(SAMPLE_VALUES["reference"]),
}


# The session values an area draws some screens with (every guide chapter for the Learn
# screens), or None for a screen that is not its own; :mod:`gateway.wiring` adds them. A screen
# no area claims is drawn once, with the values of ``_SESSION``.
Variants = Callable[[Node], Iterable[dict[str, str]] | None]
VARIANTS: list[Variants] = []


def add_variants(variants: Variants) -> None:
    if variants not in VARIANTS:
        VARIANTS.append(variants)


def _variants(node: Node) -> Iterable[dict[str, str]]:
    for variants in VARIANTS:
        found = variants(node)
        if found is not None:
            return found
    return [{}]


def lint_app_flow(catalogs: Catalogs) -> list[Problem]:
    """:func:`lint_flow` for the app's engine, a check of ``flask messages lint``."""
    if "ussd_engine" not in current_app.extensions:
        return []
    return lint_flow(current_app.extensions["ussd_engine"], catalogs, current_settings())


def lint_flow(engine: Engine, catalogs: Catalogs, settings: Settings) -> list[Problem]:
    real = engine.handlers
    sources: dict[str, Source] = dict(real.sources)
    views: dict[str, View] = dict(real.views)
    for name, items in _LONG_ITEMS.items():
        sources[name] = _constant(items)
    for name, values in _LONG_VIEWS.items():
        views[name] = _constant(values)
    handlers = Handlers(conditions=real.conditions, sources=sources, views=views)
    renderer = Renderer(handlers)
    # A menu as full as any caller may see it: every option a condition may show, shown (some
    # exclude each other; this errs on the side of a full screen).
    shown = {name: _constant(True) for name in real.conditions}
    full = Renderer(Handlers(conditions=shown, sources=sources, views=views))
    problems: list[Problem] = []
    for language in catalogs.languages():
        for node in engine.flow.nodes.values():
            if node.kind in ("route", "action"):
                continue
            for extra in _variants(node):
                contact = Contact(phone="+254700000000", language=language.code)
                ctx = Context(
                    Hop("lint", contact.phone, settings.ussd_code, ""),
                    contact,
                    settings,
                    catalogs,
                    data={**_SESSION, **extra},
                )
                problems += _check_node(renderer, node, ctx, language.code)
                if node.kind == "menu":
                    problems += _check_full_menu(full, node, ctx, language.code)
    return problems


def _constant(value: T) -> Callable[[Context], T]:
    def always(ctx: Context) -> T:
        return value

    return always


def _pages(renderer: Renderer, node: Node, ctx: Context) -> int:
    if node.kind == "list":
        return len(renderer.list_pages(node, ctx))
    if node.kind == "paged":
        return len(renderer.content_pages(node, None, ctx))
    return 1


def _check_node(renderer: Renderer, node: Node, ctx: Context, language: str) -> list[Problem]:
    problems = []
    where = f"{node.id} ({ctx.data.get('chapter', '')})" if "chapter" in ctx.data else node.id
    for page in range(_pages(renderer, node, ctx)):
        for hint in (None, node.hint or INVALID):
            walk = Walk(node.id, page, history=[("main", 0)], hint=hint)
            screen = renderer.render(node, walk, ctx)
            lost = [
                d
                for d in screen.dropped
                if d not in ("hint", "title") and (hint is None or d != "back")
            ]
            if lost:
                problems.append(
                    Problem(
                        language,
                        where,
                        f"screen (page {page + 1}) does not fit 160 characters: {', '.join(lost)} "
                        f"dropped: {screen.text!r}",
                    )
                )
            if "?" in screen.text and "?" not in _source_text(renderer, node, ctx):
                problems.append(Problem(language, where, "characters lost in transliteration"))
    return problems


def _check_full_menu(full: Renderer, node: Node, ctx: Context, language: str) -> list[Problem]:
    """A menu with every option a caller may have: it may lose its title and Back line (0 still
    works), never an option."""
    screen = full.render(node, Walk(node.id, 0, history=[("main", 0)]), ctx)
    if "text" not in screen.dropped:
        return []
    return [Problem(language, node.id, f"the fullest menu does not fit: {screen.text!r}")]


def _source_text(renderer: Renderer, node: Node, ctx: Context) -> str:
    """The texts a screen is made of, before transliteration (to tell a real ``?``)."""
    parts = renderer.heading(node, ctx) + renderer.option_lines(node, ctx)
    if node.content:
        parts.append(str(renderer.handlers.views[node.content](ctx)["content"]))
    if node.source:
        parts += [item.label for item in renderer.handlers.sources[node.source](ctx)]
    return "\n".join(parts + [ctx.text(k) for k in ("ussd.invalid", "nav.back", "nav.more")])
