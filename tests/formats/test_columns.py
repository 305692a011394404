"""The frame builder shared by every format: integers, numbers, times, encoded text, column order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.formats.columns import (
    COLUMNS,
    FEW_TIMES,
    LAST_SECOND,
    NO_TIME,
    build_frame,
    epoch_seconds,
    integers,
    numbers,
    request_parts,
    seconds_of,
    target_path,
    usable_time,
)
from analyzer.formats.encoded import Encoded, encode

CLF = "%d/%b/%Y:%H:%M:%S %z"
ISO = "%Y-%m-%dT%H:%M:%S%z"
W3C = "%Y-%m-%d %H:%M:%S"


def strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.large_string())


# --- integers --------------------------------------------------------------------------------


def test_integers_read_digits_and_zero_everything_else() -> None:
    """Digits become integers; `-`, null, empty, non-digits and 19+ digit numbers become 0."""
    values = strings(["200", "0", "-", None, "", "12a", " 7", "+5", "-3", "1" * 18, "1" * 19, "9" * 40])
    found = integers(values, np.int64)
    assert found.dtype == np.int64
    assert found.tolist() == [200, 0, 0, 0, 0, 0, 0, 0, 0, int("1" * 18), 0, 0]


def test_integers_digits_only_skip_the_regex_with_the_same_results() -> None:
    """With digits_only (the pattern allowed only digits or `-`), `-`, null and 19+ digits still give 0."""
    values = strings(["404", "-", None, "000123", "1" * 18, "1" * 19])
    found = integers(values, np.int64, digits_only=True)
    assert found.tolist() == [404, 0, 0, 123, int("1" * 18), 0]
    assert found.tolist() == integers(values, np.int64).tolist()


@pytest.mark.parametrize("digits_only", [False, True])
def test_integers_too_big_for_the_dtype_become_zero(digits_only: bool) -> None:
    """A number that does not fit the dtype (a W3C sc-status of 99999 in int16) is 0, never wrapped."""
    found = integers(strings(["32767", "32768", "99999", "200"]), np.int16, digits_only)
    assert found.dtype == np.int16
    assert found.tolist() == [32767, 0, 0, 200]


# --- numbers ---------------------------------------------------------------------------------


def test_numbers_scale_and_unreadable_is_nan() -> None:
    """Decimals are scaled (ms to s); `-`, null, empty, signs, exponents and junk are NaN."""
    values = strings(
        ["698", "0", "0.5", "12.250", "-", None, "", "-1", "1e3", "1.2.3", ".5", "abc", "1" * 13]
    )
    found = numbers(values, scale=0.001)
    assert found.dtype == np.float64
    readable = found[:4].tolist()
    assert readable == pytest.approx([0.698, 0.0, 0.0005, 0.01225])
    assert np.isnan(found[4:]).all()


def test_numbers_default_scale_and_microseconds() -> None:
    """Without a scale numbers are read as they are; 1e-6 turns microseconds into seconds."""
    assert numbers(strings(["0.123", "3"])).tolist() == pytest.approx([0.123, 3.0])
    assert numbers(strings(["1500", "2000000"]), 1e-6).tolist() == pytest.approx([0.0015, 2.0])


# --- times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "time_format", "utc"),
    [
        ("10/Oct/2000:13:55:36 -0700", CLF, "2000-10-10T20:55:36Z"),
        ("10/Oct/2000:13:55:36 +0530", CLF, "2000-10-10T08:25:36Z"),
        ("10/Oct/2000:13:55:36 +0000", CLF, "2000-10-10T13:55:36Z"),
        ("31/Dec/1999:23:30:00 -0930", CLF, "2000-01-01T09:00:00Z"),
        ("2019-08-14T04:12:10+03:00", ISO, "2019-08-14T01:12:10Z"),
        ("2019-08-14T04:12:10-0200", ISO, "2019-08-14T06:12:10Z"),
        ("2015-10-17 16:27:13", W3C, "2015-10-17T16:27:13Z"),
        ("2016-02-29 00:00:00", W3C, "2016-02-29T00:00:00Z"),
    ],
)
def test_epoch_seconds_apply_the_offset_of_each_format(stamp: str, time_format: str, utc: str) -> None:
    """Each format's time is read with its own offset (none: UTC) and given as UTC epoch seconds."""
    assert epoch_seconds(strings([stamp]), time_format).tolist() == [pd.Timestamp(utc).value // 10**9]


def test_epoch_seconds_across_a_dst_change_in_one_file() -> None:
    """One batch in -0700 then -0800 (US DST end): the repeated local 01:30 is two UTC times an hour apart."""
    stamps = [
        "03/Nov/2019:00:59:59 -0700",
        "03/Nov/2019:01:30:00 -0700",
        "03/Nov/2019:01:30:00 -0800",
        "03/Nov/2019:01:30:00 -0700",  # a repeated value: parsed once, taken back by its code
        "03/Nov/2019:02:00:00 -0800",
    ]
    found = epoch_seconds(strings(stamps), CLF)
    base = pd.Timestamp("2019-11-03T07:59:59Z").value // 10**9
    assert (found - base).tolist() == [0, 1801, 5401, 1801, 7201]


def test_epoch_seconds_unreadable_and_null_are_no_time() -> None:
    """A time that does not parse (minute 99, 31 February, offset +9999, junk) or is null is NO_TIME."""
    stamps = [
        "10/Oct/2000:13:99:36 -0700",
        "31/Feb/2000:13:55:36 -0700",
        "10/Oct/2000:13:55:36 +9999",
        "yesterday",
        "",
        None,
    ]
    assert epoch_seconds(strings(stamps), CLF).tolist() == [NO_TIME] * len(stamps)
    assert epoch_seconds(strings([]), CLF).tolist() == []


def test_usable_time_bounds() -> None:
    """Times from 1970-01-01 to 9999-12-31T23:59:59Z are usable; before, after or unreadable are not."""
    seconds = np.array([NO_TIME, -1, 0, 1_700_000_000, LAST_SECOND, LAST_SECOND + 1], np.int64)
    assert usable_time(seconds).tolist() == [False, False, True, True, True, False]
    stamps = strings(
        [
            "01/Jan/1970:00:00:00 +0000",
            "01/Jan/1970:00:00:00 +0100",  # 1969 in UTC
            "31/Dec/9999:23:59:59 +0000",
            "31/Dec/9999:23:59:59 -0100",  # year 10000 in UTC
            "01/Jan/10000:00:00:00 +0000",
        ]
    )
    assert usable_time(epoch_seconds(stamps, CLF)).tolist() == [True, False, True, False, False]


# --- encoded text ----------------------------------------------------------------------------


def test_request_parts_and_target_path() -> None:
    """A request line gives method, path (query and fragment cut) and protocol; garbage gives missing."""
    request = encode(strings(["GET /a/b?x=1 HTTP/1.1", "\\x16\\x03", "GET /path", "PRI * HTTP/2.0"]))
    parts = request_parts(request)

    def decoded(column: Encoded) -> list[str | None]:
        values = column.values.to_pylist()
        return [values[code] if code >= 0 else None for code in column.codes]

    assert decoded(parts["method"]) == ["GET", None, "GET", "PRI"]
    assert decoded(parts["path"]) == ["/a/b", None, "/path", "*"]
    assert decoded(parts["protocol"]) == ["HTTP/1.1", None, None, "HTTP/2.0"]
    assert decoded(target_path(encode(strings(["/x/y?q#f", "/z#frag", "-"]), ("-",)))) == ["/x/y", "/z", None]


# --- the frame -------------------------------------------------------------------------------


def test_build_frame_keeps_rows_orders_columns_and_puts_extras_last() -> None:
    """build_frame keeps the `keep` rows, standard columns in COLUMNS order, then extras by name."""
    seconds = np.array([1_000, NO_TIME, 2_000], np.int64)
    keep = np.array([True, False, True])
    text = {
        "x_zone": encode(strings(["z1", "z2", "-"]), ("-",)),
        "path": encode(strings(["/a/b", "/c/d", "/e"])),
        "x_alpha": encode(strings(["p", "q", "r"])),
        "host": encode(strings(["h1", "h2", "h3"])),
    }
    whole = {
        "duration": np.array([0.5, 1.0, np.nan]),
        "bytes": np.array([1, 2, 3], np.int64),
        "status": np.array([200, 404, 500], np.int16),
    }
    frame = build_frame(seconds, keep, text, whole)
    standard = ["time", "host", "path", "section", "status", "bytes", "duration"]
    assert list(frame.columns) == [*standard, "x_alpha", "x_zone"]
    assert [name for name in frame.columns if name in COLUMNS] == [n for n in COLUMNS if n in frame]
    assert seconds_of(frame).tolist() == [1_000, 2_000]
    assert str(frame["time"].dt.tz) == "UTC"
    assert frame["section"].tolist() == ["/a", "/e"]
    assert frame["x_zone"].tolist()[0] == "z1" and pd.isna(frame["x_zone"].iloc[1])
    assert isinstance(frame["host"].dtype, pd.CategoricalDtype)
    assert frame["status"].dtype == np.int16 and frame["bytes"].dtype == np.int64
    assert frame["duration"].iloc[0] == 0.5 and np.isnan(frame["duration"].iloc[1])


def test_build_frame_with_no_rows() -> None:
    """No rows kept: an empty frame that still has every column asked for."""
    frame = build_frame(
        np.zeros(0, np.int64),
        np.zeros(0, bool),
        {"path": encode(strings([]))},
        {"status": np.zeros(0, np.int16), "bytes": np.zeros(0, np.int64)},
    )
    assert frame.empty
    assert list(frame.columns) == ["time", "path", "section", "status", "bytes"]


STAMP_FORMATS = ["%d/%b/%Y:%H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S"]


def _pandas_seconds(texts: list[str], time_format: str) -> list[int]:
    parsed = pd.to_datetime(pd.Series(texts, dtype=object), format=time_format, utc=True, errors="coerce")
    return [NO_TIME if pd.isna(value) else int(value.timestamp()) for value in parsed]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(STAMP_FORMATS),
    st.lists(
        st.one_of(
            st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(str),
            st.text(alphabet="0123456789:/-+ TZJanFebDec", max_size=28),
        ),
        min_size=1,
        max_size=6,
    ),
    st.data(),
)
def test_a_few_times_read_by_strptime_are_what_pandas_reads(
    fmt: str, seeds: list[str], data: st.DataObject
) -> None:
    """Live batches hold one or two distinct times, read without pandas: always pandas's answer."""
    stamps = []
    for seed in seeds:  # real stamps of the format, then mutated, and raw garbage
        when = data.draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
        good = when.strftime(fmt.replace("%z", "+0000")) if "%z" in fmt else when.strftime(fmt)
        stamps.append(
            data.draw(st.sampled_from([good, good.replace("0", seed[:1] or "0", 1), seed, good + seed[:2]]))
        )
    many = stamps * (FEW_TIMES // len(stamps) + 1) + [
        f"x{i}" for i in range(FEW_TIMES)
    ]  # past FEW_TIMES: pandas
    assert epoch_seconds(pa.array(stamps), fmt).tolist() == _pandas_seconds(stamps, fmt)
    assert epoch_seconds(pa.array(many), fmt).tolist() == _pandas_seconds(many, fmt)
