"""Backtest: exact transitions and reports over historical logs, whatever the order, chunking or workers."""

from __future__ import annotations

import calendar
import csv
import gzip
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule
from analyzer.core.stats import OTHER
from analyzer.offline.backtest import BacktestResult, backtest
from analyzer.offline.timeline import transitions
from analyzer.outputs.rows import ALERT_FIELDS, SECTION_FIELDS, STATS_FIELDS, alert_row
from tests.conftest import arriving_traffic, clf_line, lines_at, run_live, shared_log

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, a multiple of 10
GARBAGE = b"this is not a log line\n"
ELASTIC = "apache_combined_elastic-examples_2015-05-17_2015-05-20.log"
PHPMYADMIN_GZ = "apache_combined_phpmyadmin-bruteforce_2019-02-25_2019-03-20.log.gz"
NGINX = "nginx_combined_timing_dbadmins-ru_2019-08-14.log"


def iso(second: int) -> str:
    return pd.Timestamp(second, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def transition_rows(result: BacktestResult, threshold: str | None = None) -> list[tuple[str, str, str]]:
    """(time, kind, hits) as alerts.csv writes them, for one threshold if given."""
    frame = result.alert_rows
    if threshold is not None:
        frame = frame[frame["threshold"] == threshold]
    return list(zip(frame["time"], frame["kind"], frame["hits"], strict=True))


def no_request(second: int) -> bytes:
    """A line with a time but request `"-"`: a hit with no section."""
    return clf_line(second, status=408, size="-").replace(b'"GET /pages/create HTTP/1.1"', b'"-"')


# --- a small case computed by hand ----------------------------------------------------------

# Hits per second (offset from T0): 3 2 0 0 5 4 1 1 at 0..7, then 6 at 20. W = 4.
HAND_COUNTS = {0: 3, 1: 2, 4: 5, 5: 4, 6: 1, 7: 1, 20: 6}


@pytest.fixture
def hand_log(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    lines = [
        clf_line(T0 + offset, path=f"/s{offset}/x") for offset, n in HAND_COUNTS.items() for _ in range(n)
    ]
    lines.insert(16, GARBAGE)  # after the last line at T0 + 7: filed in that line's report
    path.write_bytes(b"".join(lines))
    return path


def test_hand_computed_transitions_episodes_and_distribution(hand_log: Path, tmp_path: Path) -> None:
    """A small log: transitions, episodes, distribution, suggestion and CSVs all as computed by hand."""
    out = tmp_path / "out"
    result = backtest([hand_log], thresholds=[1, 2], window=4, out=out)
    # Window hits (t-4, t] at t = 0..20: 3 5 5 5 7 9 10 11 6 2 1 0 0 0 0 0 0 0 0 0 6
    # Threshold 1 -> limit 4: on at 1 (5), off at 9 (2), on at 20 (6) until the end.
    # Threshold 2 -> limit 8: on at 5 (9), off at 8 (6).
    assert transition_rows(result, "1") == [
        (iso(T0 + 1), ALERT, "1.25"),
        (iso(T0 + 9), RECOVERED, "0.50"),
        (iso(T0 + 20), ALERT, "1.50"),
    ]
    assert transition_rows(result, "2") == [(iso(T0 + 5), ALERT, "2.25"), (iso(T0 + 8), RECOVERED, "1.50")]
    assert result.transitions["message"].iloc[0] == (
        "High traffic generated an alert - hits = 1.25, triggered at 2026-01-01T00:00:01+00:00"
    )
    # Episodes, span 0..20 = 21 s. Threshold 1: [1, 9) 8 s and [20, 21) 1 s (open at the end).
    assert result.episodes.drop(columns="rule").to_dict("records") == [
        {
            "threshold": 1.0,
            "alerts": 2,
            "seconds_in_alert": 9,
            "longest": 8,
            "short": 2,
            "on_at_end": True,
            "share": 9 / 21,
        },
        {
            "threshold": 2.0,
            "alerts": 1,
            "seconds_in_alert": 3,
            "longest": 3,
            "short": 1,
            "on_at_end": False,
            "share": 3 / 21,
        },
    ]
    # Sorted window hits over the 21 s: 0 x9, 1, 2, 3, 5, 5, 5, 6, 6, 7, 9, 10, 11 (positions 0..20).
    # p50: position 10 -> 2; p90: 18 -> 9; p99: 19.8 -> 10 + 0.8; p99.9: 19.98 -> 10.98; max 11. All / 4.
    assert result.distribution == pytest.approx(
        {"p50": 0.5, "p90": 2.25, "p99": 10.8 / 4, "p99.9": 10.98 / 4, "max": 2.75}, rel=1e-12
    )
    # At most 1 a week over 21 s allows no alert at all: above the maximum, 11 / 4 = 2.75.
    assert result.suggested_threshold == 2.75
    assert (result.lines, result.requests, result.rejected, result.late) == (23, 22, 1, 0)
    assert result.per_second.to_dict() == {
        pd.Timestamp(T0 + s, unit="s", tz="UTC"): n for s, n in HAND_COUNTS.items()
    }
    # Reports of (T - 10, T]: T0 holds its second's 3; T0 + 10 holds 2+5+4+1+1 = 13 requests and
    # the garbage line (after the line at T0 + 7); T0 + 20 holds 6.
    stats = rows(out / "stats.csv")
    assert [(r["time"], r["requests"], r["rejected"], r["late"]) for r in stats] == [
        (iso(T0), "3", "0", "0"),
        (iso(T0 + 10), "13", "1", "0"),
        (iso(T0 + 20), "6", "0", "0"),
    ]
    alerts = rows(out / "alerts.csv")
    assert [(r["time"], r["kind"], r["threshold"]) for r in alerts] == [
        (iso(T0 + 1), ALERT, "1"),
        (iso(T0 + 5), ALERT, "2"),
        (iso(T0 + 8), RECOVERED, "2"),
        (iso(T0 + 9), RECOVERED, "1"),
        (iso(T0 + 20), ALERT, "1"),
    ]
    # With 28,800 alerts a week allowed over 21 s (exactly 1 alert): limit 6 fires once, but the
    # average is above it 4 of the 21 seconds (over 1%): only the maximum, never crossed, is worth it.
    assert backtest([hand_log], [1], 4, max_alerts_per_week=28_800).suggested_threshold == 2.75


# --- against an independent computation on the real logs -------------------------------------

MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}
STAMP = re.compile(rb"^\S+ \S+ \S+ \[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\] ")


def independent_seconds(path: Path) -> tuple[np.ndarray, int]:
    """UTC second of every line with a readable timestamp, by a plain regex, and the line count."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    seconds = []
    for line in lines:
        match = STAMP.match(line)
        if match:
            day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
            local = calendar.timegm(
                (int(year), MONTHS[month.decode()], int(day), int(hour), int(minute), int(second))
            )
            seconds.append(local - (1 if sign == b"+" else -1) * (int(off_h) * 3600 + int(off_m) * 60))
    return np.array(seconds, np.int64), len(lines)


@pytest.mark.parametrize("name", [ELASTIC, PHPMYADMIN_GZ, NGINX])
def test_real_logs_match_an_independent_numpy_computation(name: str, tmp_path: Path) -> None:
    """Transitions, window averages, distribution and counts equal a dense numpy computation."""
    path = shared_log(name)
    seconds, line_count = independent_seconds(path)
    window = 120
    first = int(seconds.min())
    counts = np.bincount(seconds - first)
    sums = np.convolve(counts, np.ones(window, np.int64))[: len(counts)]  # window hits at every second
    result = backtest([path], thresholds=[0.1, 1], window=window, out=tmp_path / "out")

    assert (result.lines, result.requests, result.rejected) == (
        line_count,
        len(seconds),
        line_count - len(seconds),
    )
    stats = pd.read_csv(tmp_path / "out" / "stats.csv")
    assert int((stats["requests"] + stats["rejected"]).sum()) == line_count

    for threshold, limit in (("0.1", 12), ("1", 120)):  # limit = threshold * W, exactly
        on = sums > limit
        changed = np.flatnonzero(on != np.r_[False, on[:-1]])
        expected = [
            (iso(first + int(i)), ALERT if on[i] else RECOVERED, f"{sums[i] / window:.2f}") for i in changed
        ]
        assert transition_rows(result, threshold) == expected
    assert len(transition_rows(result, "0.1")) > 0  # the comparison is not vacuous

    # The averages behind them, exactly: every second the timeline holds, and nothing elsewhere.
    average = result.average
    held = np.asarray(pd.DatetimeIndex(average.index).as_unit("s").asi8) - first
    assert np.array_equal(np.rint(average.to_numpy() * window).astype(np.int64), sums[held])
    left_out = np.ones(len(sums), bool)
    left_out[held] = False
    assert not sums[left_out].any()
    for q in (50, 90, 99, 99.9):
        assert result.distribution[f"p{q:g}"] == pytest.approx(
            np.percentile(sums, q) / window, rel=1e-9, abs=1e-12
        )
    assert result.distribution["max"] == sums.max() / window


def test_any_line_order_across_two_files_gives_the_same_transitions(tmp_path: Path) -> None:
    """The same lines shuffled within and across two files (one gzip) give identical transitions."""
    path = shared_log(ELASTIC)
    lines = path.read_bytes().splitlines(keepends=True)
    order = np.random.default_rng(7).permutation(len(lines))
    shuffled = [lines[i] for i in order]
    first, second = tmp_path / "part1.log", tmp_path / "part2.log"
    first.write_bytes(gzip.compress(b"".join(shuffled[:4000])))
    second.write_bytes(b"".join(shuffled[4000:]))
    thresholds = [0.1, 0.5, 1]
    original = backtest([path], thresholds, 120)
    mixed = backtest([first, second], thresholds, 120)
    assert len(original.transitions) > 50
    pd.testing.assert_frame_equal(mixed.transitions, original.transitions)
    pd.testing.assert_frame_equal(mixed.episodes, original.episodes)
    assert mixed.distribution == original.distribution
    assert (mixed.lines, mixed.requests, mixed.rejected) == (
        original.lines,
        original.requests,
        original.rejected,
    )


def test_tiny_chunks_give_identical_transitions_and_reports(tmp_path: Path) -> None:
    """chunk_bytes 4096 and the default give the same transitions, stats.csv and sections.csv."""
    path = shared_log(NGINX)
    tiny = backtest([path], [0.1, 0.2], 120, out=tmp_path / "tiny", chunk_bytes=4096)
    whole = backtest([path], [0.1, 0.2], 120, out=tmp_path / "whole")
    pd.testing.assert_frame_equal(tiny.transitions, whole.transitions)
    assert len(whole.transitions) > 0
    tiny_stats, whole_stats = (
        pd.read_csv(tmp_path / "tiny" / "stats.csv"),
        pd.read_csv(tmp_path / "whole" / "stats.csv"),
    )
    numeric = ["requests", "rejected", "late", "bytes", "2xx", "3xx", "4xx", "5xx"]
    pd.testing.assert_series_equal(tiny_stats[numeric].sum(), whole_stats[numeric].sum())
    assert int(whole_stats["requests"].sum()) == whole.requests
    pd.testing.assert_frame_equal(
        tiny_stats, whole_stats
    )  # no line is out of order by an hour: every row equal
    tiny_sections = pd.read_csv(tmp_path / "tiny" / "sections.csv")
    whole_sections = pd.read_csv(tmp_path / "whole" / "sections.csv")
    pd.testing.assert_series_equal(
        tiny_sections.groupby("section")["hits"].sum(), whole_sections.groupby("section")["hits"].sum()
    )
    pd.testing.assert_frame_equal(tiny_sections, whole_sections)


def test_two_workers_equal_one(tmp_path: Path) -> None:
    """Parsing in two worker processes gives exactly the result and the CSVs of one."""
    # A gzip (pieces read by the parent) and a plain file (byte ranges read by the workers),
    # over several pieces so the pool is really used.
    paths = [shared_log(PHPMYADMIN_GZ), shared_log(ELASTIC)]
    one = backtest(paths, [0.1, 1], 120, out=tmp_path / "one", workers=1, chunk_bytes=1 << 18)
    two = backtest(paths, [0.1, 1], 120, out=tmp_path / "two", workers=2, chunk_bytes=1 << 18)
    pd.testing.assert_frame_equal(two.transitions, one.transitions)
    pd.testing.assert_frame_equal(two.episodes, one.episodes)
    assert (two.lines, two.requests, two.rejected, two.late) == (
        one.lines,
        one.requests,
        one.rejected,
        one.late,
    )
    for name in ("alerts.csv", "stats.csv", "sections.csv"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


# --- live equals backtest --------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(data=arriving_traffic(), window=st.integers(3, 15), threshold=st.sampled_from([0.5, 1, 2, 3]))
def test_live_engine_under_any_ticks_equals_backtest(
    tmp_path_factory: pytest.TempPathFactory,
    data: tuple[list[int], list[float], list[float]],
    window: int,
    threshold: float,
) -> None:
    """The live engine, fed in any split of ticks under a fake clock, reports backtest's transitions."""
    seconds, arrivals, gaps = data
    rule = AlertRule(threshold, window)
    live, engine = run_live(seconds, arrivals, gaps, rule)
    last = max(seconds)
    assert engine.totals["late"] == 0
    path = tmp_path_factory.mktemp("live") / "access.log"
    path.write_bytes(lines_at(seconds))
    result = backtest([path], [threshold], window)
    live_in_horizon = [t for t in live if t.second <= last]  # backtest's horizon: the last event second
    assert [tuple(alert_row(t)) for t in live_in_horizon] == list(
        result.alert_rows.itertuples(index=False, name=None)
    )
    exact, _ = transitions(result.timeline, rule)
    assert [(t.second, t.kind, t.hits) for t in live_in_horizon] == [
        (t.second, t.kind, t.hits) for t in exact
    ]


# --- conservation and the output files -------------------------------------------------------


def messy_log(seed: int, sections: int = 40) -> tuple[list[bytes], list[tuple[str, int, str | None]]]:
    """Lines (good, no-request, garbage runs, one very long garbage line) and what each one is."""
    rng = np.random.default_rng(seed)
    lines: list[bytes] = []
    kinds: list[tuple[str, int, str | None]] = []  # (kind, second, section)

    def garbage(line: bytes = GARBAGE) -> None:
        lines.append(line)
        kinds.append(("garbage", 0, None))

    garbage()
    garbage()  # before any good line
    for i in range(300):
        second = T0 + i // 3 + int(rng.integers(-4, 5))  # about 3 req/s, a little out of order
        roll = rng.random()
        if roll < 0.1:
            for _ in range(int(rng.integers(1, 4))):
                garbage()
        if i == 150:
            garbage(b"x" * 3000 + b"\n")  # longer than a chunk
        if roll > 0.93:
            lines.append(no_request(second))
            kinds.append(("dash", second, None))
        else:
            section = f"/r{int(rng.integers(0, sections))}"
            lines.append(clf_line(second, path=f"{section}/page"))
            kinds.append(("good", second, section))
    garbage()  # after the last good line
    return lines, kinds


def expected_by_report(kinds: list[tuple[str, int, str | None]]) -> dict[str, dict[str, object]]:
    """Per report time: requests, rejected (to the good line before, else the first good line), sections."""
    reports: dict[str, dict[str, object]] = {}
    last, leading = None, 0
    for kind, second, section in kinds:
        if kind == "garbage":
            if last is None:
                leading += 1
            else:
                reports[last]["rejected"] += 1  # type: ignore[operator]
            continue
        time = iso(-(-second // 10) * 10)  # the report of (T - 10, T]
        report = reports.setdefault(
            time, {"requests": 0, "rejected": 0, "no_section": 0, "sections": Counter()}
        )
        report["requests"] += 1  # type: ignore[operator]
        if section is None:
            report["no_section"] += 1  # type: ignore[operator]
        else:
            report["sections"][section] += 1  # type: ignore[index]
        if last is None:
            report["rejected"] += leading  # type: ignore[operator]
        last = time
    return reports


@pytest.mark.parametrize("chunk_bytes", [1024, 1 << 20])
def test_every_line_is_counted_once_in_stats_and_sections_stay_bounded(
    tmp_path: Path, chunk_bytes: int
) -> None:
    """stats.csv counts every line once (garbage too, at chunk edges too); sections.csv keeps K + (other)."""
    lines, kinds = messy_log(seed=3)
    path = tmp_path / "access.log"
    path.write_bytes(b"".join(lines))
    limit = 3
    result = backtest([path], [1, 2], 20, out=tmp_path / "out", chunk_bytes=chunk_bytes, section_limit=limit)
    stats = rows(tmp_path / "out" / "stats.csv")
    assert sum(int(r["requests"]) + int(r["rejected"]) for r in stats) == len(lines) == result.lines
    assert sum(int(r["rejected"]) for r in stats) == sum(k[0] == "garbage" for k in kinds) == result.rejected
    expected = expected_by_report(kinds)
    assert [r["time"] for r in stats] == sorted(expected)
    for r in stats:
        assert (int(r["requests"]), int(r["rejected"])) == (
            expected[r["time"]]["requests"],
            expected[r["time"]]["rejected"],
        )
    sections = rows(tmp_path / "out" / "sections.csv")
    for time, report in expected.items():
        mine = [(r["section"], int(r["hits"])) for r in sections if r["time"] == time]
        assert len(mine) <= limit + 1
        assert sum(hits for _, hits in mine) == report["requests"] - report["no_section"]  # type: ignore[operator]
        ranked = sorted(report["sections"].items(), key=lambda item: (-item[1], item[0]))  # type: ignore[attr-defined]
        top = ranked[:limit] + (
            [(OTHER, sum(hits for _, hits in ranked[limit:]))] if len(ranked) > limit else []
        )
        assert mine == top


def test_alerts_csv_has_one_row_per_transition_per_threshold(hand_log: Path, tmp_path: Path) -> None:
    """alerts.csv holds every transition of every threshold once, oldest first, under one header."""
    out = tmp_path / "out"
    result = backtest([hand_log], [1, 2, 1.5], 4, out=out)
    text = (out / "alerts.csv").read_text()
    assert text.splitlines()[0] == ",".join(ALERT_FIELDS) and text.count("time,kind") == 1
    written = rows(out / "alerts.csv")
    assert len(written) == len(result.transitions) == 3 + 2 + 2  # threshold 1.5 (limit 6): on at 4, off at 8
    frame = result.alert_rows.astype(str)
    assert [tuple(r.values()) for r in written] == list(frame.itertuples(index=False, name=None))
    assert [r["time"] for r in written] == sorted(r["time"] for r in written)
    # the library's frame: the same transitions in the same (time) order, typed
    typed = result.transitions
    assert typed["time"].dt.tz is not None and typed["time"].is_monotonic_increasing
    assert typed["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist() == [r["time"] for r in written]
    assert typed["threshold"].tolist() == [float(r["threshold"]) for r in written]
    assert list(typed["message"]) == [r["message"] for r in written]


def test_reports_are_indexed_by_utc_report_time_as_in_stats_csv(hand_log: Path, tmp_path: Path) -> None:
    result = backtest([hand_log], [1], 4, out=tmp_path / "out")
    index = result.reports.index
    assert isinstance(index, pd.DatetimeIndex) and str(index.tz) == "UTC" and index.is_monotonic_increasing
    written = rows(tmp_path / "out" / "stats.csv")
    assert index.strftime("%Y-%m-%dT%H:%M:%SZ").tolist() == [r["time"] for r in written]
    assert result.reports["requests"].tolist() == [int(r["requests"]) for r in written]
    assert result.per_second.index.tz is not None  # one kind of time throughout


def test_csvs_are_appended_to_never_rewritten(hand_log: Path, tmp_path: Path) -> None:
    """A second run into the same directory appends its rows after the first run's, header once."""
    out = tmp_path / "out"
    backtest([hand_log], [1, 2], 4, out=out)
    first = {name: (out / name).read_text() for name in ("alerts.csv", "stats.csv", "sections.csv")}
    backtest([hand_log], [1, 2], 4, out=out)
    headers = {"alerts.csv": ALERT_FIELDS, "stats.csv": STATS_FIELDS, "sections.csv": SECTION_FIELDS}
    for name, before in first.items():
        after = (out / name).read_text()
        header, *body = before.splitlines(keepends=True)
        assert header.strip() == ",".join(headers[name])
        assert body, name
        assert after == before + "".join(body)


def test_progress_reaches_every_byte_of_every_input(hand_log: Path, tmp_path: Path) -> None:
    """Progress counts lines and bytes on disk over all inputs, compressed ones included, to the total."""
    packed = tmp_path / "older.log.gz"
    packed.write_bytes(gzip.compress(lines_at(range(T0 - 500, T0 - 400))))
    calls: list[tuple[int, int, int]] = []
    result = backtest(
        [packed, hand_log],
        [1],
        4,
        chunk_bytes=2048,
        progress=lambda lines, done, total, _: calls.append((lines, done, total)),
    )
    total = packed.stat().st_size + hand_log.stat().st_size
    assert len(calls) > 2
    assert [c[0] for c in calls] == sorted(c[0] for c in calls) and [c[1] for c in calls] == sorted(
        c[1] for c in calls
    )
    assert calls[-1] == (result.lines, total, total)
    assert result.lines == 100 + 23


def test_a_stopped_backtest_leaves_the_reports_it_had_closed_in_the_csvs(tmp_path: Path) -> None:
    """Reports are held and written in batches; Ctrl-C (here raised from the progress hook)
    still writes the ones closed so far."""
    log = tmp_path / "access.log"
    log.write_bytes(lines_at(range(T0, T0 + 4 * 3600, 4)))  # 4 h: reports close an hour behind

    def stop_late(lines: int, done: int, total: int, _: float) -> None:
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backtest([log], [1], 4, out=tmp_path / "out", chunk_bytes=4096, progress=stop_late)
    with open(tmp_path / "out" / "stats.csv", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert 0 < len(written) < 4 * 360 and sum(int(row["requests"]) for row in written) >= 500


def test_an_input_with_no_good_line_gives_an_empty_result(tmp_path: Path) -> None:
    """Blank lines only: counted as rejected, no transitions, no crash."""
    path = tmp_path / "blank.log"
    path.write_bytes(b"\n\n\n")
    result = backtest([path], [1], 10, out=tmp_path / "out")
    assert (result.lines, result.requests, result.rejected) == (3, 0, 3)
    assert result.transitions.empty and result.timeline.span == 0
    assert rows(tmp_path / "out" / "alerts.csv") == []


@pytest.mark.parametrize("packed", [False, True])
def test_an_endless_line_is_dropped_as_read_and_counted_rejected(tmp_path: Path, packed: bool) -> None:
    """A 3 MB line between good ones is one rejected line; its neighbours count; nothing is lost."""
    data = clf_line(T0) + b"x" * (3 << 20) + b"\n" + clf_line(T0 + 1) + b"y" * (1 << 20)
    path = tmp_path / ("access.log.gz" if packed else "access.log")
    path.write_bytes(gzip.compress(data) if packed else data)
    result = backtest([path], [100], 10, out=tmp_path / "out", chunk_bytes=1 << 16)
    assert (result.lines, result.requests, result.rejected) == (4, 2, 2)
    stats = pd.read_csv(tmp_path / "out" / "stats.csv")
    assert int((stats["requests"] + stats["rejected"]).sum()) == 4


def test_an_unknown_engine_is_a_value_error(hand_log: Path) -> None:
    with pytest.raises(ValueError, match="engine must be one of local, dask, not 'spark'"):
        backtest([hand_log], [1], engine="spark")
