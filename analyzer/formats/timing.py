"""nginx timing fields after a Combined line (`"agent" rt=0.120 uct="0.000" urt="0.118"`).

Combined reads the request time among them (`rt=` or `request_time=`, bare or quoted) as the
request's duration: `request_times`, on what follows the agent's closing quote, the same on
the fast path and the RE2 reference. A line cut short before its tail is a hit without one.

For `check`'s inference (analyzer.offline.infer) this also finds the fields from the lines
themselves and writes the `--log-format` that reads them all: the same separators and quotes,
each key named by the nginx variable it is usually bound to (`rt` -> `$request_time`).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

COMBINED_FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"'
)
# The keys people give these fields in their log_format, and the variable behind each.
VARIABLES = {
    "rt": "request_time",
    "request_time": "request_time",
    "uct": "upstream_connect_time",
    "uht": "upstream_header_time",
    "urt": "upstream_response_time",
    "upstream_response_time": "upstream_response_time",
    "ua": "upstream_addr",
    "us": "upstream_status",
    "cs": "upstream_cache_status",
}
_VALUE = r'(?:"[^"]*"|[^\s"]*)'
# key=value fields to the end of the line, right after the agent's closing quote.
_FIELDS = re.compile(rf'(?<=")(?P<sep> ?)(?P<fields>[A-Za-z_]+={_VALUE}(?: [A-Za-z_]+={_VALUE})*)\r?$')
_FIELD = re.compile(rf"(?P<key>[A-Za-z_]+)=(?P<value>{_VALUE})")
# The request time among the fields after the agent: its key at the start (glued to the quote,
# as `"agent"rt=0.1`) or after a space, the value bare or quoted, then a space or the end. A
# value nginx never writes (`-`, signs, exponents, 13+ digits) is no duration. The number is
# columns.numbers' readable shape, so a custom format's $request_time reads the same.
_NUMBER = r"[0-9]{1,12}(?:\.[0-9]{1,9})?"
REQUEST_TIME = rf'(?:^|[ \t])(?:rt|request_time)=(?:"(?P<quoted>{_NUMBER})"|(?P<bare>{_NUMBER}))(?:[ \t]|$)'


def request_times(rests: pa.Array) -> np.ndarray:
    """The request time in seconds in each of `rests` (what follows the agent; missing: none),
    NaN where there is none."""
    if len(rests) == 0:
        return np.zeros(0, np.float64)
    found = pc.extract_regex(pc.cast(rests, pa.large_string()), REQUEST_TIME)
    # One of the two is empty where the line matched (the other is its value); both null where not.
    value = pc.binary_join_element_wise(
        pc.struct_field(found, "quoted"), pc.struct_field(found, "bare"), pa.scalar("", pa.large_string())
    )
    value = pc.if_else(pc.equal(value, ""), pa.scalar(None, pa.large_string()), value)
    return np.asarray(pc.cast(value, pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def timing_format(lines: list[str]) -> str | None:
    """The --log-format that reads the timing fields these Combined lines end with, if they do.

    The layout of the most common tail wins; None when no line has a request time field.
    """
    layouts: dict[str, int] = {}
    for line in lines[:1000]:  # a sample: the layout is the server's, the same on every line
        found = _FIELDS.search(line)
        if found is not None:
            layout = found["sep"] + " ".join(_variable(f) for f in _FIELD.finditer(found["fields"]))
            layouts[layout] = layouts.get(layout, 0) + 1
    if not layouts:
        return None
    layout = max(layouts, key=lambda key: layouts[key])
    return COMBINED_FORMAT + layout if "$request_time" in layout else None


def _variable(field: re.Match[str]) -> str:
    key = field["key"]
    name = VARIABLES.get(key, key)
    return f'{key}="${name}"' if field["value"].startswith('"') else f"{key}=${name}"
