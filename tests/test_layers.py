"""The direction of every import between the gateway's packages (docs/architecture.md).

Each package ``gateway/<pkg>/`` and each module ``gateway/<mod>.py`` is one node; every import
(``ast``, those inside functions too) is an edge. The lower layers import no feature, no
package imports one that imports it back, and only the assembly at the top imports
everything.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

GATEWAY = Path(__file__).resolve().parent.parent / "gateway"

# Bottom to top: each lower layer may import those before it, never one after it.
LOWER = ("users", "contacts", "sms", "ussd", "voice", "api")
FEATURES = frozenset(
    {
        "broadcasts",
        "consultations",
        "commitments",
        "guides",
        "inbox",
        "platforms",
        "meetings",
        "polls",
        "radio",
        "reports",
        "surveys",
        "privacy",
        "admin",
        "webhooks",
        "public",
    }
)
# The top: may import anything, and nothing below imports it, except the app factory
# (``from gateway import create_app``) a job needs when it runs outside a worker's app.
ASSEMBLY = frozenset({"__init__", "wiring", "models", "cli", "devserver", "demo"})
APP_FACTORY = "create_app"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # file:line
    name: str  # the imported module or name

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}: {self.where} imports {self.name}"


def _node(module: str) -> str:
    """The node of a dotted module inside the gateway package."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    return parts[0]


def _is_module(name: str) -> bool:
    return (GATEWAY / name).is_dir() or (GATEWAY / f"{name}.py").is_file()


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module of the gateway that ``path`` imports, with the line, relative ones too."""
    package = ".".join(("gateway", *path.relative_to(GATEWAY).with_suffix("").parts))
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    else:
        package = package.removesuffix(".__init__")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if base == "gateway":  # from gateway import cli, create_app
                for alias in node.names:
                    name = alias.name if _is_module(alias.name) else ""
                    yield node.lineno, f"gateway.{name}" if name else f"gateway:{alias.name}"
            else:
                yield node.lineno, base


def edges() -> list[Edge]:
    found = []
    for path in sorted(GATEWAY.rglob("*.py")):
        rel = path.relative_to(GATEWAY)
        source = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for line, module in _imports(path):
            if module.split(".")[0].split(":")[0] != "gateway":
                continue
            target = "__init__" if ":" in module else _node(module)
            if target != source:
                found.append(Edge(source, target, f"gateway/{rel}:{line}", module))
    return found


def _listing(found: list[Edge]) -> str:
    return "\n".join(str(edge) for edge in found)


def _cycles(found: list[Edge]) -> list[list[str]]:
    """The groups of nodes that import each other, round a circle (Tarjan's components)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in found:
        graph[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_imports_inside_functions():
    """Does the walk find the lazy imports too (the ones that used to hide the circles)?"""
    found = {(e.source, e.target) for e in edges()}
    assert ("__init__", "wiring") in found  # imported inside create_app
    assert ("wiring", "polls") in found  # inside a section function


@pytest.mark.parametrize(
    "layer",
    LOWER,
)
def test_a_lower_layer_imports_no_feature_and_no_layer_above_it(layer: str):
    """Does ``layer`` import only what is below it (features plug in through gateway.wiring)?"""
    above = set(LOWER[LOWER.index(layer) + 1 :]) | FEATURES | ASSEMBLY
    wrong = [e for e in edges() if e.source == layer and e.target in above]
    assert not wrong, "lower layer imports upward:\n" + _listing(wrong)


def test_nothing_below_imports_the_assembly():
    """Is wiring (and create_app's other modules) imported by nobody but the assembly?"""
    wrong = [
        e
        for e in edges()
        if e.target in ASSEMBLY and e.source not in ASSEMBLY and e.name != f"gateway:{APP_FACTORY}"
    ]
    assert not wrong, "imports of the assembly from below:\n" + _listing(wrong)


def test_no_import_circle_between_packages():
    """Does no package import another that imports it back, directly or round a circle?"""
    below = [e for e in edges() if e.source not in ASSEMBLY and e.target not in ASSEMBLY]
    report = []
    for group in _cycles(below):
        report.append("these import each other round circles: " + ", ".join(group))
        pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
        for e in below:
            if e.source in group and e.target in group:
                pairs[e.source, e.target].append(e.where.removeprefix("gateway/"))
        report += [f"  {a} -> {b}: {', '.join(where)}" for (a, b), where in sorted(pairs.items())]
    assert not report, "\n".join(report)
