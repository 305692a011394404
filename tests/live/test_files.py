"""One followed path: its format found from its first lines, its batches parsed, its counts kept."""

from __future__ import annotations

from pathlib import Path

from analyzer.core.alerts import AlertRule
from analyzer.formats.rejects import TOO_LONG
from analyzer.live.files import LogFile, choose_format, has_format, too_long
from analyzer.live.settings import Settings
from tests.conftest import clf_line
from tests.live.conftest import T0, append

W3C_HEAD = b"#Software: IIS\n#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes\n"


def log_file(path: Path, **options: object) -> LogFile:
    settings = Settings(paths=[str(path)], rule=AlertRule(10), **options)  # type: ignore[arg-type]
    return LogFile(str(path), settings, lambda: float(T0))


def test_the_format_is_detected_from_the_first_lines_or_taken_as_given(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(T0))
    assert choose_format(str(log), "auto") == "combined"
    assert choose_format(str(log), "common") == "common"
    assert has_format(str(log), "auto")
    assert not has_format(str(tmp_path / "missing.log"), "auto")
    assert has_format(str(tmp_path / "missing.log"), "w3c")  # given: no lines needed


def test_a_file_empty_at_start_gets_its_parser_from_its_first_lines(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    file = log_file(log)
    assert file.parser is None and file.format_name() == "format not known yet"
    file.follower.open()
    append(log, W3C_HEAD + b"2026-01-01 00:00:00 10.0.0.1 GET /a/b 200 5\n")
    (batch,) = file.read()
    assert file.format_name() == "w3c"
    assert len(batch.frame) == 1 and batch.directives == 2


def test_a_w3c_header_in_a_file_read_as_combined_makes_it_w3c(tmp_path: Path) -> None:
    """An IIS log that replaced a Combined one under the same name is read as W3C from its header."""
    log = tmp_path / "access.log"
    log.write_bytes(clf_line(T0))
    file = log_file(log)
    assert file.format_name() == "combined"
    assert file.parser_of(W3C_HEAD).name == "w3c"
    assert file.parser_of(clf_line(T0)).name == "w3c"  # kept until another header says otherwise


def test_over_long_lines_come_back_as_rejected_and_counts_add_up(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    file = log_file(log, max_line_bytes=100)
    file.follower.open()
    append(log, clf_line(T0) + b"x" * 500 + b"\n" + clf_line(T0 + 1))
    batches = file.read()
    for parsed in batches:
        file.count(parsed)
    assert sum(len(parsed.frame) for parsed in batches) == 2
    assert [reason for parsed in batches for reason, _ in parsed.rejects] == [TOO_LONG]
    status = file.status()
    assert (status.lines, status.rejected, status.last_seen) == (3, 1, T0)


def test_too_long_is_rejected_lines_with_a_readable_example() -> None:
    parsed = too_long(3, 65536)
    assert (parsed.lines, parsed.rejected, len(parsed.frame)) == (3, 3, 0)
    assert parsed.reasons == {TOO_LONG: 3}
    assert parsed.reject_samples == ["(a line over 65,536 bytes, dropped)"]


def test_notices_are_taken_once(tmp_path: Path) -> None:
    file = log_file(tmp_path / "missing.log")
    file.read()
    assert file.take_notices() == ["waiting: no such file"]
    assert file.take_notices() == []


def test_what_the_monitor_refuses_to_follow_and_says_why(tmp_path: Path) -> None:
    """Compressed, binary, an error log, another format: refused with the reason; a log with a
    few rejected lines, an empty or a missing file: followed."""
    import gzip

    from analyzer.live.files import refusal

    settings = Settings(paths=[], rule=AlertRule(10))
    gz = tmp_path / "access.log.2.gz"
    gz.write_bytes(gzip.compress(clf_line(T0) * 10))
    assert "gzip-compressed" in (refusal(str(gz), settings) or "")
    binary = tmp_path / "ls"
    binary.write_bytes(bytes(range(256)) * 40)
    assert "not an access log" in (refusal(str(binary), settings) or "")
    error = tmp_path / "error.log"
    error.write_bytes(b"2026/11/28 03:10:05 [error] 1234#0: *5 open() failed\n" * 5)
    assert "an nginx error log" in (refusal(str(error), settings) or "")
    mixed = tmp_path / "access.log"
    mixed.write_bytes(clf_line(T0) * 6 + b"garbage\n" * 5)
    assert refusal(str(mixed), settings) is None
    mixed.write_bytes(clf_line(T0) * 5 + b"garbage\n" * 6)
    assert "6 of its last 11 lines rejected" in (refusal(str(mixed), settings) or "")
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert refusal(str(empty), settings) is None
    assert refusal(str(tmp_path / "missing.log"), settings) is None
