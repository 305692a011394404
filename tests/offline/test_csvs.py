"""Backtest reports written with the live monitor's columns: one row per 10 s bucket, appended."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.core.stats import STATUS_CLASSES
from analyzer.core.text import escaped
from analyzer.formats.clf import parse
from analyzer.formats.w3c import W3cParser
from analyzer.offline import csvs
from analyzer.offline.buckets import BucketMerger, Closed, chunk_buckets
from analyzer.offline.csvs import ClosedWriter, fixed, write_closed
from analyzer.offline.reports import Ranked
from analyzer.outputs.rows import SECTION_FIELDS, STATS_FIELDS
from tests.conftest import clf_line

T0 = 1_764_299_400  # 2025-11-28T03:10:00Z, a bucket start


def closed_reports() -> Closed:
    lines = [
        clf_line(T0 + 1, "/a/x"),
        clf_line(T0 + 2, "/a/y", status=503),
        b"junk\n",
        clf_line(T0 + 12, "/b/z"),
    ]
    merger = BucketMerger()
    assert merger.add(chunk_buckets(parse(b"".join(lines)))) is None  # held: the input may still reach them
    closed = merger.finish()
    assert closed is not None
    return closed


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_bucket_is_a_stats_row_and_its_sections_follow(tmp_path: Path) -> None:
    write_closed(tmp_path, closed_reports())
    stats = read(tmp_path / "stats.csv")
    assert list(stats[0]) == list(STATS_FIELDS)
    assert [(r["time"], r["requests"], r["rejected"], r["5xx"]) for r in stats] == [
        ("2025-11-28T03:10:10Z", "2", "1", "1"),  # the junk line goes with the good line before it
        ("2025-11-28T03:10:20Z", "1", "0", "0"),
    ]
    assert {r["window_requests"] + r["alert_on"] + r["overruns"] for r in stats} == {""}  # live-only columns
    sections = read(tmp_path / "sections.csv")
    assert list(sections[0]) == list(SECTION_FIELDS)
    assert [(r["time"], r["section"], r["hits"]) for r in sections] == [
        ("2025-11-28T03:10:10Z", "/a", "2"),
        ("2025-11-28T03:10:20Z", "/b", "1"),
    ]


def test_a_second_write_appends_rows_under_the_one_header(tmp_path: Path) -> None:
    write_closed(tmp_path, closed_reports())
    write_closed(tmp_path, closed_reports())
    text = (tmp_path / "stats.csv").read_text()
    assert text.count("time,requests") == 1
    assert len(read(tmp_path / "stats.csv")) == 4


def test_a_log_without_sizes_leaves_its_size_cells_empty(tmp_path: Path) -> None:
    no_bytes = b"#Fields: date time cs-method cs-uri-stem sc-status\n2025-11-28 03:10:01 GET /a/x 200\n"
    merger = BucketMerger()
    merger.add(chunk_buckets(W3cParser().parse(no_bytes)))
    merger.add(chunk_buckets(parse(clf_line(T0 + 12, "/b/z"))))  # the next bucket has sizes
    closed = merger.finish()
    assert closed is not None
    write_closed(tmp_path, closed)
    first, second = read(tmp_path / "stats.csv")
    assert (first["requests"], first["bytes"], first["size_p50"], first["size_p99"]) == ("1", "", "", "")
    assert second["bytes"] != "" and second["size_p50"] != ""


def test_reports_held_and_written_in_one_batch_are_the_rows_written_one_by_one(tmp_path: Path) -> None:
    """ClosedWriter holds reports until FLUSH_ROWS rows, then writes them in one go: the same
    bytes as one write_closed a report; nothing held is left unwritten by flush()."""
    one_by_one, batched = tmp_path / "one", tmp_path / "batched"
    reports = [closed_reports() for _ in range(3)]
    for closed in reports:
        write_closed(one_by_one, closed)
    writer = ClosedWriter(batched)
    for closed in reports:
        writer.add(closed)
    assert not (batched / "stats.csv").exists()  # held: fewer rows than FLUSH_ROWS
    writer.flush()
    writer.flush()  # nothing held: nothing more written
    for name in ("stats.csv", "sections.csv"):
        assert (batched / name).read_bytes() == (one_by_one / name).read_bytes(), name


def test_the_writer_writes_when_it_holds_enough_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvs, "FLUSH_ROWS", 5)
    writer = ClosedWriter(tmp_path)
    writer.add(closed_reports())  # 2 stats rows + 2 section rows
    assert not (tmp_path / "stats.csv").exists()
    writer.add(closed_reports())
    assert len(read(tmp_path / "stats.csv")) == 4 and writer.held == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.text(st.sampled_from(["a", "/", ",", '"', "\r", "\n", " ", "é", "-"]), max_size=6) | st.none(),
            st.integers(1, 10**12),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_sections_rows_are_the_bytes_pandas_to_csv_writes(tmp_path: Path, rows: list) -> None:
    """Hostile section names (commas, quotes, line breaks) and missing ones, written twice
    (header once): byte for byte what DataFrame.to_csv writes of the names escaped as on screen."""
    names = sorted({name for _, name, _ in rows}, key=lambda name: (name is None, name or ""))
    sections = Ranked(
        np.array([T0 + 10 * bucket for bucket, _, _ in rows], np.int64),
        np.array([names.index(name) for _, name, _ in rows], np.int64),
        np.array([hits for _, _, hits in rows], np.int64),
        np.array(names, object),
    )
    ours = tmp_path / "ours.csv"
    ours.unlink(missing_ok=True)
    for _ in range(2):
        csvs.append_sections(ours, sections)
    frame = sections.frame()
    stamps = pd.to_datetime(frame["bucket"], unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = frame["section"].map(escaped, na_action="ignore")  # control characters escaped
    rows_text = (
        frame.assign(time=stamps, section=shown)
        .loc[:, list(SECTION_FIELDS)]
        .to_csv(None, header=False, index=False, lineterminator="\r\n")
    )
    assert ours.read_bytes() == (",".join(SECTION_FIELDS) + "\r\n" + rows_text * 2).encode()
    assert all(b"\r" not in row and b"\n" not in row for row in ours.read_bytes().split(b"\r\n"))


def test_a_hostile_top_section_is_written_escaped(tmp_path: Path) -> None:
    """A path that would retitle the terminal of whoever runs `cat stats.csv`: escaped there too."""
    lines = [clf_line(T0 + 1, "/\x1b]0;pwned\x07/x"), clf_line(T0 + 2, "/\x1b]0;pwned\x07/y")]
    merger = BucketMerger()
    merger.add(chunk_buckets(parse(b"".join(lines))))
    closed = merger.finish()
    assert closed is not None
    write_closed(tmp_path, closed)
    (row,) = read(tmp_path / "stats.csv")
    assert row["top_section"] == "/\\x1b]0;pwned\\x07"
    assert "\x1b" not in (tmp_path / "stats.csv").read_text() + (tmp_path / "sections.csv").read_text()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=True, allow_infinity=True)
        | st.integers(0, 10**7).map(lambda n: n / 10)  # a rate: requests / 10
        | st.integers(0, 10**6).map(lambda n: (n + 0.5) / 10**4)  # near a half of the last decimal
        | st.tuples(st.integers(0, 10**4), st.integers(1, 10**4)).map(lambda ab: ab[0] / ab[1]),
        max_size=30,
    ),
    st.sampled_from([3, 4]),
)
def test_fixed_writes_what_python_formatting_writes(values: list[float], decimals: int) -> None:
    """Rounded half to even on the exact binary value, -0.0, nan and inf included: f"{v:.3f}"."""
    found = fixed(np.array(values, np.float64), decimals).to_pylist()
    assert found == [f"{value:.{decimals}f}" for value in values]


def pandas_stats(closed: Closed, window_requests: np.ndarray | None, window_seconds: int) -> str:
    """stats.csv's rows as the writer wrote them with pandas (to_csv, numpy % formatting)."""
    totals = closed.totals
    requests = totals["requests"].to_numpy()
    unsized = (requests > 0) & totals["size_p50"].isna().to_numpy()
    first = closed.sections.frame().drop_duplicates("bucket").set_index("bucket")["section"]

    def fixed_text(values: np.ndarray, decimals: int) -> np.ndarray:
        return np.char.mod(f"%.{decimals}f", np.asarray(values, np.float64))

    def latency(p: int) -> np.ndarray:
        values = totals[f"latency_p{p}"].to_numpy(np.float64)
        return np.where(np.isnan(values), "", fixed_text(np.nan_to_num(values), 4))

    sizes = {
        f"size_p{p}": np.where(
            unsized, "", totals[f"size_p{p}"].fillna(0).round().astype(np.int64).to_numpy().astype(str)
        )
        for p in (50, 90, 99)
    }
    stats = pd.DataFrame(
        {
            "time": pd.to_datetime(totals.index.to_numpy(), unit="s", utc=True).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "requests": requests,
            "rejected": totals["rejected"].to_numpy(),
            "late": totals["late"].to_numpy(),
            "warm": 0,
            "rate": fixed_text(requests / 10, 3),
            "bytes": np.where(unsized, "", totals["bytes"].to_numpy().astype(str)),
            **sizes,
            **{name: totals[name].to_numpy() for name in STATUS_CLASSES},
            "error_rate": fixed_text(np.divide(totals["5xx"].to_numpy(), np.maximum(requests, 1)), 4),
            "window_requests": "" if window_requests is None else window_requests,
            "window_rate": "" if window_requests is None else fixed_text(window_requests / window_seconds, 3),
            "top_section": first.map(escaped).reindex(totals.index).fillna("").to_numpy(),
            "alert_on": "",
            "directives": totals["directives"].to_numpy(),
            **{f"latency_p{p}": latency(p) for p in (50, 90, 99)},
            "overruns": "",
        }
    )
    return stats.loc[:, list(STATS_FIELDS)].to_csv(None, header=False, index=False, lineterminator="\r\n")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40),  # second
            st.sampled_from(["/a/x", "/b,c/y", '/q"/z', "/\x1b]0;t\x07/w", "/"]),
            st.sampled_from([200, 404, 503]),
            st.sampled_from(["-", 0, 1, 999, 10**6]),
            st.sampled_from(["", " rt=0.125", " rt=2.5"]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
)
def test_stats_rows_are_the_bytes_pandas_wrote(tmp_path: Path, lines: list, windowed: bool) -> None:
    """Sizes, request times, hostile top sections, rates and the window columns: the Arrow rows
    are byte for byte those of the pandas writer they replace."""
    data = b"".join(
        clf_line(T0 + second, path, status=status, size=size).replace(b"\n", f"{rest}\n".encode())
        for second, path, status, size, rest in lines
    )
    merger = BucketMerger()
    merger.add(chunk_buckets(parse(data, "combined")))
    closed = merger.finish()
    assert closed is not None
    window = np.arange(len(closed.totals)) * 7 if windowed else None
    out = tmp_path / str(len(list(tmp_path.iterdir())))
    write_closed(out, closed, window, 120)
    expected = ",".join(STATS_FIELDS) + "\r\n" + pandas_stats(closed, window, 120)
    assert (out / "stats.csv").read_bytes() == expected.encode()
