"""The Dask engine: on a real local cluster of 2 worker processes, exactly the in-process result."""

from __future__ import annotations

import gzip
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analyzer.offline import cluster
from analyzer.offline.backtest import BacktestResult, backtest
from analyzer.offline.reader import InputError, Piece
from tests.conftest import REPO, clf_line, lines_at, shared_log

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
REAL_LOGS = [
    "apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz",
    "apache_combined_elastic-examples_2015-05-17_2015-05-20.log",
    "iis85_w3c_knowit-W3SVC1_2015-10-17_2016-10-18.log",  # W3C: one task per file
    "nginx_combined_timing_dbadmins-ru_2019-08-14.log",
]
CSVS = ("alerts.csv", "stats.csv", "sections.csv")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One cluster for the module: starting worker processes takes seconds."""
    try:
        import distributed
    except ImportError:
        pytest.fail("distributed is missing: install the dask extra (pip install -e '.[dask]')")
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as local,
        distributed.Client(local) as connected,
    ):
        yield connected


def assert_same(dask: BacktestResult, local: BacktestResult, out: Path | None = None) -> None:
    """Every count, transition, episode, second and report row equal; the CSVs byte for byte."""
    assert (dask.lines, dask.requests, dask.rejected, dask.late) == (
        local.lines,
        local.requests,
        local.rejected,
        local.late,
    )
    assert dask.directives == local.directives
    pd.testing.assert_frame_equal(dask.transitions, local.transitions)
    pd.testing.assert_frame_equal(dask.alert_rows, local.alert_rows)
    pd.testing.assert_frame_equal(dask.episodes, local.episodes)
    pd.testing.assert_series_equal(dask.per_second, local.per_second)
    pd.testing.assert_frame_equal(dask.reports, local.reports)
    assert dask.distribution == local.distribution
    assert dask.suggested_threshold == local.suggested_threshold
    if out is not None:
        for name in CSVS:
            assert (out / "dask" / name).read_bytes() == (out / "local" / name).read_bytes(), name


def test_the_real_logs_give_exactly_the_in_process_result(client: Any, tmp_path: Path) -> None:
    """Plain files cut into several ranges, a gzip and a W3C log: the same result and CSVs."""
    paths = [shared_log(name) for name in REAL_LOGS]
    kwargs: dict[str, Any] = {"thresholds": [0.1, 1], "window": 120, "chunk_bytes": 1 << 18}
    local = backtest(paths, out=tmp_path / "local", **kwargs)
    dask = backtest(paths, out=tmp_path / "dask", engine="dask", client=client, **kwargs)
    assert local.lines == 28_939 + 10_000 + 31_070 + 671  # every line, W3C directives included
    assert (local.requests, local.directives) == (28_939 + 10_000 + 14_318 + 671, 16_752)
    assert len(local.transitions) > 10 and local.late > 0  # the files go back and forth in time
    assert_same(dask, local, tmp_path)
    assert client.status == "running"  # a given client is left open


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return mixed_logs(tmp_path_factory.mktemp("mixed"))


def mixed_logs(folder: Path) -> list[Path]:
    """A day of traffic in 5 files, plain and gzip, out of order, with garbage lines."""
    rng = np.random.default_rng(14)
    paths = []
    for day in range(5):
        start = T0 + day * 20_000
        seconds = start + np.sort(rng.integers(0, 18_000, 6_000))
        seconds[rng.random(len(seconds)) < 0.05] -= rng.integers(1, 30)  # stamped a little early
        if day == 3:
            seconds[100:110] -= 5 * 3600  # over an hour out of order: counted late
        lines = [
            clf_line(int(s), path=f"/s{rng.integers(0, 150)}/x", status=int(rng.choice([200, 404, 503])))
            for s in seconds
        ]
        for at in rng.integers(0, len(lines), 20):
            lines.insert(int(at), b"garbage, not a log line\n")
        data = b"".join(lines)
        path = folder / (f"access-{day}.log.gz" if day % 2 else f"access-{day}.log")
        path.write_bytes(gzip.compress(data) if day % 2 else data)
        paths.append(path)
    return paths


def test_generated_plain_and_gzip_logs_give_exactly_the_in_process_result(
    client: Any, mixed: list[Path], tmp_path: Path
) -> None:
    """Small pieces (plain files in ~10 ranges each), late lines, rejects, sections over the limit."""
    paths = mixed
    kwargs: dict[str, Any] = {"thresholds": [0.2, 0.3], "window": 60, "chunk_bytes": 1 << 17}
    local = backtest(paths, out=tmp_path / "local", section_limit=20, **kwargs)
    dask = backtest(paths, out=tmp_path / "dask", section_limit=20, engine="dask", client=client, **kwargs)
    assert local.late == 10 and local.rejected == 100 and len(local.transitions) > 4
    assert_same(dask, local, tmp_path)


def test_globs_and_file_urls_read_the_same_files(client: Any, mixed: list[Path]) -> None:
    """A quoted glob (sorted) and a file:// URL glob name the same inputs as the paths."""
    folder = mixed[0].parent
    local = backtest(mixed, [0.2], 60)
    url = backtest([f"file://{folder}/access-*.log*"], [0.2], 60, engine="dask", client=client)
    assert_same(url, local)
    assert_same(backtest([str(folder / "access-*")], [0.2], 60, engine="dask", client=client), local)


def test_progress_reaches_every_byte_in_order(client: Any, mixed: list[Path]) -> None:
    """Progress from the Dask engine, as in-process: lines and bytes rise to the totals."""
    paths = mixed
    calls: list[tuple[int, int, int]] = []
    result = backtest(
        paths,
        [1],
        60,
        chunk_bytes=1 << 17,
        engine="dask",
        client=client,
        progress=lambda lines, done, total, _: calls.append((lines, done, total)),
    )
    total = sum(path.stat().st_size for path in paths)
    assert len(calls) > 20
    assert [c[:2] for c in calls] == sorted(c[:2] for c in calls)
    assert calls[-1] == (result.lines, total, total)


def truncated_gzip(path: Path) -> Path:
    """A gzip cut at 3/4: its head reads, its end is missing (found only by reading it all)."""
    whole = gzip.compress(b"".join(clf_line(T0 + i // 50, path=f"/p{i}/x") for i in range(40_000)))
    path.write_bytes(whole[: len(whole) * 3 // 4])
    return path


@pytest.mark.parametrize("bad", ["truncated", "missing", "directory", "not a log"])
def test_bad_input_on_a_worker_is_the_in_process_error(client: Any, tmp_path: Path, bad: str) -> None:
    """The same InputError, naming the file, as in-process: not a distributed traceback."""
    good = tmp_path / "good.log"
    good.write_bytes(b"".join(clf_line(T0 + i) for i in range(100)))
    path = tmp_path / "bad.log.gz"
    if bad == "truncated":
        truncated_gzip(path)
    elif bad == "directory":
        path.mkdir()
    elif bad == "not a log":
        path.write_bytes(b"hello\nworld\n")
    with pytest.raises(InputError) as in_process:
        backtest([good, path], [1])
    with pytest.raises(InputError) as on_dask:
        backtest([good, path], [1], engine="dask", client=client)
    assert str(on_dask.value) == str(in_process.value)
    assert str(on_dask.value).startswith(f"{path}: ") and "\n" not in str(on_dask.value)


def test_an_empty_glob_or_standard_input_raises_before_any_work() -> None:
    with pytest.raises(InputError, match=r"nothing-\*\.log: no file matches this pattern"):
        backtest(["/nonexistent/nothing-*.log"], [1], engine="dask", client=object())
    with pytest.raises(InputError, match=r"^-: standard input is read by this process only"):
        backtest(["-"], [1], engine="dask", client=object())


class FakeFuture:
    def __init__(self, value: object, client: FakeClient) -> None:
        self.value, self.client = value, client

    def result(self, timeout: float | None = None) -> object:
        self.client.merged += 1
        if isinstance(self.value, Exception):
            raise self.value
        return self.value

    def release(self) -> None:
        pass


class FakeClient:
    """Runs each task at once; counts what was submitted, merged and cancelled."""

    def __init__(self) -> None:
        self.submitted = self.merged = self.most_ahead = self.cancelled = 0

    def submit(self, function: Any, *args: Any, pure: bool) -> FakeFuture:
        assert pure is False  # a file may change between runs: no result is reused
        self.submitted += 1
        self.most_ahead = max(self.most_ahead, self.submitted - self.merged)
        return FakeFuture(function(*args), self)

    def cancel(self, futures: list[FakeFuture]) -> None:
        self.cancelled += len(futures)


def test_results_come_in_order_with_a_bounded_backlog_and_the_rest_cancelled() -> None:
    """At most `backlog` tasks wait behind the one merged; an error cancels those still pending."""
    fake = FakeClient()
    work = iter([(i, lambda n: ValueError("bad") if n == 5 else (n, 0, 0), (i,)) for i in range(9)])
    found = cluster._in_order(fake, work, backlog=2, timeout=60)
    assert [next(found) for _ in range(5)] == [(i, (i, 0, 0)) for i in range(5)]
    with pytest.raises(cluster.ClusterError, match=r"^5: the cluster failed: ValueError: bad$"):  # one line
        next(found)
    assert fake.most_ahead == 3  # the one merged next and 2 behind it
    assert (fake.submitted, fake.cancelled) == (8, 2)  # 6 and 7 were ahead, never merged; 8 never sent


def test_a_task_whose_workers_died_is_one_line_naming_its_file() -> None:
    """distributed gives up on a task after its workers died 3 times: one line, not a traceback."""
    from distributed import KilledWorker

    work = iter(
        [(10, lambda piece: KilledWorker("parse_piece-1", "tcp://w", 3), (Piece("/logs/a.log", 0, 10),))]
    )
    with pytest.raises(cluster.ClusterError, match=r"^/logs/a\.log: the workers parsing it died, 4 times"):
        list(cluster._in_order(FakeClient(), work, backlog=2, timeout=60))


def test_a_whole_file_task_gives_each_piece_at_its_own_end() -> None:
    fake = FakeClient()
    work = iter([(100, lambda: [(10, "a"), (30, "b")], ()), (130, lambda: "c", ())])
    assert list(cluster._in_order(fake, work, backlog=4, timeout=60)) == [(110, "a"), (130, "b"), (130, "c")]


def test_an_unreachable_scheduler_is_one_line() -> None:
    with pytest.raises(cluster.ClusterError, match=r"^tcp://127\.0\.0\.1:9: cannot connect to a Dask sched"):
        cluster.connect("tcp://127.0.0.1:9", timeout=0.5)


def run_cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m analyzer backtest ...` in a real process."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "analyzer", "backtest", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_on_the_running_cluster_writes_the_in_process_csvs(
    client: Any, mixed: list[Path], tmp_path: Path
) -> None:
    """`--scheduler ADDRESS` with a relative glob: the in-process table and CSVs."""
    local = backtest(mixed, [0.2, 0.3], 60, out=tmp_path / "local")
    done = run_cli(
        "access-*.log*", "--threshold", "0.2", "0.3", "--window", "60", "--out", str(tmp_path / "dask"),
        "--scheduler", client.scheduler.address, cwd=mixed[0].parent,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"{local.lines:,} lines: {local.requests:,} requests, 100 rejected, 10")
    for name in CSVS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


def test_cli_on_its_own_cluster_gives_a_corrupt_gzip_as_one_line(tmp_path: Path) -> None:
    """`--engine dask` starts a local cluster; a truncated .gz is exit 2 and one stderr line."""
    truncated_gzip(tmp_path / "access.log.gz")
    done = run_cli("access.log.gz", "--engine", "dask", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "analyzer: error: access.log.gz: cannot read: "
        "Compressed file ended before the end-of-stream marker was reached\n"
    )
    assert done.stdout == ""


def test_cli_without_dask_says_how_to_install_it_and_the_default_engine_needs_none(tmp_path: Path) -> None:
    """No dask installed: `--engine dask` is one line naming the extra; the local engine runs."""
    (tmp_path / "access.log").write_bytes(b"".join(clf_line(T0 + i) for i in range(100)))
    hide = "import sys\nsys.modules.update(dask=None, distributed=None)"  # `import dask` fails
    both = "from analyzer.cli.main import main\nfor engine in ('local', 'dask'):\n" + (
        "    print('exit', main(['backtest', 'access.log', '--engine', engine]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"{hide}\n{both}"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert "100 lines" in done.stdout and done.stdout.count("exit") == 2, done.stderr
    assert done.stdout.endswith("exit 0\nexit 2\n")
    assert done.stderr == f"analyzer: error: {cluster.NO_DASK}\n"


def test_a_worker_that_stops_answering_fails_the_run_in_one_line_never_a_hang(
    client: Any, tmp_path: Path
) -> None:
    """A worker stopped (SIGSTOP) with pieces on it: after the task timeout the run stops with
    one line naming the piece; the worker is let go on afterwards."""
    log = tmp_path / "big.log"
    log.write_bytes(lines_at([T0 + second // 20 for second in range(200_000)]))
    pids = client.run(os.getpid)
    stopped = sorted(pids.values())[0]
    os.kill(stopped, signal.SIGSTOP)
    started = time.monotonic()
    try:
        # Its first task may be the files' check or a piece: either way, one line, no hang.
        silent = r"no answer from the workers for 3 s|did not answer for 3 s"
        with pytest.raises(cluster.ClusterError, match=silent):
            backtest([log], [1], 10, engine="dask", client=client, chunk_bytes=1 << 20, task_timeout=3)
    finally:
        os.kill(stopped, signal.SIGCONT)
    assert time.monotonic() - started < 60
