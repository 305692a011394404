"""analyzer: a pandas-based HTTP access-log monitor for the terminal.

The library behind the CLI: `parse` bytes into a request frame, `backtest` historical logs.
"""

from analyzer.formats.clf import Parsed, detect_format, parse
from analyzer.formats.sections import section_of
from analyzer.offline.backtest import BacktestResult, backtest

__all__ = ["BacktestResult", "Parsed", "backtest", "detect_format", "parse", "section_of"]
