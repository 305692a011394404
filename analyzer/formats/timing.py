"""nginx timing fields after a Combined line (`"agent" rt=0.120 uct="0.000" urt="0.118"`).

Combined reads such a line and leaves the fields out, so the request times are lost without a
word. From the lines themselves this finds the fields and writes the `--log-format` that reads
them: the same separators and quotes, each key named by the nginx variable it is usually
bound to (`rt` -> `$request_time`), so `rt=` becomes the request time of every request.
"""

from __future__ import annotations

import re

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
