"""`python -m analyzer backtest`: the table, progress only on a terminal, one-line errors, a real run."""

from __future__ import annotations

import csv
import gzip
import io
import signal
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

import pytest

from analyzer.cli.backtest import counted, duration, progress_printer
from analyzer.cli.main import main
from analyzer.cli.options import Environment
from tests.cli.conftest import stopped_midway
from tests.conftest import REPO, clf_line, lines_at

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
HAND_COUNTS = {0: 3, 1: 2, 4: 5, 5: 4, 6: 1, 7: 1, 20: 6}  # hits per second; window totals in test_backtest


def environment(terminal: Collection[str] = ()) -> Environment:
    """StringIO streams; `terminal` names the streams ("stdout", "stderr") that claim to be terminals."""
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO())
    env.is_terminal = lambda stream: any(stream is getattr(env, name) for name in terminal)
    return env


def text(stream: object) -> str:
    """What was written to one of the StringIO streams."""
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


@pytest.fixture
def hand_log(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    lines = [clf_line(T0 + offset) for offset, n in HAND_COUNTS.items() for _ in range(n)]
    lines.insert(16, b"not a log line\n")
    path.write_bytes(b"".join(lines))
    return path


def run(argv: list[str], env: Environment) -> int:
    return main(["backtest", *argv], env)


def test_prints_one_row_per_threshold_the_distribution_and_the_suggestion(
    hand_log: Path, tmp_path: Path
) -> None:
    """The summary, the threshold table, the average's distribution and the suggested threshold."""
    env = environment()
    out = tmp_path / "out"
    argv = [str(hand_log), "--threshold", "1", "2", "--window", "4", "--out", str(out), "--workers", "1"]
    assert run(argv, env) == 0
    lines = text(env.stdout).splitlines()
    assert lines[0] == "23 lines: 22 requests, 1 rejected, 0 late; 0m21s of traffic; window 4 s"
    assert lines[2].split() == [
        "threshold",
        "alerts",
        "in",
        "alert",
        "longest",
        "share",
        "short<5m",
        "on",
        "at",
        "end",
    ]
    # Threshold 1: episodes [1, 9) and [20, 21): 9 s in alert of 21, longest 8, both short, on at the end.
    assert lines[3].split() == ["1", "2", "0m09s", "0m08s", "42.86%", "2", "yes"]
    # Threshold 2: one episode [5, 8).
    assert lines[4].split() == ["2", "1", "0m03s", "0m03s", "14.29%", "1", "no"]
    assert lines[5] == ""
    prefix = "4 s average (req/s) over every second: "
    assert lines[6].startswith(prefix)
    tokens = lines[6][len(prefix) :].split()
    shown = dict(zip(tokens[::2], map(float, tokens[1::2]), strict=True))
    # Window totals sorted: 0 x9 1 2 3 5 5 5 6 6 7 9 10 11; p50 2, p90 9, p99 10.8, p99.9 10.98, max 11; / 4.
    assert shown == pytest.approx(
        {"p50": 0.5, "p90": 2.25, "p99": 2.7, "p99.9": 2.745, "max": 2.75}, abs=0.005
    )
    assert lines[7] == (  # 21 s of log cannot tell what fires at most once a week: no number
        "suggested threshold: none: the input spans 0m21s, under a week, too short to tell which "
        "threshold fires at most once a week (backtest a week or more)"
    )
    assert lines[8] == f"wrote {out / 'alerts.csv'}, stats.csv and sections.csv"
    assert len(lines) == 9
    assert text(env.stderr) == ""
    assert (out / "alerts.csv").exists() and (out / "stats.csv").exists() and (out / "sections.csv").exists()


@pytest.mark.parametrize(
    ("terminal", "shows_progress"), [({"stderr"}, True), ({"stdout"}, False), (set(), False)]
)
def test_progress_goes_to_stderr_only_when_stderr_is_a_terminal(
    hand_log: Path, tmp_path: Path, terminal: set[str], shows_progress: bool
) -> None:
    """A progress line, rewritten in place, on stderr when it is a terminal; nothing otherwise."""
    env = environment(terminal)
    assert (
        run(
            [
                str(hand_log),
                "--threshold",
                "1",
                "--window",
                "4",
                "--out",
                str(tmp_path / "o"),
                "--workers",
                "1",
            ],
            env,
        )
        == 0
    )
    err = text(env.stderr)
    if shows_progress:
        assert err.startswith("\r23 lines, ") and err.endswith("\n") and "lines/s" in err
    else:
        assert err == ""
    assert "\r" not in text(env.stdout)
    assert text(env.stdout).startswith("23 lines: 22 requests")


def assert_refused(argv: list[str], out: Path, *expected: str) -> None:
    """Exit 2, exactly one line on stderr naming the problem, nothing on stdout, no output file."""
    env = environment({"stderr"})
    assert run([*argv, "--out", str(out), "--workers", "1"], env) == 2
    err = text(env.stderr)
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith("analyzer: error: ")
    for part in expected:
        assert part in err
    assert text(env.stdout) == ""
    assert not out.exists()


def test_a_missing_file_exits_2_with_one_line_before_any_output(hand_log: Path, tmp_path: Path) -> None:
    """A missing input, even after a good one, is refused before anything is read or written."""
    missing = tmp_path / "gone.log"
    assert_refused([str(hand_log), str(missing)], tmp_path / "out", str(missing), "no such file")


def test_a_file_that_is_not_a_log_exits_2_with_one_line(hand_log: Path, tmp_path: Path) -> None:
    """An input whose lines match neither format is refused with one line naming it."""
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"shopping list\nmilk\neggs\n")
    assert_refused([str(hand_log), str(notes)], tmp_path / "out", str(notes), "not a Common or Combined")


def test_a_directory_or_a_bad_threshold_exits_2_with_one_line(hand_log: Path, tmp_path: Path) -> None:
    """A directory as input, or a threshold that is not positive, is one line and exit 2."""
    assert_refused([str(tmp_path)], tmp_path / "out", "is a directory")
    assert_refused([str(hand_log), "--threshold", "0"], tmp_path / "out", "must be > 0")


def test_real_run_over_a_gzip_and_a_plain_file(tmp_path: Path) -> None:
    """`python -m analyzer backtest FILE.gz FILE --threshold 1 5 --out DIR` exits 0, both thresholds out."""
    older = tmp_path / "access.log.1.gz"
    older.write_bytes(gzip.compress(lines_at([T0 + i // 7 for i in range(7 * 200)])))  # 7 req/s for 200 s
    newer = tmp_path / "access.log"
    newer.write_bytes(lines_at([T0 + 400 + i // 2 for i in range(2 * 100)]))  # 2 req/s for 100 s
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "backtest",
            str(older),
            str(newer),
            "--threshold",
            "1",
            "5",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # not a terminal: no progress
    assert "1,600 lines: 1,600 requests, 0 rejected" in done.stdout
    table = [line.split()[0] for line in done.stdout.splitlines()[3:5]]
    assert table == ["1", "5"]
    with open(out / "alerts.csv", newline="") as handle:
        alerts = list(csv.DictReader(handle))
    # 7 req/s: above 1 req/s (120 hits) from second 17 and above 5 (600) from second 85; both recover.
    assert [(a["threshold"], a["kind"]) for a in alerts if a["threshold"] == "5"] == [
        ("5", "alert"),
        ("5", "recovered"),
    ]
    assert {a["threshold"] for a in alerts} == {"1", "5"}
    assert alerts[0]["time"] == "2026-01-01T00:00:17Z" and alerts[0]["threshold"] == "1"


def test_a_gzip_truncated_past_its_head_exits_2_with_one_line(tmp_path: Path) -> None:
    """Damage found mid-way (past what the up-front check reads) is one line and exit 2."""
    log = b"".join(clf_line(1_764_300_000 + i // 50, path=f"/p{i}/x") for i in range(40_000))
    whole = gzip.compress(log)
    path = tmp_path / "access.log.gz"
    path.write_bytes(whole[: len(whole) * 3 // 4])
    env = environment()
    assert run([str(path), "--out", str(tmp_path / "out"), "--workers", "1"], env) == 2
    err = text(env.stderr)
    assert err.count("\n") == 1 and "access.log.gz: cannot read" in err


def test_a_suggestion_over_more_than_a_week_says_how_often(tmp_path: Path) -> None:
    """23 days of a real log: a number, the lowest threshold firing at most twice a week."""
    from tests.conftest import shared_log

    log = shared_log("apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz")
    env = environment()
    assert main(["backtest", str(log), "--max-alerts-per-week", "2", "--out", str(tmp_path / "o")], env) == 0
    line = next(x for x in env.stdout.getvalue().splitlines() if x.startswith("suggested"))  # type: ignore[attr-defined]
    assert line.endswith(" req/s (the lowest that fires at most twice a week over this input)")
    assert float(line.split()[2]) > 0


def test_a_log_on_standard_input_gives_what_the_file_gives(tmp_path: Path) -> None:
    """`zcat access.log.gz | python -m analyzer backtest -`: the same result as the file."""
    # 12 req/s, paths varied enough that the gzip is well over the 64 KiB read ahead
    log = b"".join(clf_line(T0 + i // 12, path=f"/p{i % 5}/x{i * 7919 % 100_003}") for i in range(12 * 1000))
    path = tmp_path / "access.log"
    path.write_bytes(log)

    def backtest_of(argv: list[str], given: bytes | None, out: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "analyzer", "backtest", *argv, "--out", str(tmp_path / out)],
            cwd=REPO, input=given, capture_output=True, timeout=60, check=False,
        )  # fmt: skip

    from_file = backtest_of([str(path)], None, "file")
    piped = backtest_of(["-"], gzip.compress(log), "piped")
    assert from_file.returncode == piped.returncode == 0, piped.stderr
    assert piped.stdout.replace(b"piped", b"file") == from_file.stdout
    assert len(gzip.compress(log)) > 65536  # past the head read ahead: the rest comes from the pipe
    assert b"12,000 lines: 12,000 requests" in piped.stdout
    for name in ("stats.csv", "sections.csv"):
        assert (tmp_path / "piped" / name).read_bytes() == (tmp_path / "file" / name).read_bytes()
    # Standard input cannot be read a second time for the drivers: the alerts are the file's without them.
    alerts = {}
    for out in ("piped", "file"):
        with open(tmp_path / out / "alerts.csv", newline="") as handle:
            alerts[out] = list(csv.DictReader(handle))
    assert [row.pop("drivers") for row in alerts["piped"]] == [""] * len(alerts["file"])
    assert any(row.pop("drivers").startswith("driven by") for row in alerts["file"])
    assert alerts["piped"] == alerts["file"]
    twice = backtest_of(["-", "-"], log, "twice")
    assert twice.returncode == 2 and twice.stderr.decode().count("\n") == 1
    assert b"standard input can be read only once" in twice.stderr


def test_a_quoted_glob_is_expanded_sorted_and_one_matching_nothing_exits_2(tmp_path: Path) -> None:
    """`'logs/*.log*'` reads every match in name order; a pattern that matches none: one line, exit 2."""
    (tmp_path / "b.log").write_bytes(lines_at(range(T0 + 100, T0 + 150)))
    (tmp_path / "a.log.gz").write_bytes(gzip.compress(lines_at(range(T0, T0 + 50))))
    env = environment()
    assert run([str(tmp_path / "*.log*"), "--out", str(tmp_path / "out")], env) == 0
    assert text(env.stdout).startswith("100 lines: 100 requests")
    for engine in ("local", "dask"):
        pattern = str(tmp_path / "nothing-*.log")
        assert_refused(
            [pattern, "--engine", engine], tmp_path / "out2", pattern, "no file matches this pattern"
        )


def test_the_dask_engine_refused_without_dask_or_with_local(
    hand_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--scheduler` with `--engine local` contradicts itself; no dask installed names the extra."""
    assert_refused(
        [str(hand_log), "--engine", "local", "--scheduler", "tcp://127.0.0.1:8786"],
        tmp_path / "out",
        "--scheduler runs on a Dask cluster",
    )
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    for dask in (["--engine", "dask"], ["--scheduler", "tcp://127.0.0.1:8786"]):
        assert_refused([str(hand_log), *dask], tmp_path / "out", "pip install -e '.[dask]'")


def test_progress_on_standard_input_says_what_was_read() -> None:
    """Its size is known only at its end: MB read, not `of 0 MB` and a negative time left."""
    err = io.StringIO()
    show = progress_printer(err)
    show(1_000, 5_000_000, 0, 2.0)  # type: ignore[operator]
    assert err.getvalue() == "\r1,000 lines, 5 MB read, 500 lines/s  "
    show(1_000, 5_000_000, 10_000_000, 2.0)  # type: ignore[operator]
    assert err.getvalue().endswith("\r1,000 lines, 5 of 10 MB, 500 lines/s, 2 s left  ")


def test_spans_and_counts_are_said_as_a_person_says_them() -> None:
    """A year of traffic is `366d08h41m`, not `8792h41m50s`; one request is `1 request`."""
    assert duration(366 * 86400 + 8 * 3600 + 41 * 60 + 50) == "366d08h41m"
    assert duration(5 * 3600 + 3 * 60 + 20) == "5h03m20s"
    assert duration(185) == "3m05s"
    assert all(len(duration(seconds)) <= 10 for seconds in (0, 59, 3599, 86399, 86400 * 999 + 86399))
    assert (counted(1, "request"), counted(0, "request"), counted(12_000, "line")) == (
        "1 request",
        "0 requests",
        "12,000 lines",
    )


@pytest.mark.parametrize(
    ("signum", "status", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]
)
def test_a_backtest_stopped_by_a_signal_is_not_done(
    tmp_path: Path, signum: int, status: int, name: str
) -> None:
    """Stopped mid-way (reading a pipe that never ends): 128 + the signal, and one line saying the
    outputs are partial, so a script cannot take it for success."""
    out = tmp_path / "out"
    argv = ["backtest", "-", "--out", str(out)]
    returncode, err = stopped_midway(argv, out / "analyzer.lock", signum, lines_at(range(T0, T0 + 2000)))
    assert returncode == status, err
    assert err.count("\n") == 1
    assert f"backtest stopped by {name} before its end: the outputs in {out} are partial" in err


def test_timestamps_decades_apart_cost_no_memory_and_no_false_span(tmp_path: Path) -> None:
    """A few lines stamped 1970 and 2099 among today's: replay and backtest stay small (the
    alert is judged only where requests are), the span is the traffic's, the rest is said."""
    log = tmp_path / "mixed.log"
    today = lines_at([second for second in range(T0, T0 + 700) for _ in range(3)])
    log.write_bytes(clf_line(5) * 3 + today + clf_line(4_070_908_800) * 2)
    for command in (["replay", "--speed", "1000000", "--plain"], ["backtest"]):
        out = str(tmp_path / command[0])
        done = subprocess.run(
            [sys.executable, "-c", MEASURED, command[0], str(log), *command[1:], "--out", out],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        peak_mb = int(done.stderr.decode().strip().splitlines()[-1]) / 1024
        assert peak_mb < 400, f"{command[0]}: {peak_mb:.0f} MB"
        if command[0] == "backtest":
            text = done.stdout.decode()
            assert "11m40s of traffic" in text
            assert "5 requests out of range (stamped 1970-01-01T00:00:05Z .. 2099-01-01T00:00:00Z" in text


# Runs the command, then prints the peak RSS (kB) of the process on stderr: VmHWM, the peak of
# its own memory since exec. getrusage's ru_maxrss also keeps the peak of the memory it was
# started from (Linux folds the old mm's high-water mark in at exec): under a pytest grown to
# 500 MB, a small child reported 527 MB.
MEASURED = (
    "import re, sys; from pathlib import Path; from analyzer.cli.main import main; "
    "status = main(sys.argv[1:]); "
    "print(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())[1], file=sys.stderr); "
    "sys.exit(status)"
)
