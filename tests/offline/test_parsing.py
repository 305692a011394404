"""Pieces parsed into bucket sums in input order, here or in worker processes, one thread each."""

from __future__ import annotations

import ctypes
import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analyzer.formats import kernel
from analyzer.offline.parsing import parse_file, parse_piece, stream
from analyzer.offline.reader import pieces
from tests.conftest import lines_at

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, a multiple of 10
GARBAGE = b"this is not a log line\n"


def test_a_whole_file_is_its_pieces_in_order_each_at_its_end(tmp_path: Path) -> None:
    """parse_file (a Dask worker's task for a .gz or W3C log): the pieces' own sums and ends."""
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress(lines_at(range(T0, T0 + 300)) + GARBAGE))
    whole = parse_file(str(path), "combined", None, 4096)
    one_by_one = [(piece.end, parse_piece(piece, "combined", None)) for piece in pieces(str(path), 4096)]
    assert len(whole) == len(one_by_one) > 3
    for (end, (buckets, lines, rejected)), (piece_end, (alone, piece_lines, piece_rejected)) in zip(
        whole, one_by_one, strict=True
    ):
        assert (end, lines, rejected) == (piece_end, piece_lines, piece_rejected)
        assert np.array_equal(buckets.seconds, alone.seconds) and np.array_equal(buckets.hits, alone.hits)
    assert whole[-1][0] == path.stat().st_size and sum(lines for _, (_, lines, _) in whole) == 301


def test_a_worker_parses_in_one_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker processes (one per core) are the parallelism: their parses start no threads."""
    path = tmp_path / "access.log"
    path.write_bytes(lines_at(range(T0, T0 + 300)))
    for task in (
        lambda: parse_piece(next(iter(pieces(str(path), 4096))), "combined", None),
        lambda: parse_file(str(path), "combined", None, 4096),
    ):
        monkeypatch.setattr(kernel.THREADS, "count", 2)
        task()
        assert kernel.THREADS.count == 1


def test_the_stream_gives_every_piece_with_the_bytes_of_all_inputs_read(tmp_path: Path) -> None:
    first, second = tmp_path / "a.log", tmp_path / "b.log.gz"
    first.write_bytes(lines_at(range(T0, T0 + 200)))
    second.write_bytes(gzip.compress(lines_at(range(T0 + 200, T0 + 400))))
    found = list(stream([str(first), str(second)], 4096))
    consumed = [done for _, done in found]
    assert consumed == sorted(consumed) and consumed[-1] == first.stat().st_size + second.stat().st_size
    assert b"".join(piece.read() for piece, _ in found) == lines_at(range(T0, T0 + 400))


FAULTS = """
import resource, sys
import numpy as np
from analyzer.offline.parsing import worker_start
if sys.argv[1] == "worker":
    worker_start()
for round in range(4):  # pieces of 150,000 short lines, as a worker allocates and frees them
    if round == 2:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    data = np.ones(16 << 20, np.uint8)  # a piece's bytes ...
    rows = np.ones((12, 150_000), np.int64)  # ... the scan's rows ...
    columns = [np.ones(150_000, np.int64) for _ in range(20)]  # ... and the columns made of them
    del data, rows, columns
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

GLIBC = hasattr(ctypes.CDLL(None), "mallopt")


@pytest.mark.skipif(not GLIBC, reason="not glibc: worker_start changes nothing")
def test_a_worker_reuses_its_heap_instead_of_faulting_each_piece_in_again() -> None:
    """Counted in page faults, not time: two more pieces' arrays are 10,000+ faults by glibc's
    defaults (13,600 measured), next to none in a worker."""

    def faults(mode: str) -> int:
        command = [sys.executable, "-c", FAULTS, mode]
        return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

    assert faults("default") > 10_000
    assert faults("worker") < 500
