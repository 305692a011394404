"""analyzer: a pandas-based HTTP access-log monitor for the terminal.

The library behind the CLI: `parse` bytes into a request frame, `backtest` historical logs.
"""

from analyzer.backtest import BacktestResult, backtest
from analyzer.parse import Parsed, detect_format, parse
from analyzer.sections import section_of

__all__ = ["BacktestResult", "Parsed", "backtest", "detect_format", "parse", "section_of"]
