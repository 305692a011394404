"""The options of the rules beside the high-traffic one (core.rules): the error rate and one
section's rate, for the monitor and replay (one value each) and the backtest (several, swept).

    --error-rate 5 --errors 4xx+5xx --error-rate-min 200      # over 5% of 4xx and 5xx answers
    --section-rate /api=20 --section-rate /login=2            # over 20 req/s on /api, 2 on /login
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from analyzer.core.alerts import AlertRule
from analyzer.core.rules import ERROR_CLASSES, ErrorRateRule, SectionRateRule
from analyzer.formats.sections import section_of

ERROR_MIN = 100  # requests the window must hold before its error rate is judged
# How rule names (alerts.csv's `rule`) begin: core.rules' `name`s.
HIGH_TRAFFIC, ERROR_RATE = "high_traffic", "error_rate_"


def percentage(text: str) -> float:
    """An error-rate percentage: a finite number strictly between 0 and 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and 0 < value < 100):
        raise argparse.ArgumentTypeError(f"must be a percentage above 0 and below 100, got {text}")
    return value


def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def section_rate(text: str) -> tuple[str, float]:
    """`/api=20`: a section (what comes before a path's second `/`) and its req/s threshold."""
    section, equals, rate = text.rpartition("=")
    if not equals or not section:
        raise argparse.ArgumentTypeError(f"expected SECTION=REQ_PER_S (e.g. /api=20), got {text!r}")
    found = section_of(section)
    if found is None:
        raise argparse.ArgumentTypeError(f"{section!r} is not a section: one starts with / (e.g. /api=20)")
    if found != section.rstrip("/") and found != section:
        raise argparse.ArgumentTypeError(
            f"{section} is not a section: a section is what comes before a path's second / (here {found})"
        )
    try:
        value = float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of req/s: {rate!r} in {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"req/s must be a finite number > 0, got {rate} in {text!r}")
    return found, value


def add_rule_options(parser: argparse.ArgumentParser, sweep: bool = False) -> None:
    """--error-rate, --errors, --error-rate-min, --section-rate (and --error-recovery live).
    `sweep` (backtest): --error-rate takes several percentages, one rule each."""
    rules = parser.add_argument_group(
        "other rules", "judged beside the high-traffic one, over the same --window (docs/rules.md)"
    )
    several: dict[str, Any] = {"nargs": "+"} if sweep else {}
    rules.add_argument(
        "--error-rate",
        type=percentage,
        default=None,
        metavar="PCT",
        help="alert when errors are more than PCT%% of the window's requests"
        + (" (several: one rule each)" if sweep else ""),
        **several,
    )
    if not sweep:
        rules.add_argument(
            "--error-recovery",
            type=float,
            default=None,
            metavar="PCT",
            help="with hysteresis: an error-rate alert recovers only at or below PCT%%",
        )
    rules.add_argument(
        "--errors",
        choices=ERROR_CLASSES,
        default=None,
        help="what counts as an error for --error-rate (default 5xx)",
    )
    rules.add_argument(
        "--error-rate-min",
        type=at_least_one,
        default=None,
        metavar="N",
        help=f"judge the error rate only over at least N requests (default {ERROR_MIN})",
    )
    rules.add_argument(
        "--section-rate",
        type=section_rate,
        action="append",
        default=None,
        metavar="SECTION=REQ_PER_S",
        help="alert when one section averages more than REQ_PER_S (e.g. /api=20); repeatable"
        + (": several for one section sweep it" if sweep else ""),
    )


def other_rules(args: argparse.Namespace, window: int) -> tuple[AlertRule, ...]:
    """The rules the options ask for, in their order: error rates, then sections. Raises
    ValueError with one line for options that do not go together."""
    percents = args.error_rate
    if percents is None:
        for name in ("errors", "error_rate_min", "error_recovery"):
            if getattr(args, name, None) is not None:
                raise ValueError(
                    f"--{name.replace('_', '-')} applies to an error-rate rule: give --error-rate PCT"
                )
        percents = []
    elif not isinstance(percents, list):
        percents = [percents]
    recovery = getattr(args, "error_recovery", None)
    if recovery is not None and not 0 <= recovery < percents[0]:
        raise ValueError(
            f"--error-recovery must be >= 0 and below --error-rate ({percents[0]:g}), got {recovery:g}"
        )
    found: list[AlertRule] = [
        ErrorRateRule(
            percent,
            window,
            recovery,
            min_requests=args.error_rate_min or ERROR_MIN,
            classes=args.errors or ERROR_CLASSES[0],
        )
        for percent in dict.fromkeys(percents)
    ]
    found += [
        SectionRateRule(rate, window, section=section)
        for section, rate in dict.fromkeys(args.section_rate or [])
    ]
    return tuple(found)
