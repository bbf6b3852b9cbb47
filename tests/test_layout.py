"""The rules of the layout (docs/architecture.md), checked on the source: no import cycle,
dependencies point down (drafting never imports publishing, machinery sits beneath), and a
function over 60 lines says why in its docstring."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "generator"
LONGEST = 60


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Every module of ours `name` imports, at any depth of its code (lazy and type-only
    imports count: a cycle through them is still a cycle of meaning)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _cycle_from(start: str) -> list[str] | None:
    """A path of imports from `start` back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        here, path = stack.pop()
        for there in GRAPH[here]:
            if there == start:
                return [*path, start]
            if there not in seen:
                seen.add(there)
                stack.append((there, [*path, there]))
    return None


def test_no_module_imports_itself_through_others() -> None:
    cycles = [" → ".join(c) for name in sorted(MODULES) if (c := _cycle_from(name))]
    assert not cycles, "\n".join(cycles[:5])


def test_dependencies_point_down() -> None:
    wrong = []
    for name, imported in GRAPH.items():
        for other in imported:
            if name.startswith("generator.drafting") and other.startswith(
                ("generator.publishing", "generator.cli")
            ):
                wrong.append(f"{name} → {other}")
            if name.startswith("generator.machinery") and not (
                other.startswith("generator.machinery")
                or other in ("generator", "generator.inputs.settings", "generator.drafting.models")
            ):
                wrong.append(f"{name} → {other}")
    assert not wrong, "\n".join(sorted(wrong))


def test_a_long_function_says_why() -> None:
    unexplained = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LONGEST and "Long by design" not in (ast.get_docstring(node) or ""):
                    unexplained.append(f"{name}.{node.name}: {length} lines")
    assert not unexplained, "\n".join(unexplained)


def test_the_checks_see_the_whole_package() -> None:
    assert {"generator.cli", "generator.drafting.pipeline", "generator.machinery.http"} <= set(
        MODULES
    )
    assert "generator.drafting.models" in GRAPH["generator.drafting.pipeline"]
