"""The README an operator reads: its two commands work on a fresh machine, every file it or
docs/ names is there, and it stays short.

Running the Quickstart as written in a fresh virtual environment takes the whole suite's time,
too long for every run; so these tests check what it rests on instead: the install command's
extras hold every distribution the tests import, the test command's tools are among them, and
that command prints its coverage report and fails when a test fails.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from tests.conftest import REPO

README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
MAX_README_LINES = 260
PROJECT = "analyzer"


def normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalized(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))  # type: ignore[union-attr]


def requirement_extras(requirement: str) -> list[str]:
    found = re.match(r"\s*[A-Za-z0-9._-]+\s*\[([^\]]*)\]", requirement)
    return [extra.strip() for extra in found.group(1).split(",")] if found else []


# ----- the Quickstart's two commands --------------------------------------------------------------


def section(text: str, title: str) -> str:
    """The body of the `## title` section of a Markdown text."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, f"README.md has no '## {title}' section"
    return found.group(1)


def shell_commands(markdown: str) -> list[str]:
    """The lines of the ```sh blocks, without comments."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)
    return [line.split(" #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def quickstart() -> tuple[str, str]:
    """The install command and the test command of the README's Quickstart."""
    commands = shell_commands(section(README.read_text(encoding="utf-8"), "Quickstart"))
    installs = [command for command in commands if "pip install" in command]
    tests = [command for command in commands if "pytest" in command]
    assert len(installs) == 1 and len(tests) == 1, f"one install and one test command expected: {commands}"
    return installs[0], tests[0]


def installed_extras(install: str) -> list[str]:
    """The extras of the project that the install command names: `pip install -e '.[dev]'`."""
    found = re.search(r"pip install (?:-e )?['\"]?\.\[([^\]]+)\]", install)
    assert found, f"the install command does not install this project with extras: {install}"
    return [extra.strip() for extra in found.group(1).split(",")]


def distributions_of(extras: list[str]) -> set[str]:
    """Every distribution the project's dependencies and these extras name, self-references
    (`analyzer[notebooks,dask]`) followed."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    names = {requirement_name(requirement) for requirement in project["dependencies"]}
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        assert extra in optional, f"pyproject.toml has no extra {extra!r}"
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in optional[extra]:
            if requirement_name(requirement) == PROJECT:
                todo += requirement_extras(requirement)
            else:
                names.add(requirement_name(requirement))
                names |= brought_by_extras(requirement)
    return names


def brought_by_extras(requirement: str) -> set[str]:
    """What another distribution's extras bring (`dask[distributed]`: distributed), as its
    installed metadata says."""
    extras = requirement_extras(requirement)
    if not extras:
        return set()
    brought = set()
    for line in metadata.requires(requirement_name(requirement)) or []:
        marker = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", line)
        if marker and normalized(marker.group(1)) in {normalized(extra) for extra in extras}:
            brought.add(requirement_name(line))
    return brought


def imported_modules() -> dict[str, Path]:
    """The top-level modules the tests import (anywhere in a file), each with one file that does."""
    modules: dict[str, Path] = {}
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                modules.setdefault(name.split(".")[0], path)
    return modules


@cache
def module_providers() -> dict[str, list[str]]:
    """Top-level module -> installed distributions: a scan of all their files (0.5 s), once."""
    return dict(metadata.packages_distributions())


def distribution_of(module: str) -> str:
    providers = module_providers().get(module)
    assert providers, f"no installed distribution provides {module!r}, which the tests import"
    return normalized(providers[0])


def test_the_quickstart_installs_the_project_with_the_dev_extra() -> None:
    install, _ = quickstart()
    assert "dev" in installed_extras(install)


def test_the_install_command_brings_every_distribution_the_tests_import() -> None:
    """`pip install -e '.[dev]'` then the test command on a fresh machine: nothing the tests
    import may be left to another extra or to the machine."""
    install, _ = quickstart()
    wanted = distributions_of(installed_extras(install))
    local = {PROJECT, "tests"}
    missing = {
        f"{distribution_of(module)} (imported by {path.relative_to(REPO)})"
        for module, path in imported_modules().items()
        if module not in local and module not in sys.stdlib_module_names
        and distribution_of(module) not in wanted
    }  # fmt: skip
    assert not missing, f"pyproject.toml's install extras lack: {', '.join(sorted(missing))}"


def test_the_install_command_brings_the_test_commands_tools() -> None:
    """`python -m pytest --cov`: pytest, and pytest-cov for `--cov`; coverage reads the settings."""
    install, test = quickstart()
    wanted = distributions_of(installed_extras(install))
    modules = re.findall(r"-m ([\w.]+)", test)
    if "--cov" in test:
        modules += ["pytest_cov", "coverage"]
    assert modules, f"the test command runs no module: {test}"
    missing = [module for module in modules if distribution_of(module) not in wanted]
    assert not missing, f"the test command needs what the install command does not bring: {missing}"


def test_the_test_command_reports_coverage_and_fails_with_a_failing_test(tmp_path: Path) -> None:
    """The README's test command, run on a project with one failing test and the repository's
    coverage settings: the coverage report is printed, and the exit status is not 0."""
    _, command = quickstart()
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["coverage"]
    run = {**settings["run"], "source": ["tiny"]}
    report = settings["report"]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.coverage.run]\n" + toml_table(run) + "[tool.coverage.report]\n" + toml_table(report),
        encoding="utf-8",
    )
    (tmp_path / "tiny.py").write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    (tmp_path / "test_tiny.py").write_text(
        "import tiny\n\n\ndef test_fails():\n    assert tiny.double(2) == 5\n", encoding="utf-8"
    )
    # The command as an operator types it, with this interpreter first on PATH; the coverage of
    # the run that holds this test (its environment variables) is not handed down.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COV_", "COVERAGE"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(tmp_path)
    done = subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "1 failed" in output and re.search(r"^TOTAL\s", output, re.MULTILINE), output


def toml_table(values: dict[str, object]) -> str:
    """Keys of strings, booleans, numbers and lists of strings, as TOML lines."""

    def value(item: object) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, list):
            return "[" + ", ".join(value(element) for element in item) + "]"
        if isinstance(item, str):
            return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return str(item)

    return "".join(f"{key} = {value(item)}\n" for key, item in values.items())


# ----- every file the README and docs/ name -------------------------------------------------------

DOCUMENTS = [README, REPO / "ARCHITECTURE.md", *DOCS]
EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}$")


def ignored_patterns() -> list[str]:
    lines = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "!"))]


def generated(path: str) -> bool:
    """A path that runs write (an output folder, the benchmarks' logs): .gitignore names it."""
    parts = path.strip("/").split("/")
    for pattern in ignored_patterns():
        bare = pattern.strip("/")
        if "/" in bare:
            if any(fnmatch.fnmatch("/".join(parts[: i + 1]), bare) for i in range(len(parts))):
                return True
        elif any(fnmatch.fnmatch(part, bare) for part in parts):
            return True
    return False


def code_tokens(markdown: str) -> list[str]:
    """The words of the code blocks and inline code of a Markdown text."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", prose)
    return [word for text in (*blocks, *spans) for word in re.split(r"[\s'\"()\[\],;=]+", text) if word]


def relative_path(word: str) -> str | None:
    """The repository path a word of code names, or None: it names none (a URL, an absolute
    path, a glob, a column like `size_p50/p90/p99`)."""
    word = word.strip("'\"()[],;:").rstrip(".")
    word = word.split("::")[0]
    if "/" not in word or "://" in word or any(mark in word for mark in "*?$%=<>{}~\\"):
        return None
    if word.startswith("/"):
        return None
    path = word.removeprefix("./")
    first, last = path.split("/")[0], path.rstrip("/").split("/")[-1]
    names_a_file = (REPO / first).exists() or path.endswith("/") or EXTENSION.search(last)
    return path if names_a_file else None


def heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a Markdown text's headings."""
    anchors = set()
    for title in re.findall(r"^#{1,6} (.+)$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_every_path_the_readme_and_docs_name_exists() -> None:
    missing = []
    for document in DOCUMENTS:
        for word in code_tokens(document.read_text(encoding="utf-8")):
            path = relative_path(word)
            if path is not None and not (REPO / path).exists() and not generated(path):
                missing.append(f"{document.relative_to(REPO)}: {path}")
    assert not missing, "named but not in the repository:\n" + "\n".join(sorted(set(missing)))


def test_every_link_of_the_readme_and_docs_leads_somewhere() -> None:
    """Relative links name a file that exists, and a heading of it where they say `#anchor`."""
    broken = []
    for document in DOCUMENTS:
        for target in re.findall(r"\]\(([^)\s]+)\)", document.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            name, _, anchor = target.partition("#")
            path = (document.parent / name).resolve() if name else document
            if not path.exists():
                broken.append(f"{document.relative_to(REPO)}: {target}")
            elif anchor and anchor not in heading_anchors(path.read_text(encoding="utf-8")):
                broken.append(f"{document.relative_to(REPO)}: {target} (no such heading)")
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken)


def test_the_tools_find_paths_and_leave_other_words() -> None:
    """What the path check counts as a path (so that it cannot pass by finding none)."""
    assert relative_path("analyzer/formats/clf.py") == "analyzer/formats/clf.py"
    assert relative_path("formats/clf.py") == "formats/clf.py"  # checked, and missing: relative to the root
    assert relative_path("tests/live/test_monitor.py::TestFollowMachine") == "tests/live/test_monitor.py"
    assert relative_path("./analyzer-backtest/") == "analyzer-backtest/" and generated("analyzer-backtest/")
    assert generated("benchmarks/data/") and generated("analyzer-monitor") and not generated("analyzer")
    others = ("size_p50/p90/p99", "req/s,", "/var/log/nginx/access.log", "s3://bucket/x.log", "'logs/*.gz'")
    for word in others:
        assert relative_path(word) is None, word
    words = code_tokens("Run `python -m pytest tests/test_readme.py`.\n\n```sh\ncat docs/x.md\n```\n")
    assert "tests/test_readme.py" in words and "docs/x.md" in words
    assert "the-screen" in heading_anchors("## The screen\n") and "replay-and-backtest" in heading_anchors(
        "## Replay and backtest\n"
    )


# ----- short ---------------------------------------------------------------------------------------


def test_the_readme_is_read_in_five_minutes() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, (
        f"README.md has {lines} lines, over {MAX_README_LINES}: move details to docs/"
    )
