"""Telling a server's error log from its access log, so an operator who points the monitor at
`/var/log/nginx/*.log` is told which file is which instead of seeing rejected lines."""

from __future__ import annotations

import re

# nginx: `2026/11/28 03:10:05 [error] 1234#0: *5 open() ...`
# Apache 2.4: `[Fri Nov 28 03:10:05.123456 2026] [core:error] [pid 123] ...` (2.2: `[error]`)
LEVEL = rb"(?:debug|info|notice|warn|error|crit|alert|emerg)"
ERROR_LOGS = {
    "nginx": re.compile(rb"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[" + LEVEL + rb"\] "),
    "Apache": re.compile(
        rb"^\[\w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4}\] \[[\w:]*" + LEVEL + rb"\] "
    ),
}


def error_log_of(lines: list[bytes]) -> str | None:
    """Which server's error log these lines are (most of them must say so), or None."""
    if not lines:
        return None
    for server, pattern in ERROR_LOGS.items():
        if sum(1 for line in lines if pattern.match(line)) * 2 > len(lines):
            return server
    return None
