"""Backoff and give-up, on clocks the test moves."""

from __future__ import annotations

from analyzer.deliver.retry import GIVE_UP_AGE, Retry, age_text


def test_waits_double_up_to_five_minutes() -> None:
    retry = Retry()
    waits = []
    for _ in range(12):
        retry.failed("connection refused", 1000.0, 0.0, 0.0)
        waits.append(retry.next_at - 1000.0)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert not retry.due(1299.0) and retry.due(1300.0)


def test_gives_up_once_the_transition_is_a_day_old_on_the_wall_clock() -> None:
    retry = Retry()
    added = 5_000.0
    assert retry.failed("HTTP 500", 0.0, added + GIVE_UP_AGE - 1, added) == (False, True)
    assert retry.failed("HTTP 500", 0.0, added + GIVE_UP_AGE, added) == (True, True)


def test_a_person_is_told_on_the_1st_2nd_4th_8th_failure_and_when_the_reason_changes() -> None:
    retry = Retry()
    said = [retry.failed(reason, 0.0, 0.0, 0.0)[1] for reason in ["a"] * 9 + ["b", "b"]]
    assert [n + 1 for n, say in enumerate(said) if say] == [1, 2, 4, 8, 10]


def test_a_delivery_starts_the_next_afresh() -> None:
    retry = Retry()
    retry.failed("x", 50.0, 0.0, 0.0)
    retry.reset()
    assert retry.failures == 0 and retry.due(0.0)


def test_ages_read_as_people_write_them() -> None:
    assert [age_text(s) for s in (86_400, 5400, 90, 45, 0.5)] == ["24h", "90m", "90s", "45s", "0.5s"]
