"""The check command: a diagnosis of every file, exit 0 when all are readable, 1 when one is not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from analyzer.cli.main import main
from analyzer.cli.options import Environment
from tests.conftest import clf_line, shared_log
from tests.offline.test_doctor import ELASTIC, IIS, NGINX, NGINX_TIMING


def environment() -> Environment:
    return Environment(stdout=io.StringIO(), stderr=io.StringIO(), is_terminal=lambda _: False)


def test_check_command_exits_0_when_every_file_is_readable() -> None:
    """`check` on readable logs prints a diagnosis of each and exits 0."""
    env = environment()
    paths = [str(shared_log(ELASTIC)), str(shared_log(IIS))]
    assert main(["check", *paths], env) == 0
    out = env.stdout.getvalue()  # type: ignore[attr-defined]
    assert [line for line in out.splitlines() if not line.startswith(" ")] == paths
    assert out.count("verdict:      OK") == 2
    assert env.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_check_command_exits_1_when_one_file_is_not_readable(tmp_path: Path) -> None:
    """One unreadable log among readable ones: every file is diagnosed, and the exit status is 1."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a log\n")
    env = environment()
    assert main(["check", str(shared_log(NGINX)), str(notes)], env) == 1
    out = env.stdout.getvalue()  # type: ignore[attr-defined]
    assert "verdict:      OK" in out and "verdict:      NOT READABLE" in out
    assert env.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_check_command_with_format_options(tmp_path: Path) -> None:
    """--format and --log-format are used as given: the doctor reports with that parser."""
    env = environment()
    assert main(["check", "--log-format", NGINX_TIMING, str(shared_log(NGINX))], env) == 0
    assert "669 requests, 2 rejected" in env.stdout.getvalue()  # type: ignore[attr-defined]
    env = environment()
    assert main(["check", "--format", "w3c", str(shared_log(ELASTIC))], env) == 1  # the wrong format
    assert "0 requests, 10,000 rejected" in env.stdout.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["check", "--log-format", "$remote_addr $status", "{log}"], "has no time"),
        (["check", "--log-format", "no variables here", "{log}"], "no $variable"),
        (["check"], "required"),
    ],
)
def test_check_command_usage_errors_exit_2_with_one_line(tmp_path: Path, argv: list[str], says: str) -> None:
    """A bad --log-format or no file at all: exit 2, one line on stderr, nothing on stdout."""
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(1_000_000_000))
    env = environment()
    assert main([arg.format(log=log) for arg in argv], env) == 2
    err = env.stderr.getvalue()  # type: ignore[attr-defined]
    assert err.count("\n") == 1 and err.startswith("analyzer: error: ")
    assert says in err
    assert env.stdout.getvalue() == ""  # type: ignore[attr-defined]


def test_a_path_that_cannot_be_read_is_one_line_and_the_others_still_get_their_answer(tmp_path: Path) -> None:
    """A missing file and a directory among good logs: a line on stderr each, every other file
    diagnosed, exit 1 (one is not readable)."""
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(1_000_000_000))
    env = environment()
    assert main(["check", str(tmp_path / "nope.log"), str(log), str(tmp_path)], env) == 1
    err = env.stderr.getvalue()  # type: ignore[attr-defined]
    assert err.splitlines() == [
        f"analyzer: error: {tmp_path / 'nope.log'}: no such file",
        f"analyzer: error: {tmp_path}: is a directory, not a log file",
    ]
    assert "verdict:      OK" in env.stdout.getvalue()  # type: ignore[attr-defined]


def test_empty_truncated_and_compressed_logs_get_the_right_verdict(tmp_path: Path) -> None:
    """Empty: a log with no lines yet (exit 0). A gzip cut short: not readable (exit 1, its
    verdict says why). A whole gzip: readable by replay and backtest, not followed."""
    import gzip

    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    env = environment()
    assert main(["check", str(empty)], env) == 0
    assert "verdict:      EMPTY: no lines yet" in env.stdout.getvalue()  # type: ignore[attr-defined]
    whole = gzip.compress(clf_line(1_000_000_000) * 20000)
    good, cut = tmp_path / "access.log.1.gz", tmp_path / "trunc.log.gz"
    good.write_bytes(whole)
    cut.write_bytes(whole[: len(whole) // 2])
    env = environment()
    assert main(["check", str(good), str(cut)], env) == 1
    out = env.stdout.getvalue()  # type: ignore[attr-defined]
    assert "OK: backtest and replay read this compressed log" in out
    assert f"to replay:    python -m analyzer replay {good}" in out
    assert "NOT READABLE: cannot read: Compressed file ended before the end-of-stream marker" in out
    assert env.stderr.getvalue() == ""  # type: ignore[attr-defined]
