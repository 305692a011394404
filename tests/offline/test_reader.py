"""Reading historical logs: gzip told by content, complete lines per chunk, one-line input errors."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analyzer.lines import clean
from analyzer.offline.reader import (
    GZIP_MAGIC,
    InputError,
    NotALogError,
    Piece,
    _lines_fit,
    check_log,
    expand_paths,
    file_size,
    open_log,
    pieces,
    read_chunks,
    total_size,
)
from tests.conftest import lines_at

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
LOG = lines_at(range(T0, T0 + 20))


def read_all(path: Path, chunk_bytes: int) -> list[bytes]:
    with open_log(str(path)) as handle:
        return [chunk.data for chunk in read_chunks(handle, str(path), chunk_bytes)]


def test_gzip_is_detected_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    """A gzip file named .log is decompressed; a plain file named .gz is read as it is."""
    gz_named_log = tmp_path / "access.log"
    gz_named_log.write_bytes(gzip.compress(LOG))
    plain_named_gz = tmp_path / "access.log.gz"
    plain_named_gz.write_bytes(LOG)
    assert b"".join(read_all(gz_named_log, 1000)) == LOG
    assert b"".join(read_all(plain_named_gz, 1000)) == LOG
    assert check_log(str(gz_named_log)) == "combined"
    assert check_log(str(plain_named_gz)) == "combined"


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(st.binary(min_size=0, max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=20),
    newline_at_end=st.booleans(),
    chunk_bytes=st.integers(1, 64),
    compressed=st.booleans(),
)
def test_chunks_hold_complete_lines_only(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    newline_at_end: bool,
    chunk_bytes: int,
    compressed: bool,
) -> None:
    """Whatever the chunk size, every chunk ends at a newline and together they are the whole file."""
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    assume(not data.startswith(GZIP_MAGIC))  # a plain file that opens like gzip is read as gzip
    path = tmp_path_factory.mktemp("chunks") / "log"
    path.write_bytes(gzip.compress(data) if compressed else data)
    chunks = read_all(path, chunk_bytes)
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert all(chunk for chunk in chunks)
    whole = data if not data or data.endswith(b"\n") else data + b"\n"  # a last line gets its newline
    assert b"".join(chunks) == clean(whole)  # lines as the live follower cuts them (no NUL, \n ends)


def test_a_last_line_without_newline_is_still_read(tmp_path: Path) -> None:
    """An unfinished last line comes out last, newline added, so it is parsed and counted."""
    path = tmp_path / "access.log"
    path.write_bytes(LOG + b"last line")
    chunks = read_all(path, 256)
    assert chunks[-1].endswith(b"last line\n")
    assert b"".join(chunks) == LOG + b"last line\n"


def test_consumed_counts_bytes_on_disk_up_to_the_file_size(tmp_path: Path) -> None:
    """Each chunk's `consumed` grows, and the last equals the file's size on disk (compressed too)."""
    for name, content in [("plain.log", LOG), ("packed.log", gzip.compress(LOG * 50))]:
        path = tmp_path / name
        path.write_bytes(content)
        with open_log(str(path)) as handle:
            consumed = [chunk.consumed for chunk in read_chunks(handle, str(path), 300)]
        assert consumed == sorted(consumed) and len(consumed) > 1
        assert consumed[-1] == os.path.getsize(path)
    assert total_size([str(tmp_path / "plain.log"), str(tmp_path / "packed.log")]) == len(
        LOG
    ) + os.path.getsize(tmp_path / "packed.log")


def assert_one_line_error(path: Path, *expected: str) -> None:
    with pytest.raises(InputError) as caught:
        check_log(str(path))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    for text in expected:
        assert text in message


def test_check_log_missing_file(tmp_path: Path) -> None:
    """A path that does not exist: one line naming it and saying so."""
    assert_one_line_error(tmp_path / "nope.log", "no such file")


def test_check_log_directory(tmp_path: Path) -> None:
    """A directory is not a log."""
    assert_one_line_error(tmp_path, "is a directory")


def test_check_log_not_a_log(tmp_path: Path) -> None:
    """A file whose first lines match neither format is refused, plain or gzip."""
    text = tmp_path / "notes.txt"
    text.write_bytes(b"dear diary\ntoday I wrote no access log\n")
    assert_one_line_error(text, "not a Common or Combined (or W3C) access log")
    packed = tmp_path / "notes.gz"
    packed.write_bytes(gzip.compress(b"dear diary\n" * 10))
    assert_one_line_error(packed, "not a Common or Combined (or W3C) access log")


def test_check_log_broken_gzip(tmp_path: Path) -> None:
    """A file with gzip's magic but no valid stream cannot be read: one line, not a traceback."""
    path = tmp_path / "broken.log.gz"
    path.write_bytes(b"\x1f\x8b" + b"this is not deflate data" * 4)
    assert_one_line_error(path, "cannot read")


def test_check_log_empty_file_is_a_log(tmp_path: Path) -> None:
    """An empty file (plain or gzip) is a log with no lines, not an error."""
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert check_log(str(empty)) == "combined"
    packed = tmp_path / "empty.log.gz"
    packed.write_bytes(gzip.compress(b""))
    assert check_log(str(packed)) == "combined"
    assert read_all(empty, 100) == [] and read_all(packed, 100) == []


def test_check_log_tells_common_from_combined(tmp_path: Path) -> None:
    """A Common log (no referer and agent) is detected as such."""
    path = tmp_path / "common.log"
    path.write_bytes(b"".join(line.split(b' "-" "test-agent"')[0] + b"\n" for line in LOG.splitlines()))
    assert check_log(str(path)) == "common"


@settings(max_examples=50, deadline=None)
@given(
    seconds=st.lists(st.integers(0, 50), min_size=1, max_size=60),
    chunk_bytes=st.integers(1, 400),
    final_newline=st.booleans(),
)
def test_pieces_cut_plain_files_at_line_ends_and_cover_every_byte(
    tmp_path_factory: pytest.TempPathFactory, seconds: list[int], chunk_bytes: int, final_newline: bool
) -> None:
    """Byte ranges of a plain file join back to the file, each ending at a newline."""
    data = lines_at([1_764_300_000 + s for s in seconds])
    data = data if final_newline else data[:-1]
    path = tmp_path_factory.mktemp("pieces") / "access.log"
    path.write_bytes(data)
    cut = list(pieces(str(path), chunk_bytes))
    assert all(piece.data is None for piece in cut)  # read by the worker, not the parent
    assert b"".join(piece.read() for piece in cut) == (data if final_newline else data + b"\n")
    assert [piece.start for piece in cut[1:]] == [piece.end for piece in cut[:-1]]
    assert cut[-1].end == len(data)


def test_a_truncated_gzip_is_one_clear_input_error(tmp_path: Path) -> None:
    """A gzip cut short mid-stream is reported with its path, not as a traceback."""
    path = tmp_path / "access.log.gz"
    whole = gzip.compress(os.urandom(1 << 20).hex().encode())
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"access\.log\.gz: cannot read"):
        list(pieces(str(path), 1 << 16))


def test_the_lines_before_the_damage_of_a_gzip_are_read_then_the_error(tmp_path: Path) -> None:
    """Cut short in its middle: every complete line before the cut comes out, then one error."""
    log = lines_at(range(T0, T0 + 60_000))
    whole = gzip.compress(log)
    path = tmp_path / "access.log.gz"
    path.write_bytes(whole[: len(whole) // 2])
    read: list[bytes] = []
    with pytest.raises(InputError, match=r"access\.log\.gz: cannot read"):
        read.extend(piece.read() for piece in pieces(str(path), 16 << 20))  # one piece were it whole
    got = b"".join(read)
    decompressible = zlib.decompressobj(wbits=31).decompress(whole[: len(whole) // 2])
    assert got == decompressible[: decompressible.rfind(b"\n") + 1]  # every whole line zlib can give
    assert len(log) // 3 < len(got) < len(log)


def test_a_gzip_with_corrupt_data_is_one_clear_input_error(tmp_path: Path) -> None:
    """Bytes garbled in the middle of the deflate stream (zlib.error, not OSError): one line."""
    whole = bytearray(gzip.compress(lines_at(range(T0, T0 + 20_000))))
    whole[len(whole) // 2 : len(whole) // 2 + 8] = b"\xff" * 8
    path = tmp_path / "access.log.gz"
    path.write_bytes(bytes(whole))
    with pytest.raises(InputError, match=r"^.*access\.log\.gz: cannot read: .*") as caught:
        list(pieces(str(path)))
    assert "\n" not in str(caught.value)


def test_a_gzip_closes_the_file_under_it(tmp_path: Path) -> None:
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress(LOG))
    handle = open_log(str(path))
    raw = handle.myfileobj  # type: ignore[attr-defined]
    handle.close()
    assert raw.closed


def test_lines_fit_tells_when_no_line_can_be_too_long() -> None:
    """Every half-limit window holding a newline: no line over the limit; else look closer."""
    assert _lines_fit(LOG, 1000)
    assert not _lines_fit(b"x" * 600 + b"\n", 1000)
    assert not _lines_fit(b"a\rb\r" * 400, 1000)  # `\r` endings: the careful way
    assert _lines_fit(b"", 1000)


@pytest.mark.parametrize("long_line", [b"x" * (70 << 10) + b"\n", b"y" * (33 << 10) + b"\r"])
def test_a_piece_drops_over_long_lines_and_counts_them(tmp_path: Path, long_line: bytes) -> None:
    """A piece of a plain file: a line over 64 KiB is dropped and counted, `\r` ends a line."""
    data = LOG[:300] + long_line + LOG[300:]
    path = tmp_path / "access.log"
    path.write_bytes(data)
    lines, dropped = Piece(str(path), 0, len(data)).read_lines()
    assert lines == clean(data)
    assert dropped == (1 if len(long_line) > 64 << 10 else 0)


def test_a_format_given_that_reads_under_half_the_first_lines_is_refused(tmp_path: Path) -> None:
    """`--format w3c` on a Combined log: one line saying so, before any work."""
    path = tmp_path / "access.log"
    path.write_bytes(LOG)
    with pytest.raises(NotALogError) as caught:
        check_log(str(path), "w3c")
    assert "20 of the first 20 lines do not read as --format w3c" in str(caught.value)
    with pytest.raises(NotALogError, match="do not read as --log-format"):
        check_log(str(path), "custom", "$remote_addr [$time_local] $status")
    assert check_log(str(path), "combined") == "combined"
    assert check_log(str(path), "common") == "common"  # Combined lines read as Common: the extra fields left


def test_file_urls_are_read_through_fsspec_as_paths_are(tmp_path: Path) -> None:
    """file:// URLs: globbed, checked, sized and cut like the paths they name."""
    path = tmp_path / "access.log"
    path.write_bytes(LOG)
    (tmp_path / "older.log.gz").write_bytes(gzip.compress(LOG))
    url = f"file://{path}"
    assert expand_paths([f"file://{tmp_path}/*.log*"]) == [url, f"file://{tmp_path}/older.log.gz"]
    assert check_log(url) == check_log(str(path)) and file_size(url) == len(LOG)
    assert [piece.read() for piece in pieces(url, 500)] == [piece.read() for piece in pieces(str(path), 500)]
    assert b"".join(p.read() for p in pieces(f"file://{tmp_path}/older.log.gz", 500)) == LOG
    with pytest.raises(InputError, match=r"^file://.*/gone\.log: no such file$"):
        check_log(f"file://{tmp_path}/gone.log")
