"""The traffic generator: burst syntax, rates, the lines it writes and its real-time pacing."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from analyzer.formats.clf import parse, seconds_of
from analyzer.formats.parsers import detect_format
from analyzer.generate import ORDINARY, Burst, Mix, generate, lines_for_second, rate_at

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


class FakeClock:
    """Time that moves only when slept; records what the file held at each sleep."""

    def __init__(self, start: float, path: Path) -> None:
        self.time = start
        self.path = path
        self.slept = 0.0
        self.snapshots: list[tuple[float, bytes]] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.snapshots.append((self.time, self.path.read_bytes()))
        self.time += seconds
        self.slept += seconds


def test_burst_parse_accepts_start_duration_rate() -> None:
    """`START:DURATION:RATE` parses into a Burst, decimals included."""
    assert Burst.parse("30:60:25") == Burst(30.0, 60.0, 25.0)
    assert Burst.parse("0:0.5:0") == Burst(0.0, 0.5, 0.0)
    assert Burst.parse("1.5:2:100.25") == Burst(1.5, 2.0, 100.25)


@pytest.mark.parametrize(
    "text",
    ["", "30:60", "30:60:25:1", "a:b:c", "30:60:", "-1:60:25", "30:0:25", "30:-5:25", "30:60:-1", "30;60;25"],
)
def test_burst_parse_rejects_bad_text(text: str) -> None:
    """Malformed or out-of-range bursts raise ValueError naming the text."""
    with pytest.raises(ValueError, match="burst"):
        Burst.parse(text)


def test_rate_at_uses_the_burst_inside_it_and_the_base_outside() -> None:
    """A burst covers [start, start + duration); elsewhere the base rate applies."""
    bursts = (Burst(10, 5, 50), Burst(30, 10, 0))
    assert rate_at(0, 4.0, bursts) == 4.0
    assert rate_at(9.99, 4.0, bursts) == 4.0
    assert rate_at(10, 4.0, bursts) == 50
    assert rate_at(14.99, 4.0, bursts) == 50
    assert rate_at(15, 4.0, bursts) == 4.0
    assert rate_at(35, 4.0, bursts) == 0
    assert rate_at(40, 4.0, bursts) == 4.0
    assert rate_at(12, 4.0, ()) == 4.0


def test_rate_at_first_matching_burst_wins() -> None:
    """Overlapping bursts: the first listed applies."""
    assert rate_at(5, 1.0, (Burst(0, 10, 7), Burst(3, 10, 99))) == 7


@pytest.mark.parametrize("count", [1, 7, 500])
def test_lines_for_second_are_parseable_and_stamped(count: int) -> None:
    """`count` Combined lines, all accepted by the parser, all in the given second."""
    data = lines_for_second(np.random.default_rng(count), count, T0 + 59)
    assert data.count(b"\n") == count and data.endswith(b"\n")
    assert detect_format(data) == "combined"
    parsed = parse(data, "combined")
    assert parsed.rejected == 0
    assert len(parsed.frame) == count
    assert (seconds_of(parsed.frame) == T0 + 59).all()
    assert parsed.frame["method"].notna().all() and parsed.frame["section"].notna().all()


def test_lines_for_second_with_no_count_is_empty() -> None:
    """Zero or negative counts give no bytes."""
    rng = np.random.default_rng(0)
    assert lines_for_second(rng, 0, T0) == b""
    assert lines_for_second(rng, -3, T0) == b""


def test_lines_for_second_is_repeatable_with_a_seed() -> None:
    """The same seed gives the same lines."""
    one = lines_for_second(np.random.default_rng(42), 20, T0)
    two = lines_for_second(np.random.default_rng(42), 20, T0)
    assert one == two


LOGIN_FLOOD = Mix(
    sections=("/wp-login.php", "/admin"),
    section_weights=(3.0, 1.0),
    leaves=("",),
    hosts=("203.0.113.7", "203.0.113.9"),
    methods=("POST", "GET"),
    method_weights=(1.0, 0.0),
    statuses=(401, 503),
    status_weights=(0.5, 0.5),
    agents=("python-requests/2.32.3",),
    referers=("-",),
    log_size=(6.0, 0.1),
)


def test_lines_from_a_mix_use_only_its_values() -> None:
    """A narrow mix: its hosts, sections (asked for themselves), methods with weight, statuses, agent."""
    parsed = parse(lines_for_second(np.random.default_rng(5), 400, T0, LOGIN_FLOOD), "combined")
    assert parsed.rejected == 0 and len(parsed.frame) == 400
    frame = parsed.frame
    assert set(frame["host"].astype(str)) == {"203.0.113.7", "203.0.113.9"}
    assert set(frame["path"].astype(str)) == {"/wp-login.php", "/admin"}
    assert set(frame["section"].astype(str)) == {"/wp-login.php", "/admin"}
    assert set(frame["method"].astype(str)) == {"POST"}  # GET has weight 0
    assert set(frame["status"].tolist()) == {401, 503}
    assert set(frame["user_agent"].astype(str)) == {"python-requests/2.32.3"}
    assert frame["referer"].isna().all()  # "-" is no referer
    # Weights 3:1 over 400 lines: /wp-login.php about 300 (binomial sd ~9).
    assert 250 <= (frame["section"] == "/wp-login.php").sum() <= 350
    # ln(bytes) ~ N(6, 0.1): every size within 5 sd of e^6 = 403.
    assert frame["bytes"].between(240, 670).all()


def test_the_ordinary_mix_is_the_default() -> None:
    """Passing ORDINARY changes nothing: the same seed, the same bytes."""
    default = lines_for_second(np.random.default_rng(9), 50, T0)
    assert lines_for_second(np.random.default_rng(9), 50, T0, ORDINARY) == default
    hosts = parse(default, "combined").frame["host"].astype(str)
    assert hosts.str.match(r"^10\.\d+\.\d+\.\d+$").all()


@pytest.mark.parametrize(
    "fields",
    [
        {"methods": ("GET", "POST"), "method_weights": (1.0,)},
        {"statuses": (200,), "status_weights": (0.5, 0.5)},
        {"sections": ("/a", "/b"), "section_weights": (1.0, 2.0, 3.0)},
        {"statuses": (200, 500), "status_weights": (0.0, 0.0)},
        {"statuses": (200, 500), "status_weights": (1.5, -0.5)},
        {"leaves": ()},
        {"sections": ()},
        {"methods": (), "method_weights": ()},
    ],
)
def test_a_mix_with_mismatched_or_empty_weights_is_refused(fields: dict[str, tuple[object, ...]]) -> None:
    """One weight per value, none negative, some positive, and something to draw from."""
    with pytest.raises(ValueError, match="mix"):
        Mix(**fields)  # type: ignore[arg-type]


def test_generate_writes_each_second_in_real_time_order(tmp_path: Path) -> None:
    """With a fake clock, generate writes second after second, never ahead of the clock, without sleeping."""
    log = tmp_path / "live.log"
    clock = FakeClock(T0 + 0.25, log)
    started = time.perf_counter()
    written = generate(str(log), 20.0, 6.0, seed=1, now=clock.now, sleep=clock.sleep)
    assert time.perf_counter() - started < 2.0, "generate must not really sleep"
    parsed = parse(log.read_bytes(), "combined")
    assert parsed.rejected == 0
    assert written == len(parsed.frame) == log.read_bytes().count(b"\n")
    seconds = seconds_of(parsed.frame)
    assert (np.diff(seconds) >= 0).all(), "seconds must be written in order"
    assert set(seconds.tolist()) <= set(range(T0, T0 + 7))
    # At each sleep, nothing in the file is stamped after the clock's current second.
    for now, content in clock.snapshots:
        if content:
            assert seconds_of(parse(content, "combined").frame).max() <= int(now)
    assert len(clock.snapshots) >= 6
    assert 5.5 <= clock.slept <= 7.0


def test_generate_writes_rate_times_duration_on_average(tmp_path: Path) -> None:
    """Rate R for D seconds writes about R * D lines, even when it starts mid-second."""
    log = tmp_path / "live.log"
    clock = FakeClock(T0 + 0.5, log)
    written = generate(str(log), 1000.0, 3.0, seed=2, now=clock.now, sleep=clock.sleep)
    # Poisson(3000) has a standard deviation of about 55.
    assert 2750 <= written <= 3250


def test_generate_follows_a_burst(tmp_path: Path) -> None:
    """During a burst the seconds carry the burst's rate, outside it the base rate."""
    log = tmp_path / "live.log"
    clock = FakeClock(float(T0), log)
    generate(str(log), 2.0, 20.0, bursts=(Burst(5, 5, 200),), seed=3, now=clock.now, sleep=clock.sleep)
    seconds = seconds_of(parse(log.read_bytes(), "combined").frame)
    per_second = np.bincount(seconds - T0, minlength=20)
    assert per_second[5:10].sum() > 800
    assert per_second[:5].sum() + per_second[10:20].sum() < 100
