"""The backtest's parsing on a Dask cluster: the same pieces and sums, on other machines.

    result = analyzer.backtest(["s3://logs/2026-*/access.log*.gz"], engine="dask", client=client)

The client sends descriptors, never bytes: a plain file's byte range (a `Piece` of path,
start and end, cut at line ends exactly as the in-process engine cuts it), or a whole file
for a gzip log (it can only be read from its start) and a W3C log (its layout carries from
piece to piece). Workers read, parse and sum them into the same `ChunkBuckets`, and the
client merges those in input order, holding a bounded backlog, so the result is the
in-process engine's to the last count.

dask and distributed are imported only here and only when this engine runs: the default
engine needs neither (`pip install -e '.[dask]'` adds them).
"""

from __future__ import annotations

import logging
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from analyzer.formats.parsers import make_parser
from analyzer.offline.locations import is_url, open_file
from analyzer.offline.parsing import Parsing, Summed
from analyzer.offline.reader import GZIP_MAGIC, InputError, Piece, check_log, file_size, pieces

ParsePiece = Callable[[Piece, str, "str | None"], Summed]
ParseFile = Callable[[str, str, "str | None", int], list[tuple[int, Summed]]]
Plan = tuple[str, int, list[tuple[int, int]] | None]  # format, size, byte ranges (None: whole file)

NO_DASK = "the dask engine needs dask and distributed: pip install -e '.[dask]'"
CONNECT_TIMEOUT = 10  # seconds; distributed's own default is 30
TASK_TIMEOUT = 600.0  # seconds a result may take once waited for (a whole .gz file is one task)
MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


class ClusterError(RuntimeError):
    """The cluster cannot be used: one line saying why."""


class DaskMissing(ClusterError, ImportError):
    """dask or distributed is not installed."""


def require() -> Any:
    """The distributed module, or DaskMissing with the line that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise DaskMissing(NO_DASK) from None
    return distributed


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A client of the running cluster whose scheduler is at `address` (tcp://HOST:8786)."""
    distributed = require()
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ClusterError(f"{address}: cannot connect to a Dask scheduler: {reason}") from None


def local_cluster(workers: int | None = None) -> Any:
    """A cluster on this machine: one single-threaded worker process per core, loopback only.

    Processes, not threads: parsing holds the GIL for much of its time. No dashboard, and
    the scheduler's own HTTP endpoints on a free loopback port (not 8787, which another
    cluster may hold: distributed would warn on stderr). The logs are silenced: a bad file
    comes back as the engine's one-line error, not as a "Compute Failed" traceback.

    distributed starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which fixes glibc's
    mmap threshold, so every array over 128 KiB is mapped and unmapped afresh: parsing ran
    ~40% slower (0.12 s a 16 MB piece, against 0.085 s). Our workers keep glibc's default.
    """
    distributed = require()
    import dask

    # silence_logs lasts only while the cluster is open: its close gives distributed's handlers
    # their level back, and a comm closed after it (a stopped run's workers killed) printed an
    # INFO traceback on our stderr. Silenced for the process, before, so the close keeps it.
    for handler in logging.getLogger("distributed").handlers:
        handler.setLevel(logging.CRITICAL)
    with dask.config.set({MALLOC_TRIM: None}):  # read as the workers' nannies are made
        return distributed.LocalCluster(
            n_workers=workers or len(os.sched_getaffinity(0)) or 1,  # the cores this process may use
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.CRITICAL,
        )


def plan(name: str, fmt: str, log_format: str | None, chunk_bytes: int) -> Plan:
    """What to do with one input (runs on a worker, which can read it): format, size, ranges.

    InputError, as in-process, if the file is missing, unreadable or not a log.
    """
    found = check_log(name, "custom" if log_format else fmt, log_format)
    with open_file(name) as handle:
        packed = handle.read(2) == GZIP_MAGIC
    if packed or make_parser(found, log_format).stateful:
        return found, file_size(name), None
    return found, file_size(name), [(piece.start, piece.end) for piece in pieces(name, chunk_bytes)]


@contextmanager
def on_dask(
    names: list[str],
    fmt: str,
    log_format: str | None,
    chunk_bytes: int,
    client: Any,
    parse_piece: ParsePiece,
    parse_file: ParseFile,
    task_timeout: float = TASK_TIMEOUT,
) -> Iterator[Parsing]:
    """The bytes in all inputs, and their pieces' sums in input order, parsed by the cluster.

    `client` is used and left open; without one a local cluster is started and closed after.
    The functions the workers run are given by offline.backtest (which imports this module).
    A task whose result has not come `task_timeout` seconds after it was waited for (a worker
    stopped, stuck, cut off) fails the run with one line: never a hang.
    """
    if "-" in names:
        raise InputError("-: standard input is read by this process only: give files, or --engine local")
    # Workers do not share the client's working directory: they are sent absolute paths, and
    # errors naming those are given back naming the path as the user wrote it.
    sent = [name if is_url(name) else os.path.abspath(name) for name in names]
    own = None
    started = client is None  # a cluster of our own, started here
    try:
        if client is None:
            own = local_cluster()
            client = require().Client(own)
        plans = _plans(client, sent, fmt, log_format, chunk_bytes, task_timeout)
        size = sum(size for _, size, _ in plans)
        work = _tasks(sent, plans, log_format, chunk_bytes, parse_piece, parse_file)
        backlog = 2 * max(sum(client.nthreads().values()), 2)
        yield Parsing(size, _in_order(client, work, backlog, task_timeout))
    except InputError as error:
        raise _as_given(error, dict(zip(sent, names, strict=True))) from None
    except BaseException:  # stopped (a signal) or failed: our own workers' answers are not wanted
        if started:
            _abandon_local_clusters(starting=own is None)
        raise
    finally:
        if own is not None:
            if client is not None:
                client.close()
            own.close()


def _abandon_local_clusters(starting: bool) -> None:
    """The worker processes of the clusters this process started, killed: a stopped run must
    end within 2 s, and a close waits 4 s for a worker that does not answer (one stopped by
    SIGSTOP, measured; 0.03 s once killed). A cluster caught starting (the signal came during
    LocalCluster()) is not closed at exit either: distributed's exit hook would wait on it."""
    from distributed.deploy.spec import SpecCluster

    for cluster in list(SpecCluster._instances):
        for worker in list(getattr(cluster, "workers", {}).values()):
            pid = getattr(getattr(getattr(worker, "process", None), "process", None), "pid", None)
            if pid:
                with suppress(OSError):  # gone already
                    os.kill(pid, signal.SIGKILL)
        if starting:  # its workers are still starting: a close would fail on them, or wait
            cluster.shutdown_on_close = False


def _as_given(error: InputError, given: dict[str, str]) -> InputError:
    """The error with the path it starts with (`PATH: ...`) as the user gave it."""
    text = str(error)
    for path, name in given.items():
        if text.startswith(f"{path}: "):
            return type(error)(name + text[len(path) :])
    return error


def _plans(
    client: Any, names: list[str], fmt: str, log_format: str | None, chunk_bytes: int, timeout: float
) -> list[Plan]:
    """Every input checked (on the workers, all at once) before any is parsed.

    The first bad file in input order raises its InputError here, as in-process.
    """
    futures = [client.submit(plan, name, fmt, log_format, chunk_bytes, pure=False) for name in names]
    try:
        return [future.result(timeout=timeout) for future in futures]
    except InputError:
        raise
    except TimeoutError:
        raise ClusterError(f"the workers did not answer for {timeout:g} s while checking the files") from None
    except Exception as error:  # a worker died or the cluster went away while checking
        raise ClusterError(
            f"the cluster failed while checking the files: {type(error).__name__}: {error}"
        ) from None
    finally:
        client.cancel(futures)


# Bytes of all inputs up to the piece's end (a whole file: before it, its pieces' ends added),
# the function a worker runs, its arguments.
Task = tuple[int, Callable[..., Any], tuple[Any, ...]]


def _tasks(
    names: list[str],
    plans: list[Plan],
    log_format: str | None,
    chunk_bytes: int,
    parse_piece: ParsePiece,
    parse_file: ParseFile,
) -> Iterator[Task]:
    done = 0
    for name, (found, size, ranges) in zip(names, plans, strict=True):
        if ranges is None:
            yield done, parse_file, (name, found, log_format, chunk_bytes)
        for start, end in ranges or ():
            yield done + end, parse_piece, (Piece(name, start, end), found, log_format)
        done += size


def _in_order(
    client: Any, work: Iterator[Task], backlog: int, timeout: float
) -> Iterator[tuple[int, Summed]]:
    """Each task's sums in submission order, with at most `backlog` tasks submitted ahead.

    Results wait on the workers until their turn, so the client holds one at a time; the
    tasks still running when the merge stops (an error, or the caller gave up) are cancelled.
    """
    pending: deque[tuple[int, Any, Any]] = deque()
    try:
        for done, function, args in work:
            pending.append((done, client.submit(function, *args, pure=False), args[:1]))
            while len(pending) > backlog:
                yield from _results(*pending.popleft(), timeout)
        while pending:
            yield from _results(*pending.popleft(), timeout)
    finally:
        if pending:
            client.cancel([future for _, future, _ in pending])


def _named(what: tuple[Any, ...]) -> str:
    return str(next((getattr(first, "path", first) for first in what), "a task"))  # a Piece or a path


def _results(done: int, future: Any, what: tuple[Any, ...], timeout: float) -> Iterator[tuple[int, Summed]]:
    """A task's sums with the bytes of all inputs consumed up to each (a whole file: several)."""
    try:
        found = future.result(timeout=timeout)
    except InputError:
        raise
    except TimeoutError:
        raise ClusterError(
            f"{_named(what)}: no answer from the workers for {timeout:g} s (a worker stopped or "
            "stuck?): stopped; --task-timeout sets the wait"
        ) from None
    except require().KilledWorker as error:  # evaluated only when the task failed
        raise ClusterError(
            f"{_named(what)}: the workers parsing it died, {error.allowed_failures + 1} times "
            "(out of memory?); see the workers' logs"
        ) from None
    except Exception as error:  # the scheduler lost, a task cancelled, a worker's own failure
        raise ClusterError(f"{_named(what)}: the cluster failed: {type(error).__name__}: {error}") from None
    future.release()  # the worker may forget it now
    if isinstance(found, list):
        for end, summed in found:
            yield done + end, summed
    else:
        yield done, found
