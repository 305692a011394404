"""analyzer: a pandas-based HTTP access-log monitor for the terminal.

The library behind the CLI: `parse` bytes into a request frame, `backtest` historical logs.
Its names are imported when first used, so `python -m analyzer` can take Ctrl-C as a clean
stop before pandas has loaded (see __main__.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.formats.clf import Parsed, parse
    from analyzer.formats.parsers import detect_format
    from analyzer.formats.sections import section_of
    from analyzer.offline.backtest import BacktestResult, backtest

__all__ = ["BacktestResult", "Parsed", "backtest", "detect_format", "parse", "section_of"]

_HOMES = {
    "BacktestResult": "analyzer.offline.backtest",
    "backtest": "analyzer.offline.backtest",
    "Parsed": "analyzer.formats.clf",
    "detect_format": "analyzer.formats.parsers",
    "parse": "analyzer.formats.clf",
    "section_of": "analyzer.formats.sections",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value
