from __future__ import annotations

from pathlib import Path

from analyzer.serve.csvfiles import read_alerts, read_chunk, read_stats, section_rows

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
    found = [(row["kind"], row["onset"], row["drivers"]) for row in alerts]
    assert found == [("alert", "", ""), ("recovered", "", "")]
    assert alerts[0]["second"] == 1_800_000_000


def test_an_alert_says_its_drivers_and_rule_where_the_file_has_them(tmp_path: Path) -> None:
    path = tmp_path / "alerts.csv"
    path.write_text(
        "time,kind,hits,threshold,window_s,message,recovery,onset,drivers,rule\n"
        '2027-01-15T08:00:00Z,alert,20.01,20,120,High traffic ...,,crossed,"driven by /<b> +9 (90%), '
        'agent ""x"" +9 (90%)",high_traffic\n'
    )
    (alert,) = read_alerts(path)
    assert alert["drivers"] == 'driven by /<b> +9 (90%), agent "x" +9 (90%)'
    assert alert["rule"] == "high_traffic"


SECTIONS = (
    b"2027-01-15T08:00:00Z,/a,5\r\n"
    b'2027-01-15T08:00:00Z,"/b,""c""",7\r\n'  # quoted by the writer
    b'2027-01-15T08:00:00Z,"/torn,3\n'  # torn inside a quote: must not swallow what follows
    b"time,section,hits\r\n"  # a header again
    b"2027-01-15T08:00:10Z,/a,1,9\r\n"  # a cell too many
    b"2027-01-15T08:00:10Z,/a\r\n"  # a cell short
    b"2027-01-15T08:00:10Z,/a,-1\r\n"  # no count of hits
    b"2027-01-15T08:00:10Z,/a,2.5\r\n"
    b"noon,/a,2\r\n"
    b"2027-01-15T08:00:10Z,/<img src=x onerror=alert(1)>,2\r\n"
    b"2027-01-15T08:00:20Z,/\xff\x00,4\r\n"  # not UTF-8, a NUL
)


def test_sections_rows_are_read_at_once_and_damaged_ones_left_out() -> None:
    found = section_rows(SECTIONS, ["time", "section", "hits"])
    assert sorted(found.itertuples(index=False, name=None)) == [
        (1_800_000_000, "/a", 5),
        (1_800_000_000, '/b,"c"', 7),
        (1_800_000_010, "/<img src=x onerror=alert(1)>", 2),
        (1_800_000_020, "/\ufffd", 4),
    ]
    assert len(section_rows(SECTIONS, ["time", "hits"])) == 0  # not a sections.csv


def test_a_chunk_ends_at_a_newline_and_steps_over_a_line_longer_than_itself(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"ab\ncd\nef")
    assert read_chunk(path, 0) == (b"ab\ncd\n", 6)
    assert read_chunk(path, 0, 4) == (b"ab\n", 3)
    assert read_chunk(path, 3, 2) == (b"", 5)  # no newline in a whole chunk: stepped over
    assert read_chunk(path, 6, 4) == (b"", 6)  # being written: left for later


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
