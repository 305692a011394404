"""The RE2 patterns of Common and Combined lines: what a line must look like to be a request.

They define the parser's meaning. The RE2 path (analyzer.formats.clf) applies them to each
line; the fast path (analyzer.formats.fast) finds the same fields by a byte scan and applies
the parts a scan cannot vouch for (the prefix, the Combined tail) once per distinct value.
"""

from __future__ import annotations

# A quoted field: anything but a quote or backslash, or a backslash escape (Apache `\"`).
QUOTED = r'"((?:[^"\\]|\\.)*)"'
# `host ident user` (user may hold spaces), or `vhost:port host ident user`: at least three
# words before the `[` of the time; split once per distinct prefix (see columns.prefix_parts).
PREFIX = r"[^ \[]+ [^ \[]+ [^ \[][^\[]*"
HEAD = (
    rf"^(?P<prefix>{PREFIX})\[(?P<ts>[^\]]*)\] "
    + QUOTED.replace("(", "(?P<request>", 1)
    + r" (?P<status>[0-9]{3}|-) (?P<bytes>[0-9]+|-)"
)
# What follows the agent (nginx timing fields: `rt=0.120 uct="0.000"`) is `rest`, where the
# request time is read (timing.request_times); a line without the tail has none.
TAIL = (
    "(?: " + QUOTED.replace("(", "(?P<referer>", 1) + " " + QUOTED.replace("(", "(?P<user_agent>", 1)
    + "(?P<rest>.*))?"
)  # fmt: skip
LINE_PATTERNS = {"common": HEAD, "combined": HEAD + TAIL}
# What a backtest needs (time, request, status, bytes): the same lines match, and with at
# most 4 groups RE2 uses its one-pass matcher (see columns.extract): keep it at 4.
CORE_PATTERN = HEAD.replace("(?P<prefix>", "(?:")
STRICT_COMBINED = HEAD + TAIL.removesuffix("?")
# The Combined tail on its own, for what follows the size (` "referer" "agent"` and anything
# after); it matches exactly when TAIL would, with the same groups.
TAIL_ALONE = "^" + TAIL.removeprefix("(?:").removesuffix(")?")
WHOLE_PREFIX = rf"^(?:{PREFIX})$"
VHOST_PREFIX = r"^(?P<vhost>[^ :]+:[0-9]+) (?P<host>[^ ]+) [^ ]+ (?P<user>.+?) ?$"
PLAIN_PREFIX = r"^(?P<host>[^ ]+) [^ ]+ (?P<user>.+?) ?$"
TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
# METHOD TARGET [PROTOCOL]; the path stops at the query string or fragment. One-pass for RE2.
REQUEST = r"^(?P<method>[A-Za-z][A-Za-z_-]*) (?P<path>[^?# ]+)(?:[?#][^ ]*)?(?: (?P<protocol>[^ ]+))?$"
# A section: optional scheme://host, then `/` and everything up to the next `/` (query
# strings were already cut from the path by the parser, but cut them here too).
SECTION = r"^(?P<section>[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(?:/[^/?#]*)?|/[^/?#]*)"
