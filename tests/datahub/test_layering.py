"""The one-way order inside ``citybrain.datahub`` (docs/architecture.md, "Inside the data hub").

Each subpackage may import only subpackages of lower layers; packages of one layer do not import
each other. The imports are read with ``ast`` (top-level and function-local alike, relative ones
resolved), so a lazy import inside a function counts as much as one at the top.

Run as a script to print the measured graph: every edge with its count and the cycles
(``python tests/datahub/test_layering.py [-v]``).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

DATAHUB = Path(__file__).resolve().parents[2] / "src" / "citybrain" / "datahub"
PREFIX = ("citybrain", "datahub")

# Lowest first. A package may import the packages of any layer below its own, nothing else.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"catalog"}),
    frozenset({"quality", "datasources"}),
    frozenset({"ingest"}),
    frozenset({"rectification", "masterdata", "sharing", "opendata"}),
    frozenset({"demo"}),
)

Edge = tuple[str, str]


def _layer_of(package: str) -> int:
    for index, members in enumerate(LAYERS):
        if package in members:
            return index
    raise AssertionError(f"datahub/{package} is in no layer: add it to LAYERS")


def _imported_modules(node: ast.AST, module_parts: tuple[str, ...], is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        here = module_parts if is_package else module_parts[:-1]
        base = list(here[: len(here) - (node.level - 1)])
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    # ``from citybrain.datahub import ingest`` names the subpackage in the alias.
    if target == ".".join(PREFIX):
        return [f"{target}.{alias.name}" for alias in node.names]
    return [target]


def import_edges(root: Path = DATAHUB) -> dict[Edge, list[str]]:
    """(importer, imported) subpackage → the import sites, ``path:line module``."""
    edges: dict[Edge, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if len(relative.parts) < 2:  # datahub/__init__.py belongs to no subpackage
            continue
        source = relative.parts[0]
        is_package = path.name == "__init__.py"
        parts = (*PREFIX, *relative.with_suffix("").parts)
        if is_package:
            parts = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for module in _imported_modules(node, parts, is_package):
                names = module.split(".")
                if tuple(names[:2]) != PREFIX or len(names) < 3 or names[2] == source:
                    continue
                edges[(source, names[2])].append(f"{relative}:{node.lineno} {module}")
    return dict(edges)


def cycles(edges: dict[Edge, list[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

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
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def forbidden(edges: dict[Edge, list[str]]) -> dict[Edge, list[str]]:
    return {
        (source, target): sites
        for (source, target), sites in edges.items()
        if _layer_of(target) >= _layer_of(source)
    }


def test_every_subpackage_has_a_layer() -> None:
    packages = {p.name for p in DATAHUB.iterdir() if (p / "__init__.py").is_file()}
    placed = set().union(*LAYERS)
    assert packages == placed


def test_datahub_imports_only_downward() -> None:
    wrong = forbidden(import_edges())
    report = "\n".join(
        f"{source} → {target}: {site}"
        for (source, target), sites in sorted(wrong.items())
        for site in sites
    )
    assert not wrong, f"imports against the order in LAYERS:\n{report}"


def test_no_cycles_between_subpackages() -> None:
    assert cycles(import_edges()) == []


def test_the_check_sees_a_lazy_relative_import(tmp_path: Path) -> None:
    """The parser must catch an upward import hidden in a function and written relatively."""
    (tmp_path / "quality").mkdir()
    (tmp_path / "ingest").mkdir()
    (tmp_path / "quality" / "__init__.py").write_text("")
    (tmp_path / "ingest" / "__init__.py").write_text("")
    (tmp_path / "quality" / "router.py").write_text(
        "def f():\n    from ..ingest import config\n    return config\n"
    )
    (tmp_path / "ingest" / "runner.py").write_text("from citybrain.datahub.quality import rules\n")
    edges = import_edges(tmp_path)
    assert set(edges) == {("quality", "ingest"), ("ingest", "quality")}
    assert set(forbidden(edges)) == {("quality", "ingest")}
    assert cycles(edges) == [["ingest", "quality"]]


if __name__ == "__main__":  # pragma: no cover - the measuring script
    measured = import_edges()
    wrong_edges = forbidden(measured)
    for (src, dst), sites in sorted(measured.items()):
        mark = "  FORBIDDEN" if (src, dst) in wrong_edges else ""
        print(f"{src:>14} → {dst:<14} {len(sites):3d}{mark}")
        if "-v" in sys.argv:
            for site in sites:
                print(f"{'':20}{site}")
    print("cycles:", cycles(measured) or "none")
    sys.exit(pytest.ExitCode.TESTS_FAILED if wrong_edges else 0)
