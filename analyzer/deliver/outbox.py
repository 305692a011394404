"""The outbox: every transition to deliver, on disk before any receiver is tried.

`outbox.jsonl` under --out is a journal, one JSON record a line, each appended with a single
`write` (O_APPEND, never through a symbolic link): `add` (a transition's payload and the
receivers it is for, with the wall time it was added) when the monitor judges it, and `done`
(delivered or given up, for one receiver) when a delivery ends. A SIGKILL leaves every record
written whole, so a restart resends exactly what was not done: at-least-once.

At start the journal is read back (any bytes: a damaged line is skipped and said once, never
raised) and rewritten atomically (`write_atomic`) with only what is still needed: the pending
transitions, and the last alert of each rule that has not recovered (Alertmanager expects it
re-sent while it fires). While running, once nothing is pending, it is rewritten the same way
when it has grown, so the file stays small.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.core.alerts import ALERT
from analyzer.deliver.payload import Payload
from analyzer.follow.outdir import NOT_REGULAR, THROUGH_LINK, open_append, write_atomic

OUTBOX_NAME = "outbox.jsonl"
MAX_BYTES = 64 << 20  # far beyond a day of transitions; more is not an outbox
COMPACT_BYTES = 256 << 10  # rewritten once nothing is pending and it has grown past this
DELIVERED = "delivered"
GAVE_UP = "gave up"


@dataclass
class Entry:
    """One transition and, per receiver (its key), whether its delivery is over."""

    body: Payload
    added: float  # wall time it was added: the give-up age counts from it, across restarts
    targets: list[str]
    done: dict[str, str] = field(default_factory=dict)  # receiver key -> DELIVERED or GAVE_UP

    @property
    def id(self) -> str:
        return str(self.body["id"])

    def pending(self, target: str) -> bool:
        return target in self.targets and target not in self.done


def _entry(record: Any) -> Entry | None:
    """An `add` record as an entry; None if it is not one (a damaged or foreign line)."""
    if not isinstance(record, dict):
        return None
    body, added, targets = record.get("add"), record.get("at"), record.get("targets")
    if not (isinstance(body, dict) and isinstance(body.get("id"), str) and isinstance(body.get("kind"), str)):
        return None
    if not isinstance(added, int | float) or not isinstance(targets, list):
        return None
    if not all(isinstance(target, str) for target in targets):
        return None
    return Entry(body, float(added), list(targets))


def read_journal(data: bytes) -> tuple[dict[str, Entry], int]:
    """The entries a journal's bytes hold, oldest first, and how many lines were damaged."""
    entries: dict[str, Entry] = {}
    damaged = 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            damaged += 1
            continue
        entry = _entry(record)
        if entry is not None:
            entries.setdefault(entry.id, entry)
            continue
        done = record.get("done") if isinstance(record, dict) else None
        target = record.get("target") if isinstance(record, dict) else None
        outcome = record.get("outcome") if isinstance(record, dict) else None
        if isinstance(done, str) and isinstance(target, str) and outcome in (DELIVERED, GAVE_UP):
            if done in entries:  # a `done` without its `add` (rewritten away) has nothing to close
                entries[done].done[target] = str(outcome)
            continue
        damaged += 1
    return entries, damaged


def firing(entries: dict[str, Entry]) -> dict[str, Entry]:
    """Per rule, its last transition if it is an alert (on now, as far as the outbox knows)."""
    last: dict[str, Entry] = {}
    for entry in entries.values():
        last[str(entry.body.get("rule_key", ""))] = entry
    return {rule: entry for rule, entry in last.items() if entry.body["kind"] == ALERT}


def _read(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes (empty if absent) and why it could not be read, never through a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return b"", None
    except OSError as error:
        return b"", THROUGH_LINK if error.errno == errno.ELOOP else f"cannot read it ({error.strerror})"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"", NOT_REGULAR
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_BYTES + 1)
        return (b"", "too large") if len(data) > MAX_BYTES else (data, None)
    except OSError as error:
        return b"", f"cannot read it ({error.strerror})"
    finally:
        os.close(fd)


class Outbox:
    """The journal on disk and its entries in memory, shared by the monitor's thread (which
    adds) and the delivery threads (which mark done): every change under one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.fd = -1
        self.warnings: list[str] = []
        data, unreadable = _read(path)
        self.entries, damaged = read_journal(data)
        if unreadable:
            self.warnings.append(f"{path}: {unreadable}: starting with an empty outbox")
        elif damaged:
            self.warnings.append(f"{path}: {damaged} damaged line(s) skipped: the rest is delivered")
        self._keep_needed()
        self._rewrite(durable=True)

    def _keep_needed(self) -> None:
        # An alert delivered somewhere and not recovered since is kept: Alertmanager expects
        # it re-sent while it fires (one given up everywhere is not re-sent a day later).
        kept = [entry for entry in firing(self.entries).values() if DELIVERED in entry.done.values()]
        self.entries = {
            key: entry
            for key, entry in self.entries.items()
            if any(entry.pending(target) for target in entry.targets) or any(entry is k for k in kept)
        }

    def _rewrite(self, durable: bool) -> None:
        """Replace the journal with the entries kept, atomically, and append from there on."""
        lines = []
        for entry in self.entries.values():
            lines.append(_line({"add": entry.body, "at": entry.added, "targets": entry.targets}))
            lines.extend(_done_line(entry.id, target, outcome) for target, outcome in entry.done.items())
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        try:
            write_atomic(self.path, b"".join(lines), durable)
            self.fd = open_append(self.path)
        except OSError as error:  # UnsafeOutput too: in memory only, said once
            self.warnings.append(f"{self.path}: cannot write the outbox ({error}): delivering from memory")

    def _append(self, line: bytes) -> str | None:
        if self.fd < 0:
            return None
        try:
            written = os.write(self.fd, line)
            if written != len(line):
                raise OSError("a short write (disk full?)")
        except OSError as error:
            return f"{self.path}: cannot append ({error}): kept in memory only"
        return None

    def add(self, body: Payload, targets: list[str], now: float) -> str | None:
        """Record a transition for `targets`; a warning if the disk refused it (it is still
        delivered from memory)."""
        entry = Entry(body, now, list(targets))
        with self.lock:
            if entry.id in self.entries:  # the same transition again (a replay over the same --out)
                return None
            self.entries[entry.id] = entry
            return self._append(_line({"add": body, "at": now, "targets": targets}))

    def finish(self, entry: Entry, target: str, outcome: str) -> str | None:
        """The delivery of `entry` to `target` is over (DELIVERED or GAVE_UP)."""
        with self.lock:
            entry.done[target] = outcome
            warning = self._append(_done_line(entry.id, target, outcome))
            if not self.pending_any() and self._size() > COMPACT_BYTES:
                self._keep_needed()
                self._rewrite(durable=False)  # nothing pending is lost if this one is
            return warning

    def pending_any(self) -> bool:
        return any(entry.pending(target) for entry in self.entries.values() for target in entry.targets)

    def next_for(self, target: str) -> Entry | None:
        """The oldest entry still to deliver to `target`: each receiver gets them in order."""
        with self.lock:
            return next((entry for entry in self.entries.values() if entry.pending(target)), None)

    def waiting_for_others(self, targets: list[str], now: float, give_up_age: float) -> int:
        """Entries pending for receivers not among `targets` (not given this time): kept for
        their return, until the give-up age (then given up: a URL changed for good)."""
        waiting = 0
        for entry in list(self.entries.values()):
            for target in [t for t in entry.targets if entry.pending(t) and t not in targets]:
                if now - entry.added >= give_up_age:
                    self.finish(entry, target, GAVE_UP)
                else:
                    waiting += 1
        return waiting

    def firing(self) -> dict[str, Entry]:
        with self.lock:
            return firing(self.entries)

    def _size(self) -> int:
        try:
            return os.fstat(self.fd).st_size if self.fd >= 0 else 0
        except OSError:
            return 0

    def close(self) -> None:
        with self.lock:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=True).encode() + b"\n"


def _done_line(entry_id: str, target: str, outcome: str) -> bytes:
    return _line({"done": entry_id, "target": target, "outcome": outcome})
