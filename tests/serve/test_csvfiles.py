from __future__ import annotations

from pathlib import Path

from analyzer.serve.csvfiles import read_alerts, read_stats

OLD_ALERTS = (
    "time,kind,hits,threshold,window_s,message\n"
    "2027-01-15T08:00:00Z,alert,20.01,20,120,High traffic generated an alert - hits = 20.01\n"
    "garbage \x00 row\n"
    '2027-01-15T08:05:00Z,recovered,"1,\n'
    "2027-01-15T08:10:00Z,recovered,19.00,20,120,High traffic alert recovered - hits = 19.00\n"
)


def test_an_older_alerts_file_with_damaged_rows_reads_what_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "alerts.csv"
    path.write_text(OLD_ALERTS)
    alerts = read_alerts(path)
    assert [(row["kind"], row["onset"]) for row in alerts] == [("alert", ""), ("recovered", "")]
    assert alerts[0]["second"] == 1_800_000_000


def test_stats_columns_are_found_by_name_and_missing_ones_are_none(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    path.write_text(
        "requests,time,rate\n"
        "5,2027-01-15T08:00:00Z,0.500\n"
        "x,2027-01-15T08:00:10Z,1\n"  # damaged: skipped
        "7,2027-01-15T08:00:20Z,0.700\n"
        "9,2027-01-15T08:00:3"  # being written: no newline yet
    )
    found = read_stats(path, 0, 2**40)
    assert [(row[0], row[1], row[4]) for row in found] == [(1_800_000_000, 5, 0.5), (1_800_000_020, 7, 0.7)]
    assert found[0][-1] is None  # alert_on: not in this file


def test_absent_files_read_as_nothing(tmp_path: Path) -> None:
    assert read_alerts(tmp_path / "alerts.csv") == [] and read_stats(tmp_path / "stats.csv", 0, 1) == []
