"""The layout a newcomer can change safely: each layer imports only the layers below it, and no two modules
import each other (directly or round a loop). Read from the source, so a new module is covered at once."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "store", "activities", "workflows", "api", "dev")
# What each layer must never import (a pure domain; a store that knows no process engine or web; ...).
FORBIDDEN = {
    "domain": {"store", "activities", "workflows", "api", "dev"},
    "store": {"activities", "workflows", "api", "dev"},
    "activities": {"api", "dev"},
    "workflows": {"store", "api", "dev"},
}
# A lazy import inside a function, kept on purpose and explained where it stands (the calendar-change activity
# signals CaseWorkflow, whose module imports that activity module's functions into the sandbox; the push activity
# starts DeliveryWorkflow, whose module imports workflows.common, which imports the push activity).
ALLOWED_LAZY = {("activities.calendar_change", "workflows.case"), ("activities.push", "workflows.delivery")}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (a type-only back-reference is not a runtime import)."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name].update(t for t in targets if t in modules and (name, t) not in ALLOWED_LAZY)
    return graph


def test_no_layer_imports_a_layer_above_it() -> None:
    graph = _imports(_modules())
    wrong = sorted(f"{src} → {dst}" for src, dsts in graph.items() for dst in dsts
                   if dst.split(".")[0] in FORBIDDEN.get(src.split(".")[0], set()))
    assert wrong == []


def test_there_is_no_import_cycle() -> None:
    graph = _imports(_modules())
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
