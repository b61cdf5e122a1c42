"""USSD flows as data: loading ``flows/*.yaml`` into typed nodes, checked when loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KINDS = frozenset({"route", "menu", "list", "confirm", "end"})


class FlowError(ValueError):
    """A flow file that does not describe a walkable menu tree."""


@dataclass(frozen=True)
class Option:
    label: str
    next: str


@dataclass(frozen=True)
class Route:
    to: str
    when: str | None = None


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    text: str | None = None
    options: tuple[Option, ...] = ()
    routes: tuple[Route, ...] = ()
    source: str | None = None
    save: str | None = None
    action: str | None = None
    next: str | None = None
    accept: str | None = None
    decline: str | None = None

    def targets(self) -> list[str]:
        """Every node this one can lead to."""
        found = [o.next for o in self.options] + [r.to for r in self.routes]
        found += [t for t in (self.next, self.accept, self.decline) if t]
        return found


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
    return Node(
        id=node_id,
        kind=kind,
        text=raw.get("text"),
        options=tuple(Option(o["label"], o["next"]) for o in raw.get("options", [])),
        routes=tuple(Route(r["to"], r.get("when")) for r in raw.get("routes", [])),
        source=raw.get("source"),
        save=raw.get("save"),
        action=raw.get("action"),
        next=raw.get("next"),
        accept=raw.get("accept"),
        decline=raw.get("decline"),
    )


def _check(flow: Flow) -> None:
    for node in flow.nodes.values():
        for target in node.targets():
            if target not in flow.nodes:
                raise FlowError(f"node {node.id!r} leads to unknown node {target!r}")
        if node.kind != "route" and not node.text:
            raise FlowError(f"node {node.id!r} has no text")
        if node.kind == "list" and not (node.source and node.next):
            raise FlowError(f"list node {node.id!r} needs a source and a next node")
        if node.kind == "confirm" and not (node.accept and node.decline):
            raise FlowError(f"confirm node {node.id!r} needs accept and decline")
        if node.kind == "menu" and not node.options:
            raise FlowError(f"menu node {node.id!r} has no options")
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


def load_counties(path: Path) -> tuple[str, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(str(c) for c in raw["counties"])
