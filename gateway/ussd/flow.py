"""USSD flows as data: loading ``flows/main.yaml`` into typed nodes, checked when loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KINDS = frozenset({"route", "menu", "list", "input", "confirm", "paged", "action", "end"})
RESUME = "__resume__"  # a confirm target: go back to where a dropped session left off


class FlowError(ValueError):
    """A flow file that does not describe a walkable menu tree."""


@dataclass(frozen=True)
class Option:
    label: str
    next: str
    when: str | None = None  # a condition; the option is shown only when it holds


@dataclass(frozen=True)
class Route:
    to: str
    when: str | None = None


@dataclass(frozen=True)
class Validation:
    kind: str = "text"  # "text" or "number"
    min: int = 1
    max: int = 160


@dataclass(frozen=True)
class Node:
    """One screen (or a step without a screen: ``route``, ``action``) of a flow."""

    id: str
    kind: str
    text: str | None = None  # a key in messages/
    options: tuple[Option, ...] = ()
    routes: tuple[Route, ...] = ()
    source: str | None = None  # list: where the items come from
    content: str | None = None  # paged: the view giving the long text
    view: str | None = None  # values for the text's placeholders
    save: str | None = None  # list/input: the session value the answer is kept as
    action: str | None = None  # run when the node is reached (or an item chosen)
    next: str | None = None
    accept: str | None = None
    decline: str | None = None
    empty: str | None = None  # list: the text when there is nothing to list
    hint: str | None = None  # input: the hint when the answer is not valid
    validate: Validation = field(default_factory=Validation)
    resumable: bool = False  # a dropped session here is offered "continue where you left off"
    back: bool = True  # False: no way back from here (0 is an answer, e.g. to "how many?")

    def targets(self) -> list[str]:
        """Every node this one can lead to."""
        found = [o.next for o in self.options] + [r.to for r in self.routes]
        found += [t for t in (self.next, self.accept, self.decline) if t]
        return [t for t in found if t != RESUME]

    def keys(self) -> list[str]:
        """Every text key the node shows."""
        found = [self.text, self.empty, self.hint] + [o.label for o in self.options]
        return [k for k in found if k]


@dataclass(frozen=True)
class Flow:
    start: str
    home: str
    nodes: dict[str, Node] = field(default_factory=dict)

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]


def _node(node_id: str, raw: dict[str, Any]) -> Node:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise FlowError(f"node {node_id!r}: kind must be one of {sorted(KINDS)}, not {kind!r}")
    plain: tuple[str, ...] = ("text", "source", "content", "view", "save", "action", "next")
    plain += ("accept", "decline", "empty", "hint")
    return Node(
        id=node_id,
        kind=kind,
        options=tuple(Option(o["label"], o["next"], o.get("when")) for o in raw.get("options", [])),
        routes=tuple(Route(r["to"], r.get("when")) for r in raw.get("routes", [])),
        validate=Validation(**raw.get("validate", {})),
        resumable=bool(raw.get("resumable", False)),
        back=bool(raw.get("back", True)),
        **{name: raw.get(name) for name in plain},
    )


_NEEDS = {
    "list": ("source", "next"),
    "input": ("save", "next"),
    "confirm": ("accept", "decline"),
    "paged": ("content",),
    "action": ("action", "next"),
    "menu": ("options",),
    "route": ("routes",),
}


def _check(flow: Flow) -> None:
    for node in flow.nodes.values():
        for target in node.targets():
            if target not in flow.nodes:
                raise FlowError(f"node {node.id!r} leads to unknown node {target!r}")
        if node.kind not in ("route", "action", "paged") and not node.text:
            raise FlowError(f"node {node.id!r} has no text")
        for needed in _NEEDS.get(node.kind, ()):
            if not getattr(node, needed):
                raise FlowError(f"{node.kind} node {node.id!r} needs {needed!r}")
    for name in (flow.start, flow.home):
        if name not in flow.nodes:
            raise FlowError(f"the flow starts or goes home at unknown node {name!r}")


def load_flow(path: Path) -> Flow:
    """Read and check one flow file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    nodes = {node_id: _node(node_id, spec) for node_id, spec in raw["nodes"].items()}
    flow = Flow(start=raw["start"], home=raw.get("home", raw["start"]), nodes=nodes)
    _check(flow)
    return flow
