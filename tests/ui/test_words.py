"""Counts, times and rates said one way: singular for one, the date where the day differs."""

from __future__ import annotations

from analyzer.ui.words import Stamp, age, clock, finished_text, plural, rate_text, stale_text
from tests.ui.conftest import T0

DAY = 86_400


def test_one_is_singular_and_counts_have_separators() -> None:
    assert [plural(n, "request") for n in (0, 1, 2, 1234)] == [
        "0 requests",
        "1 request",
        "2 requests",
        "1,234 requests",
    ]
    assert plural(1, "reply", "replies") == "1 reply" and plural(3, "reply", "replies") == "3 replies"


def test_rates_clocks_and_ages() -> None:
    assert rate_text(1234.5) == "1,234.50" and rate_text(0) == "0.00"
    assert clock(T0) == "08:00:00" and clock(T0, date=True) == "2027-01-15 08:00:00"
    assert [age(s) for s in (45, 720, 5 * 3600, 3 * DAY)] == ["45 s", "12 min", "5 hours", "3 days"]


def test_a_time_has_its_date_only_off_the_screens_day_or_in_a_replay() -> None:
    live = Stamp(T0 + 3600)
    assert live(T0) == "08:00:00"  # the same day: the time is enough
    assert live(T0 - 9 * 3600) == "2027-01-14 23:00:00"  # yesterday
    assert Stamp(T0, dated=True)(T0) == "2027-01-15 08:00:00"  # a replay: always dated


def test_a_stale_log_and_the_end_of_a_replay_are_said_whole() -> None:
    assert stale_text(T0, T0 - 100, 120) is None and stale_text(T0, None, 120) is None
    assert stale_text(T0, T0 - 9 * DAY, 120) == (
        "newest line 9 days old: nothing in the window; replay or backtest look at the past"
    )
    assert finished_text(T0 + 5) == "replay finished at 2027-01-15 08:00:05 UTC"
