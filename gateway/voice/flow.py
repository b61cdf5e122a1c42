"""Voice flows as data: ``flows/voice.yaml`` loaded into typed nodes, checked when loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KINDS = frozenset({"route", "say", "menu", "list", "input", "record", "player", "action", "end"})
INPUT_KINDS = frozenset({"menu", "list", "input", "record", "player"})  # they wait for the caller


class VoiceFlowError(ValueError):
    """A voice flow file that does not describe a walkable menu."""


@dataclass(frozen=True)
class Option:
    key: str  # the phone key, "0" to "9"
    prompt: str
    next: str
    when: str | None = None
    language: str | None = None  # spoken in this language, whatever the caller's
    action: str | None = None
    value: str | None = None  # given to the action


@dataclass(frozen=True)
class Route:
    to: str
    when: str | None = None


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    prompt: str | None = None
    options: tuple[Option, ...] = ()
    routes: tuple[Route, ...] = ()
    source: str | None = None  # list, player: where the items come from
    save: str | None = None  # list: the call value the chosen item is kept as
    action: str | None = None
    next: str | None = None
    back: str | None = None  # list, player: where 0 goes
    done: str | None = None  # player: said after the last item
    max_s: int | None = None  # record: the longest recording (else the setting)
    about: str | None = None  # menu, list: a source whose items are spoken before the prompt
    empty: str | None = None  # list: said when its source has no item, then to `back`
    press: str | None = None  # list: said after each item, with its key and values
    digits: int | None = None  # input: the most digits keyed (# ends sooner)
    sounds: str | None = None  # a named handler: what plays after the prompt (no catalog key)


@dataclass(frozen=True)
class VoiceFlow:
    start: str
    goodbye: str  # the prompt of a call that ends for want of an answer
    nodes: dict[str, Node]

    def prompt_keys(self) -> set[str]:
        """Every prompt key the flow names (not those its sources give)."""
        keys = {self.goodbye}
        for node in self.nodes.values():
            keys.update(k for k in (node.prompt, node.done, node.empty, node.press) if k)
            keys.update(option.prompt for option in node.options)
        return keys


def _node(node_id: str, raw: dict[str, Any]) -> Node:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise VoiceFlowError(f"{node_id}: kind must be one of {sorted(KINDS)}, not {kind!r}")
    options = tuple(
        Option(
            key=str(o["key"]),
            prompt=str(o["prompt"]),
            next=str(o["next"]),
            when=o.get("when"),
            language=o.get("language"),
            action=o.get("action"),
            value=None if o.get("value") is None else str(o["value"]),
        )
        for o in raw.get("options", ())
    )
    routes = tuple(Route(str(r["to"]), r.get("when")) for r in raw.get("routes", ()))
    return Node(
        id=node_id,
        kind=str(kind),
        prompt=raw.get("prompt"),
        options=options,
        routes=routes,
        source=raw.get("source"),
        save=raw.get("save"),
        action=raw.get("action"),
        next=raw.get("next"),
        back=raw.get("back"),
        done=raw.get("done"),
        max_s=raw.get("max"),
        about=raw.get("about"),
        empty=raw.get("empty"),
        press=raw.get("press"),
        digits=raw.get("digits"),
        sounds=raw.get("sounds"),
    )


def _check(flow: VoiceFlow) -> None:
    problems = []
    for node in flow.nodes.values():
        targets = [node.next, node.back, *(o.next for o in node.options)]
        targets += [r.to for r in node.routes]
        problems += [f"{node.id}: no node {t!r}" for t in targets if t and t not in flow.nodes]
        keys = [o.key for o in node.options]
        if len(keys) != len(set(keys)):
            problems.append(f"{node.id}: a key is used twice")
        if any(len(k) != 1 or k not in "0123456789" for k in keys):
            problems.append(f"{node.id}: option keys are single digits")
        needs = {
            "menu": node.options,
            "list": node.source and node.next,
            "player": node.source and node.back,
            "input": node.action and node.next and node.digits,
            "record": node.action and node.next,
            "route": node.routes,
            "say": node.prompt and node.next,
            "action": node.action and node.next,
            "end": node.prompt,
        }[node.kind]
        if not needs:
            problems.append(f"{node.id}: a {node.kind} node is missing what it needs")
        if node.empty and not node.back:
            problems.append(f"{node.id}: `empty` needs a `back` to go to")
    if flow.start not in flow.nodes:
        problems.append(f"start: no node {flow.start!r}")
    if problems:
        raise VoiceFlowError("; ".join(problems))


def load_voice_flow(path: Path) -> VoiceFlow:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    nodes = {str(k): _node(str(k), v) for k, v in (raw.get("nodes") or {}).items()}
    flow = VoiceFlow(str(raw.get("start")), str(raw.get("goodbye")), nodes)
    _check(flow)
    return flow
