"""The fast path of the Common/Combined parser: the lines a byte scan can vouch for.

analyzer.formats.kernel's scan (the C kernel) finds where each line's fields are and checks
their shape, and what the RE2 pattern's own pieces (analyzer.formats.patterns) require of them,
so the fields are exactly what the line pattern would capture:

- the prefix (`host ident user`, up to the first `[`) must be three words with no `[`;
- the time is read by the kernel where it is plain and valid; any other (equal on long runs of
  lines) is parsed once per run, by the very function the RE2 path uses, and must hold no `]`
  (so it is the whole bracketed field);
- the Combined tail: the scan finds ` "referer" "agent"` by its quotes (extra nginx fields
  after it are left, as the line pattern leaves them); a line whose tail field holds a
  backslash (an escape can hide a quote), or whose tail has another shape, is left to RE2;
- what follows the agent's closing quote is the pattern's `rest`, where timing.request_times
  reads the request time, as on the RE2 path (a batch with nothing after any agent costs one
  comparison a line).

Text fields are dictionary-encoded where they lie in the buffer (kernel.encoded_ranges). A
line that fails any check is left out of `at`: the caller parses it the RE2 way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.formats.columns import epoch_seconds, usable_time
from analyzer.formats.compiled import slices
from analyzer.formats.encoded import Encoded
from analyzer.formats.kernel import (
    TIME_WIDTH,
    UNREAD_TIME,
    Head,
    Newlines,
    encoded_ranges,
    request_sections,
    scan,
)
from analyzer.formats.patterns import TIME_FORMAT
from analyzer.formats.rejects import MAX_LINE_CHARS
from analyzer.formats.timing import request_times


@dataclass(frozen=True)
class Vouched:
    """The lines the fast path read, and their fields (text fields before any null_if)."""

    ends: np.ndarray  # the newline of every line of the input
    at: np.ndarray  # line numbers of the vouched lines, ascending
    seconds: np.ndarray
    status: np.ndarray
    size: np.ndarray
    text: dict[str, Encoded]  # request (or section); prefix unless core; referer and user_agent for combined
    # Combined: each line's request time (NaN: none); None: nothing follows any line's agent
    duration: np.ndarray | None = None


def vouch(
    data: bytes,
    fmt: str,
    core: bool,
    sections: bool = False,
    lines: Newlines | None = None,
    agent: bool = True,
) -> Vouched:
    """Read the lines of `data` (UTF-8, each ending in `\\n`) that the fast path can vouch for.

    `sections` (with `core`): each request's section instead of the request (the backtest
    sums sections only). `lines`: its newlines, if already counted. `agent`: the Combined
    referer and agent are encoded (the live monitor's lean parse wants only the request time)."""
    tailed = fmt == "combined" and not core
    head = scan(data, MAX_LINE_CHARS, tail=tailed, lines=lines)
    buffer = pa.py_buffer(data)
    at = np.flatnonzero(head.shaped & head.tailed if tailed else head.shaped)
    seconds, keep = _seconds(buffer, head, at)
    keep &= head.whole_prefix[at] & (head.plain_tail[at] if tailed else True)
    if not keep.all():
        at, seconds = at[keep], seconds[keep]
    if sections and core:
        section = request_sections(buffer, head.request[at], head.request_end[at])
        return Vouched(head.ends, at, seconds, head.status[at], head.size[at], {"section": section})
    names = (
        ["request"] + ([] if core else ["prefix"]) + (["referer", "user_agent"] if tailed and agent else [])
    )
    text = encoded_ranges(buffer, _ranges(head, at, names))
    duration = _request_times(buffer, head, at) if tailed else None
    return Vouched(head.ends, at, seconds, head.status[at], head.size[at], text, duration)


def _request_times(buffer: pa.Buffer, head: Head, at: np.ndarray) -> np.ndarray | None:
    """The request time of each line at `at`, read from what follows its agent (NaN: none);
    None when nothing follows any agent (plain Combined: no string is cut)."""
    starts, stops = head.agent_end[at] + 1, head.ends[at]
    rest = np.flatnonzero(stops > starts)
    if len(rest) == 0:
        return None
    found = np.full(len(at), np.nan)
    found[rest] = request_times(slices(buffer, starts[rest], stops[rest]))
    return found


def _ranges(head: Head, at: np.ndarray, names: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Where each named text field of the lines at `at` lies in the buffer (of every line, as
    mostly: the scan's own rows, not copies of them)."""
    every = len(at) == len(head.ends)  # `at` ascends: all of them is every line in order

    def of(row: np.ndarray) -> np.ndarray:
        return row if every else row[at]

    bounds = {
        "request": lambda: (of(head.request), of(head.request_end)),
        "prefix": lambda: (of(head.starts), of(head.bracket)),
        "referer": lambda: (of(head.referer), of(head.referer_end)),
        "user_agent": lambda: (of(head.referer_end) + 3, of(head.agent_end)),
    }
    return {name: bounds[name]() for name in names}


def _seconds(buffer: pa.Buffer, head: Head, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds of the lines at `at`, and which have a usable time (readable, no `]`).

    The kernel reads plain valid times itself; the rest go to pandas, each run of byte-equal
    neighbouring times once.
    """
    seconds = head.seconds[at]
    usable = usable_time(seconds)
    unread = np.flatnonzero(seconds == UNREAD_TIME)
    if len(unread):
        seconds[unread], usable[unread] = _parsed_seconds(buffer, head, at[unread])
    return seconds, usable


def _parsed_seconds(buffer: pa.Buffer, head: Head, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(at) == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    changed = head.new_time[at]
    changed[0] = True
    changed[1:] |= at[1:] != at[:-1] + 1  # after a line left out, compare with nothing
    first = np.flatnonzero(changed)
    run = np.cumsum(changed) - 1
    bracket = head.bracket[at[first]]
    stamps = slices(buffer, bracket + 1, bracket + 1 + TIME_WIDTH)
    per_run = epoch_seconds(stamps, TIME_FORMAT)
    whole = ~pc.match_substring(stamps, "]").to_numpy(zero_copy_only=False)
    return per_run[run], (usable_time(per_run) & whole)[run]
