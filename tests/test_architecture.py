"""The package's shape: stages as packages, imports downhill, no cycle, small modules, tests mirrored."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import grimp
import pytest

from tests.conftest import REPO

PACKAGE = REPO / "analyzer"
MAX_MODULE_LINES = 300
MAX_TOP_LEVEL_MODULES = 6


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_lint_imports_keeps_every_contract() -> None:
    """import-linter's layers and acyclic contracts in pyproject.toml hold."""
    command = shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is missing: install the dev extra (pip install -e '.[dev]')")
    result = subprocess.run([command], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components of `graph` (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root, imported in graph.items():
        if root in index:
            continue
        work = [(root, iter(sorted(imported)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


def test_no_import_cycle_anywhere_function_level_imports_included() -> None:
    """Every module, package `__init__`s too, imports only modules that never import it back."""
    graph = grimp.build_graph("analyzer", cache_dir=None)
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    cycles = [component for component in strongly_connected(edges) if len(component) > 1]
    assert cycles == []
    assert all(module not in imported for module, imported in edges.items())


def test_strongly_connected_finds_a_cycle() -> None:
    """The cycle finder itself: a -> b -> c -> a is one component, d alone."""
    components = strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()})
    assert sorted(map(sorted, components)) == [["a", "b", "c"], ["d"]]


def test_no_module_is_over_300_lines() -> None:
    long = {
        str(path.relative_to(REPO)): n
        for path in modules()
        if (n := len(path.read_text().splitlines())) > 300
    }
    assert long == {}


def test_the_top_level_holds_packages_and_few_modules() -> None:
    """At least 4 stage packages; at most 6 modules directly in analyzer/."""
    packages = [path for path in PACKAGE.iterdir() if (path / "__init__.py").exists()]
    top_level = list(PACKAGE.glob("*.py"))
    assert len(packages) >= 4
    assert len(top_level) <= MAX_TOP_LEVEL_MODULES


def test_each_package_says_what_it_owns_and_may_import() -> None:
    """Each subpackage's `__init__.py` starts with a docstring of two or three lines."""
    for init in PACKAGE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text()))
        assert docstring, f"{init} has no docstring"
        assert 2 <= len(docstring.splitlines()) <= 3, f"{init}: {docstring!r}"
        assert "import" in docstring.lower(), f"{init} does not say what it may import"


def test_every_module_has_its_test_file() -> None:
    """tests/ mirrors the packages: analyzer/P/M.py is tested in tests/P/test_M.py."""
    missing = []
    for path in modules():
        if path.name in ("__init__.py", "__main__.py"):
            continue
        relative = path.relative_to(PACKAGE)
        expected = REPO / "tests" / relative.parent / f"test_{relative.name}"
        if not expected.exists():
            missing.append(str(expected.relative_to(REPO)))
    assert missing == []
