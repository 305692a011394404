"""The dispatcher: which command runs, usage and help, and the README naming every command and option."""

from __future__ import annotations

import pytest

from analyzer.cli.main import main
from analyzer.cli.monitor import monitor_parser
from tests.cli.conftest import assert_usage_error, environment
from tests.conftest import REPO


def test_no_file_is_a_usage_error() -> None:
    """No FILE at all: exit 2, one line."""
    assert_usage_error([], "FILE")


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["generate", "--help"], ["demo", "--help"]])
def test_help_exits_zero(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """--help prints the usage and returns 0."""
    env = environment()
    assert main(argv, env) == 0
    assert "usage:" in capsys.readouterr().out + env.stdout.getvalue()
    assert env.stderr.getvalue() == ""


# ----- README -----------------------------------------------------------------------------


def test_readme_mentions_every_subcommand_and_monitor_option() -> None:
    """README.md names backtest, generate, demo and every option of the monitor."""
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("README not written yet")
    text = readme.read_text(encoding="utf-8")
    missing = [command for command in ("backtest", "generate", "demo") if command not in text]
    options = [
        option
        for action in monitor_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]
    assert options, "the monitor parser should have options"
    missing += [option for option in options if option not in text]
    assert not missing, f"README.md does not mention: {', '.join(missing)}"
