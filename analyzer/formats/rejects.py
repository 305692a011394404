"""Why a line was rejected: a reason per line, found by vectorised tests on the rejected only.

The order of the tests is the order of the reasons: a 2 MB line of binary is `too long`,
a readable line with a timestamp in brackets that does not parse is `bad timestamp` (one
whose timestamp parses lacks something else: `missing fields`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.columns import epoch_seconds, usable_time

TOO_LONG = "too long"
BINARY = "binary garbage"
UNCLOSED_QUOTE = "unclosed quote"
BAD_TIMESTAMP = "bad timestamp"
MISSING_FIELDS = "missing fields"
REASONS = (TOO_LONG, BINARY, UNCLOSED_QUOTE, BAD_TIMESTAMP, MISSING_FIELDS)
MAX_LINE_CHARS = 64 * 1024

# Control characters, or the `\xNN` escapes that stand for bytes that were not UTF-8.
_BINARY = r"[\x00-\x08\x0e-\x1f\x7f]|\\x[0-9a-fA-F]{2}"  # nginx writes \xE4, we write \xe4
# An unescaped quote: a quote not preceded by a backslash.
_QUOTE = r'(?:^|[^\\])"'
_BRACKETED_TIME = r"\[[^\]]*[0-9][^\]]*\]"
# A bracketed field shaped like a Common/Combined or ISO 8601 time, to tell whether it reads.
_TIME_SHAPED = r"\[(?P<time>[0-9]{1,2}/[A-Za-z]{3}/[^\]]*|[0-9]{4}-[0-9]{2}-[0-9]{2}T[^\]]*)\]"
_TIME_FORMATS = ("%d/%b/%Y:%H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z")


def reasons(lines: pa.Array) -> np.ndarray:
    """One reason (from REASONS) for each rejected line."""
    if len(lines) == 0:
        return np.zeros(0, object)
    text = pc.utf8_rtrim(pc.cast(lines, pa.large_string()), characters="\r\n")
    length = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    binary = pc.match_substring_regex(text, _BINARY).to_numpy(zero_copy_only=False)
    quotes = pc.count_substring_regex(text, _QUOTE).to_numpy(zero_copy_only=False)
    bracketed = pc.match_substring_regex(text, _BRACKETED_TIME).to_numpy(zero_copy_only=False)
    bad_time = bracketed & ~_readable_time(text)  # a good time: the line lacks something else
    return np.select(
        [length > MAX_LINE_CHARS, binary, quotes % 2 == 1, bad_time],
        [TOO_LONG, BINARY, UNCLOSED_QUOTE, BAD_TIMESTAMP],
        default=MISSING_FIELDS,
    ).astype(object)


def too_long(lines: pa.Array) -> np.ndarray:
    """Which lines are over MAX_LINE_CHARS characters, line ending not counted: every parser
    rejects them, even when they match, so a line of megabytes is never a request."""
    long = pc.binary_length(lines).to_numpy(zero_copy_only=False) > MAX_LINE_CHARS
    if long.any():  # bytes >= characters: only these few can be too long, so count them exactly
        at = np.flatnonzero(long)
        text = pc.utf8_rtrim(pc.cast(lines.take(pa.array(at)), pa.large_string()), characters="\r\n")
        long[at] = pc.utf8_length(text).to_numpy(zero_copy_only=False) > MAX_LINE_CHARS
    return long


def _readable_time(text: pa.Array) -> np.ndarray:
    """Whether each line holds a bracketed time that parses (Common/Combined or ISO 8601)."""
    stamps = pc.struct_field(pc.extract_regex(text, _TIME_SHAPED), "time")
    readable = np.zeros(len(text), bool)
    for time_format in _TIME_FORMATS:
        readable |= usable_time(epoch_seconds(stamps, time_format))
    return readable


def count_reasons(found: np.ndarray) -> dict[str, int]:
    """How many lines for each reason, in REASONS order, leaving out reasons with none."""
    return {reason: int((found == reason).sum()) for reason in REASONS if (found == reason).any()}
