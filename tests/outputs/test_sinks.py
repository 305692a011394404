"""The output files: one header, rows appended and flushed, history read back safely."""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Driver, Transition
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


def test_an_older_alerts_csv_keeps_its_columns_and_a_new_one_has_the_drivers(tmp_path: Path) -> None:
    """An 8-column file from before `drivers` is appended to in its own columns; both read back."""
    rule = AlertRule(2, 10)
    driven = Transition(T0, ALERT, 25, rule, drivers=(Driver("host", "203.0.113.7", 20, 0.8),))
    old = tmp_path / "old.csv"
    old.write_text(",".join(ALERT_FIELDS[:8]) + "\r\n")
    for path in (old, tmp_path / "new.csv"):
        sink = CsvSink(path, ALERT_FIELDS)
        sink.write(alert_row(driven))
        sink.close()
        (restored,) = read_history(path, rule)
        assert (restored.second, restored.kind, restored.hits) == (T0, ALERT, 25)
    assert "drivers" not in old.read_text() and "203.0.113.7" not in old.read_text()
    new = (tmp_path / "new.csv").read_text().splitlines()
    assert new[0].endswith(",onset,drivers,rule")
    assert new[1].endswith(",crossed,driven by host 203.0.113.7 +20 (80%),high_traffic")


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


@settings(max_examples=200, deadline=None)
@given(
    threshold=st.decimals(min_value="0.001", max_value="100000", places=9, allow_nan=False),
    recovery_share=st.sampled_from([None, "0.5", "0.123456789"]),
    window=st.integers(1, 3600),
)
@example(threshold=Decimal("0.33"), recovery_share=None, window=75)  # 25 hits print 0.34 (rounded up)
def test_a_rule_is_recorded_as_given_and_finds_its_history_again(
    tmp_path_factory: pytest.TempPathFactory, threshold: Decimal, recovery_share: str | None, window: int
) -> None:
    """Whatever the threshold's digits: alerts.csv holds it exactly and a restart finds its rows,
    and only its own (a threshold one float step away, or another recovery, is another rule)."""
    value = float(threshold)
    recovery = None if recovery_share is None else value * float(recovery_share)
    rule = AlertRule(value, window, recovery)
    out = tmp_path_factory.mktemp("out")
    outputs = Outputs(out)
    alert = Transition(T0, ALERT, rule.on_limit + 1, rule)
    outputs.transition(alert)
    outputs.close()
    with open(out / "alerts.csv", newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert Fraction(row["threshold"]) == Fraction(repr(value))
    assert "e" not in row["threshold"].lower()
    (restored,) = read_history(out / "alerts.csv", rule)
    assert (restored.second, restored.kind, restored.onset) == (T0, ALERT, "crossed")
    assert restored.message == alert.message
    neighbour = AlertRule(math.nextafter(value, math.inf), window, None if recovery is None else recovery)
    assert read_history(out / "alerts.csv", neighbour) == []
    if recovery is not None:
        assert read_history(out / "alerts.csv", AlertRule(value, window)) == []


@settings(max_examples=300, deadline=None)
@given(
    threshold=st.decimals(min_value="0.01", max_value="1000", places=6, allow_nan=False),
    window=st.integers(1, 600),
    hits=st.integers(0, 10**6),
)
def test_a_printed_value_never_reads_on_the_wrong_side_of_the_threshold(
    threshold: Decimal, window: int, hits: int
) -> None:
    """3001 hits in 300 s at threshold 10 is printed 10.01, not 10.00; a recovery never above."""
    rule = AlertRule(float(threshold), window)
    kind = ALERT if hits > rule.on_limit else RECOVERED
    shown = Fraction(alert_row(Transition(T0, kind, hits, rule))[2])  # type: ignore[arg-type]
    if kind == ALERT:
        assert shown > Fraction(rule.threshold_text)
    else:
        assert shown <= Fraction(rule.threshold_text)
    assert abs(shown - Fraction(hits, window)) <= Fraction(1, 100)


def test_a_torn_last_row_is_set_aside_never_glued_to_the_next(tmp_path: Path) -> None:
    """A full disk or a crash mid-write left half a row: the next start cuts it off into
    alerts.csv.torn with a warning, the next row starts on a line of its own."""
    rule = AlertRule(2, 10)
    whole = Transition(T0, ALERT, 30, rule)
    outputs = Outputs(tmp_path)
    outputs.transition(whole)
    outputs.close()
    row = ",".join(str(cell) for cell in alert_row(Transition(T0 + 60, RECOVERED, 10, rule)))
    with open(tmp_path / "alerts.csv", "a", encoding="utf-8") as handle:
        handle.write(row[:25])  # torn
    again = Outputs(tmp_path)
    (warning,) = again.warnings()
    assert "alerts.csv: a torn last row (25 bytes" in warning and "alerts.csv.torn" in warning
    again.transition(Transition(T0 + 61, RECOVERED, 10, rule))
    again.close()
    assert (tmp_path / "alerts.csv.torn").read_text() == row[:25] + "\n"
    with open(tmp_path / "alerts.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["time"], r["kind"]) for r in rows] == [
        ("2025-11-28T03:10:00Z", "alert"),
        ("2025-11-28T03:11:01Z", "recovered"),
    ]
    assert [t.kind for t in read_history(tmp_path / "alerts.csv", rule)] == ["alert", "recovered"]
    assert Outputs(tmp_path).warnings() == []


def test_log_text_in_a_cell_is_written_escaped(tmp_path: Path) -> None:
    sink = CsvSink(tmp_path / "sections.csv", ("time", "section", "hits"))
    sink.write(("t", "/\x1b]0;pwned\x07\u202e", 3))
    sink.close()
    assert (tmp_path / "sections.csv").read_text().splitlines()[1] == "t,/\\x1b]0;pwned\\x07\\u202e,3"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(max_size=600) | st.text(max_size=300).map(str.encode), big=st.booleans())
def test_history_survives_any_damage_and_keeps_every_whole_row(
    tmp_path_factory: pytest.TempPathFactory, garbage: bytes, big: bool
) -> None:
    """Arbitrary bytes (invalid UTF-8, NULs, quotes, a field over csv's 128 KB limit) after the
    rows of a real alerts.csv: reading it never raises and the rows before are all kept."""
    rule = AlertRule(2, 10)
    folder = tmp_path_factory.mktemp("alerts")
    outputs = Outputs(folder)
    written = [Transition(T0 + 60 * i, (ALERT, RECOVERED)[i % 2], 30 - 10 * (i % 2), rule) for i in range(4)]
    for transition in written:
        outputs.transition(transition)
    outputs.close()
    with open(folder / "alerts.csv", "ab") as handle:
        handle.write(b"\n" + garbage + (b'"' + b"x" * 200_000 if big else b""))
    found = read_history(folder / "alerts.csv", rule)
    assert [(t.second, t.kind) for t in found[: len(written)]] == [(t.second, t.kind) for t in written]
    (folder / "alerts.csv").write_bytes(garbage)
    read_history(folder / "alerts.csv", rule)  # whatever the whole file holds: no exception
