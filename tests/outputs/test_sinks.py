"""The output files: one header, rows appended and flushed, history read back safely."""

from __future__ import annotations

from pathlib import Path

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.outputs.rows import ALERT_FIELDS, alert_row
from analyzer.outputs.sinks import CsvSink, Outputs, RejectSink, read_history

T0 = 1_764_299_400


def test_a_sink_writes_its_header_once_and_flushes_each_row(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "x.csv"
    sink = CsvSink(path, ("a", "b"))
    sink.write((1, "two, with a comma"))
    assert path.read_bytes() == b'a,b\r\n1,"two, with a comma"\r\n'  # readable before close
    sink.close()
    again = CsvSink(path, ("a", "b"))
    again.write((3, 4))
    again.close()
    assert path.read_text().count("a,b") == 1 and path.read_bytes().endswith(b"3,4\r\n")


def test_history_keeps_this_rule_and_skips_damaged_rows(tmp_path: Path) -> None:
    rule, other = AlertRule(2, 10), AlertRule(3, 10)
    sink = CsvSink(tmp_path / "alerts.csv", ALERT_FIELDS)
    sink.write(alert_row(Transition(T0, ALERT, 25, rule)))
    sink.write(alert_row(Transition(T0 + 1, ALERT, 35, other)))
    sink.write(("not a time", "alert", "x", "2", "10", "m"))
    sink.write(alert_row(Transition(T0 + 9, RECOVERED, 20, rule)))
    sink.close()
    history = read_history(tmp_path / "alerts.csv", rule)
    assert [(t.second, t.kind, t.hits) for t in history] == [(T0, ALERT, 25), (T0 + 9, RECOVERED, 20)]
    assert read_history(tmp_path / "none.csv", rule) == []


def test_outputs_open_three_csvs_and_tell_the_size_of_stats(tmp_path: Path) -> None:
    outputs = Outputs(tmp_path / "out")
    try:
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
            "alerts.csv",
            "sections.csv",
            "stats.csv",
        ]
        size = outputs.stats_size()
        assert size == (tmp_path / "out" / "stats.csv").stat().st_size > 0
        (tmp_path / "out" / "stats.csv").unlink()
        assert outputs.stats_size() == size  # of the open file: a deleted stats.csv is no crash
    finally:
        outputs.close()


def test_rejected_lines_are_kept_verbatim_after_reason_and_file(tmp_path: Path) -> None:
    sink = RejectSink(tmp_path / "rejects.txt")
    sink.write("/var/log/a.log", [("binary garbage", "\\x16\\x03 tls"), ("missing fields", "GET /")])
    sink.close()
    assert (tmp_path / "rejects.txt").read_text() == (
        "binary garbage\t/var/log/a.log\t\\x16\\x03 tls\nmissing fields\t/var/log/a.log\tGET /\n"
    )


def test_outputs_notice_a_deleted_file_and_write_it_anew(tmp_path: Path) -> None:
    outputs = Outputs(tmp_path / "out")
    try:
        assert outputs.reopen_if_gone() is False
        (tmp_path / "out" / "sections.csv").unlink()
        assert outputs.reopen_if_gone() is True
        assert (tmp_path / "out" / "sections.csv").read_text().startswith("time,section,hits")
    finally:
        outputs.close()
