"""The notebooks run top to bottom on the bundled sample and draw titled, labelled figures;
the sample log is the one its documented command writes, and tells the story they show."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import analyzer
from tests.conftest import REPO, SAMPLE_LOG

NOTEBOOKS = REPO / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
PROJECT_AND_PLOTTING = {"analyzer", "pandas", "numpy", "matplotlib"}
ALLOWED_IMPORTS = PROJECT_AND_PLOTTING | {"pathlib", "tempfile", "glob", "os", "sys", "json"}
MAX_BYTES = 1_500_000
MIN_FIGURES = 3
# An axis label names what is drawn and its unit in parentheses: "rate (req/s)", "time (UTC)".
LABEL_WITH_UNIT = re.compile(r"^\S.*\(.+\)$")
# Run after the notebook's own cells, in its kernel: what every open figure shows.
INSPECT_FIGURES = """
import json as _json
import matplotlib as _mpl
import matplotlib.pyplot as _plt
print(_json.dumps({"backend": _mpl.get_backend(), "figures": [
    {"suptitle": _plt.figure(n).get_suptitle(), "axes": [
        {"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
         "x_visible": ax.xaxis.get_visible(), "y_visible": ax.yaxis.get_visible(),
         "x_formatter": type(ax.xaxis.get_major_formatter()).__name__}
        for ax in _plt.figure(n).axes]}
    for n in _plt.get_fignums()]}))
"""


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


def test_the_three_notebooks_exist() -> None:
    """explore_outputs, choose_threshold and incident_review are all in notebooks/."""
    assert {path.name for path in PATHS} >= {
        "explore_outputs.ipynb",
        "choose_threshold.ipynb",
        "incident_review.ipynb",
    }


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
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    """Outputs are stripped (they are made by running it), so the file stays small and diffs stay readable."""
    for number, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}[cell {number}]"
    assert path.stat().st_size < MAX_BYTES


def run_notebook(path: Path) -> list[dict[str, Any]]:
    """Execute every cell in a real kernel (nbclient, ipykernel); a cell that raises raises here.

    Returns the outputs of the figure inspection run after the last cell."""
    try:
        import nbclient
        import nbformat
    except ImportError:  # a clear failure, not a skip: CI installs the extra
        pytest.fail("the notebook tests need the notebooks extra: pip install -e '.[dev,notebooks]'")
    notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(INSPECT_FIGURES))
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    outputs: list[dict[str, Any]] = notebook.cells[-1].outputs
    return outputs


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_notebook_runs_and_draws_titled_labelled_figures(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run on the sample (no ANALYZER_* override) with the Agg backend: at least 3 figures, each
    with a title, every visible axis labelled with its unit, time axes in concise date format."""
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits it; nothing is displayed
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebooks' backtest outputs land here
    monkeypatch.delenv("ANALYZER_OUT", raising=False)
    monkeypatch.delenv("ANALYZER_LOG", raising=False)
    outputs = run_notebook(path)
    found = json.loads(
        "".join(output.get("text", "") for output in outputs if output["output_type"] == "stream")
    )
    assert found["backend"].lower() == "agg"
    figures = found["figures"]
    assert len(figures) >= MIN_FIGURES, f"{path.name} draws {len(figures)} figures"
    for number, figure in enumerate(figures, 1):
        where = f"{path.name}, figure {number}"
        assert figure["suptitle"] or all(ax["title"] for ax in figure["axes"] if ax["x_visible"]), where
        for ax in figure["axes"]:
            labels = [ax["xlabel"]] * ax["x_visible"] + [ax["ylabel"]] * ax["y_visible"]
            assert all(LABEL_WITH_UNIT.match(label) for label in labels), f"{where}: {labels}"
            if ax["xlabel"].startswith("time"):
                assert ax["x_formatter"] == "ConciseDateFormatter", where


def test_sample_log_is_what_its_command_writes(tmp_path: Path) -> None:
    """`python benchmarks/make_sample_log.py OUT` is seeded: it writes the committed sample, byte for byte."""
    out = tmp_path / "access.log"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "make_sample_log.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == SAMPLE_LOG.read_bytes()


def test_sample_log_holds_an_hour_with_one_alert_and_a_near_miss() -> None:
    """An hour of traffic, a few MB, a few rejected lines; at the default threshold (10 req/s over
    120 s) one alert that recovers, at 9 req/s a second one: the burst just under the default."""
    assert SAMPLE_LOG.stat().st_size < 5_000_000
    result = analyzer.backtest([SAMPLE_LOG], thresholds=[9, 10], window=120)
    assert result.timeline.span >= 3600
    assert 0 < result.rejected < result.lines // 100
    by_threshold = result.episodes.set_index("threshold")
    assert by_threshold.loc[10, "alerts"] == 1 and not by_threshold.loc[10, "on_at_end"]
    # Two episodes over 9 req/s but one over 10: the other burst peaked in (9, 10] req/s.
    assert by_threshold.loc[9, "alerts"] == 2
