"""The monitor's settings: the library's defaults are the command line's."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from analyzer.cli.monitor import monitor_parser
from analyzer.core.alerts import AlertRule
from analyzer.live.settings import POLL_SECONDS, Clock, Settings


def test_defaults_equal_the_command_lines() -> None:
    """A monitor built from the library behaves as `python -m analyzer FILE` with no options."""
    args = vars(monitor_parser().parse_args(["access.log"]))
    settings = Settings(paths=["access.log"], rule=AlertRule(args["threshold"], args["window"]))
    renamed = {"fmt": "format"}
    for field in dataclasses.fields(Settings):
        option = renamed.get(field.name, field.name)
        if option in args:
            assert getattr(settings, field.name) == args[option], field.name
    assert settings.rule == AlertRule(10.0, 120)
    assert isinstance(settings.out, Path)


def test_a_clock_never_stops_unless_told_and_polls_are_a_second_apart() -> None:
    clock = Clock(now=lambda: 0.0, sleep=lambda _: None)
    assert clock.stop() is False
    assert POLL_SECONDS == 1.0
