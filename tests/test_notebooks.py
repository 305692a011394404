"""The notebooks stay loadable and their code stays sound, checked without Jupyter installed."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
PROJECT_AND_PLOTTING = {"analyzer", "pandas", "numpy", "matplotlib"}
ALLOWED_IMPORTS = PROJECT_AND_PLOTTING | {"pathlib", "tempfile", "glob", "os", "sys", "json"}
MAX_BYTES = 1_500_000


def load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        notebook: dict[str, Any] = json.load(handle)
    return notebook


def code_cells(path: Path) -> list[tuple[str, str]]:
    """(name, source) of each code cell, with IPython `%magic` and `!shell` lines left out."""
    cells = []
    for number, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        cells.append((f"{path.name}[cell {number}]", "\n".join(lines)))
    return cells


def imported_modules(tree: ast.AST) -> set[str]:
    """Top-level names of every module an `import` or `from ... import` brings in."""
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add("." if node.level else (node.module or "").split(".")[0])
    return modules


def test_the_two_notebooks_exist() -> None:
    """explore_outputs and choose_threshold are both in notebooks/."""
    assert {path.name for path in PATHS} >= {"explore_outputs.ipynb", "choose_threshold.ipynb"}


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_notebook_is_nbformat_4_json(path: Path) -> None:
    """The file is valid JSON in nbformat 4 with a list of typed cells."""
    notebook = load(path)
    assert notebook["nbformat"] == 4
    assert isinstance(notebook["cells"], list) and notebook["cells"]
    assert all(cell["cell_type"] in {"code", "markdown", "raw"} for cell in notebook["cells"])


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_code_cells_compile(path: Path) -> None:
    """Every code cell compiles as Python once magic and shell lines are dropped."""
    for name, source in code_cells(path):
        compile(source, name, "exec")


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_imports_are_allowed(path: Path) -> None:
    """The notebooks import only analyzer, pandas, numpy, matplotlib and a few stdlib modules."""
    for name, source in code_cells(path):
        unexpected = imported_modules(ast.parse(source, name)) - ALLOWED_IMPORTS
        assert not unexpected, f"{name} imports {sorted(unexpected)}"


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_notebook_with_outputs_stays_small(path: Path) -> None:
    """A notebook committed with its plots stays under about 1.5 MB."""
    assert path.stat().st_size < MAX_BYTES
