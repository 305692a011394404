"""analyzer: a pandas-based HTTP access-log monitor for the terminal."""

from analyzer.parse import Parsed, detect_format, parse
from analyzer.sections import section_of

__all__ = ["Parsed", "detect_format", "parse", "section_of"]
