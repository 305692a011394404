"""The dispatcher: which command runs, usage and help, and the README naming every command and option."""

from __future__ import annotations

import pytest

from analyzer.cli.main import main
from analyzer.cli.monitor import monitor_parser
from tests.cli.conftest import assert_usage_error, environment
from tests.conftest import REPO, clf_line


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


# ----- every bad input a person really types: one line, the documented status, no traceback -------

import contextlib  # noqa: E402
import gzip  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.cli.conftest import T0, FakeTime  # noqa: E402
from tests.conftest import lines_at  # noqa: E402

SHARED_LOGS = REPO.parent / "shared" / "logs"


def inputs(folder: Path) -> dict[str, str]:
    """The files people point the commands at, good and bad."""
    good = folder / "access.log"
    good.write_bytes(lines_at(range(T0 - 30, T0)))
    (folder / "empty.log").write_bytes(b"")
    (folder / "ls").write_bytes(bytes(range(256)) * 64)
    whole = gzip.compress(lines_at(range(T0 - 30, T0)) * 200)
    (folder / "access.log.2.gz").write_bytes(whole)
    (folder / "trunc.log.gz").write_bytes(whole[: len(whole) // 2])
    garbled = bytearray(whole)
    garbled[len(whole) // 2 : len(whole) // 2 + 8] = b"\xff" * 8  # corrupt deflate data: zlib.error
    (folder / "corrupt.log.gz").write_bytes(bytes(garbled))
    (folder / "error.log").write_bytes(b"2026/11/28 03:10:05 [error] 1#0: *5 open() failed\n" * 3)
    return {
        "good": str(good),
        "empty": str(folder / "empty.log"),
        "binary": str(folder / "ls"),
        "gz": str(folder / "access.log.2.gz"),
        "trunc": str(folder / "trunc.log.gz"),
        "corrupt": str(folder / "corrupt.log.gz"),
        "error": str(folder / "error.log"),
        "missing": str(folder / "missing.log"),
        "dir": str(folder),
        "out": str(folder / "out"),
        "nginx_timing": str(
            REPO.parent / "shared" / "logs" / "nginx_combined_timing_dbadmins-ru_2019-08-14.log"
        ),
    }


# (argv, exit status, what the one stderr line says: None for no stderr at all, what stdout says)
ROWS = [
    (["{binary}"], 2, "not an access log the monitor can read", ""),
    (["{gz}"], 2, "gzip-compressed file", ""),
    (["{error}"], 2, "an nginx error log, not an access log", ""),
    (["{good}", "--threshold", "inf"], 2, "must be a finite number", ""),
    (["backtest", "{good}", "--threshold", "1e400"], 2, "must be a finite number", ""),
    (["{good}", "--out", "/proc/nope"], 2, "/proc/nope: cannot write the outputs there", ""),
    (["{good}", "--rejects", "/proc/nope/x", "--out", "{out}"], 2, "/proc/nope/x: cannot write there", ""),
    (["check", "{trunc}"], 1, None, "NOT READABLE: cannot read: Compressed file ended"),
    (["check", "{missing}", "{good}"], 1, "missing.log: no such file", "OK: the monitor can follow"),
    (["check", "{gz}"], 0, None, "to replay:    python -m analyzer replay"),
    (["check", "{empty}"], 0, None, "EMPTY: no lines yet"),
    (["backtest", "{empty}", "--out", "{out}"], 0, None, "suggested threshold: none (no requests"),
    (["backtest", "{good}", "--format", "w3c", "--out", "{out}"], 2, "do not read as --format w3c", ""),
    (["backtest", "-", "-", "--out", "{out}"], 2, "standard input can be read only once", ""),
    (["check", "-"], 1, "check reads files, not standard input", ""),
    (["check", "{nginx_timing}"], 0, None, "request time: 669 of 671 requests carry one"),
    (["backtest", "{corrupt}", "--out", "{out}"], 2, "corrupt.log.gz: cannot read", ""),
    (["check", "{corrupt}"], 1, None, "NOT READABLE: cannot read"),
    (["--version"], 0, None, "analyzer "),
    (["replay", "{gz}", "--speed", "1e9", "--out", "{out}"], 0, None, "replayed to its end"),
]


def test_every_row_of_the_table_of_bad_inputs(tmp_path: Path) -> None:
    names = inputs(tmp_path)
    for argv, status, says, shows in ROWS:
        if "{nginx_timing}" in argv and not Path(names["nginx_timing"]).exists():
            continue  # the team's shared log is beside the repository, not in every clone
        env = environment(clock=FakeTime(T0, 3))
        assert main([arg.format(**names) for arg in argv], env) == status, argv
        err, out = env.stderr.getvalue(), env.stdout.getvalue()  # type: ignore[attr-defined]
        if says is None:
            assert err == "", (argv, err)
        else:
            assert err.count("\n") == 1 and err.startswith("analyzer: error: ") and says in err, (argv, err)
        assert shows in out, (argv, out[-300:])
        assert "Traceback" not in err + out


@pytest.mark.parametrize("command", [[], ["backtest"]], ids=["monitor", "backtest"])
def test_ctrl_c_while_starting_is_quiet_and_not_done_for_a_command_with_an_end(
    tmp_path: Path, command: list[str]
) -> None:
    """Interrupted during its imports (the first half second), with no traceback: the monitor
    exits 0 (a clean stop), a backtest 130/143 with one line (it was exit 0, as if done)."""
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(T0))
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        process = subprocess.Popen(
            [sys.executable, "-m", "analyzer", *(command or ["--plain"]), str(log), "--out", str(tmp_path)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
        )
        assert importing_pandas(process.pid), "the command never reached its imports"
        process.send_signal(signal_number)
        _, err = process.communicate(timeout=30)
        assert b"Traceback" not in err
        if not command:
            assert process.returncode == 0, err.decode()
            continue
        name = signal.Signals(signal_number).name
        assert (process.returncode, err.decode()) == (
            128 + signal_number,
            f"analyzer: backtest stopped by {name} while starting: nothing was read\n",
        )


def importing_pandas(pid: int, within: float = 30.0) -> bool:
    """Whether the process got to loading pandas (polled, bounded by `within` s).

    By then `python -m analyzer` runs our code, its SIGTERM handler installed, and its imports
    have most of their time still to go: a sleep instead raced the interpreter's own start.
    """
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if "pandas/_libs" in Path(f"/proc/{pid}/maps").read_text():
                return True
        except OSError:  # gone already
            return False
        time.sleep(0.005)
    return False


COMMANDS = st.sampled_from([[], ["backtest"], ["check"], ["replay"], ["generate"]])
ARGUMENTS = st.lists(
    st.sampled_from(
        [
            "{good}", "{empty}", "{binary}", "{gz}", "{trunc}", "{corrupt}", "{error}", "{missing}", "{dir}",
            "-x",
            "--threshold", "--window", "--interval", "--lateness", "--format", "--log-format", "--speed",
            "--rate", "--duration", "--top", "--recovery", "--max-alerts-per-week", "--workers",
            "0", "-1", "2.5", "inf", "nan", "1e400", "ten", "w3c", "common", "$status", "%h %t",
        ]
    ),
    max_size=6,
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(COMMANDS, ARGUMENTS)
def test_any_arguments_give_0_1_or_2_and_never_a_traceback(
    tmp_path: Path, command: list[str], arguments: list[str]
) -> None:
    names = inputs(tmp_path)
    argv = [*command, *(arg.format(**names) for arg in arguments), "--out", names["out"]]
    if command == ["generate"]:
        argv = argv[:-2]  # generate has no --out
    env = environment(clock=FakeTime(T0, 3))
    try:
        # generate writes to a path given as its argument ("0", "2.5"...): keep it out of the checkout
        with contextlib.chdir(tmp_path):
            status = main(argv, env)
    except BaseException as error:
        raise AssertionError(f"{argv} raised {error!r}") from error
    err = env.stderr.getvalue()  # type: ignore[attr-defined]
    assert status in (0, 1, 2), argv
    assert "Traceback" not in err and err.count("\n") <= 3, (argv, err)


def test_a_machine_without_the_compiled_kernel_is_told_once_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line is then read by the RE2 reference, about 6x slower: said once, not a failure."""
    from analyzer.formats import compiled

    monkeypatch.setattr(compiled, "KERNEL", None)
    monkeypatch.setattr(compiled, "_told", [])
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(1_767_225_600) * 3)
    env = environment()
    assert main(["check", str(log)], env) == 0
    assert main(["check", str(log)], env) == 0
    assert env.stderr.getvalue() == compiled.NO_KERNEL + "\n"
    assert "3 requests" in env.stdout.getvalue()
