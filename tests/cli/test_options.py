"""Options every command shares: numbers checked with a reason, format strings compiled up front."""

from __future__ import annotations

import argparse

import pytest

from analyzer.cli.options import Parser, UsageError, checked_log_format, non_negative, positive


@pytest.mark.parametrize(("text", "value"), [("2.5", 2.5), ("1e3", 1000.0), ("0.01", 0.01)])
def test_positive_accepts_numbers_above_zero(text: str, value: float) -> None:
    assert positive(float)(text) == value


@pytest.mark.parametrize(
    ("text", "says"), [("0", "must be > 0"), ("-1", "must be > 0"), ("ten", "not a number")]
)
def test_positive_refuses_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        positive(float)(text)


def test_positive_int_refuses_a_fraction_and_keeps_its_name_for_messages() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not a number"):
        positive(int)("1.5")
    assert positive(int).__name__ == "int"


def test_non_negative_allows_zero_only_from_below() -> None:
    assert non_negative("0") == 0.0
    with pytest.raises(argparse.ArgumentTypeError, match=">= 0"):
        non_negative("-0.5")
    with pytest.raises(argparse.ArgumentTypeError, match="not a number"):
        non_negative("soon")


def test_checked_log_format_compiles_or_is_one_usage_error() -> None:
    source = '$remote_addr [$time_local] "$request" $status'
    assert checked_log_format(source) == source
    assert checked_log_format(None) is None
    with pytest.raises(UsageError, match="has no time"):
        checked_log_format("$remote_addr $status")


def test_the_parser_raises_usage_errors_instead_of_exiting() -> None:
    parser = Parser(prog="x")
    parser.add_argument("--n", type=positive(int))
    with pytest.raises(UsageError, match="--n"):
        parser.parse_args(["--n", "0"])
