"""The restart checkpoint under --out: what a restarted monitor needs to go on exactly.

It records, per followed path, where each open file was read to (identity, offset,
fingerprint), the last second the alert check judged and the alert state. It is written
atomically (temp file, fsync, rename, fsync of the directory): a crash leaves the old
checkpoint or the new one, whole. A damaged one is reported and ignored, never fatal.

Positions are those of the last *report*, not of the last read: the lines read since were
not yet counted in stats.csv, so a restart reads them again and counts them once. The row
of a report and the checkpoint cannot be written in one step, so the checkpoint is written
first with both the new positions and the ones before, and the size stats.csv had before
the row: on restart, a longer stats.csv means the row was written (use the new positions),
otherwise it was not (use the ones before). No line is counted twice or lost either way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.follow.fileid import Fingerprint, Identity, Position
from analyzer.follow.outdir import file_system_now, write_atomic

CHECKPOINT_NAME = "checkpoint.json"
VERSION = 1
JUDGED_EVERY = 10  # seconds: how stale the last judged second on disk may be

Positions = dict[str, list[Position]]
States = dict[str, bool]  # alert states by rule key


@dataclass(frozen=True)
class Checkpoint:
    """A restart point: file positions, the last second judged, the alert state."""

    rule: str  # the alert rule the state belongs to (`core.alerts.rule_key`): opaque here
    evaluated_to: int | None
    alert_on: bool
    stats_before: int  # stats.csv's size before the row of the report that `files` belongs to
    files: Positions = field(default_factory=dict)  # positions when the last report was made
    previous: Positions = field(default_factory=dict)  # positions at the report before it
    # When each was taken, in file-system time (ns): a restart that finds none of the files
    # reads the rotated ones written since (see rotation.rotated_since).
    files_at: int = 0
    previous_at: int = 0
    # The second of the report each set of positions belongs to: a line read back from before
    # them and stamped after it was read but not yet reported (None: a checkpoint before these).
    reported_to: int | None = None
    previous_reported_to: int | None = None
    # The other rules' alert states by key (core.rules; absent in older checkpoints: none known)
    others: dict[str, bool] = field(default_factory=dict)

    def positions(self, stats_size: int) -> tuple[Positions, int]:
        """The positions that match what stats.csv holds (see the module's docstring), and their time."""
        if stats_size > self.stats_before:
            return self.files, self.files_at
        return self.previous, self.previous_at

    def reported(self, stats_size: int) -> int | None:
        """The second of the last report written, with the positions that match stats.csv."""
        return self.reported_to if stats_size > self.stats_before else self.previous_reported_to


def file_key(path: str) -> str:
    """Paths as absolute names: the same log given from another directory is the same log."""
    return os.path.abspath(path)


def save(path: Path, checkpoint: Checkpoint, durable: bool = True) -> None:
    """Write `checkpoint` to `path` atomically (a crash of the process leaves the old or the
    new one whole) and, if `durable`, so that it also survives a crash of the machine."""
    write_atomic(path, json.dumps(_to_json(checkpoint), separators=(",", ":")).encode(), durable)


MAX_BYTES = 64 << 20  # a checkpoint is kilobytes; more is not one


def load(path: Path) -> tuple[Checkpoint | None, str | None]:
    """The checkpoint at `path` and a warning: (None, None) if there is none, (None, why) if damaged.

    Whatever the file holds (any bytes, any JSON, nested a million deep, a link to another
    file), the answer is a checkpoint or one warning: never an exception.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, f"cannot read the checkpoint {path}: {error.strerror}; starting without it"
    try:
        with os.fdopen(fd, "rb") as handle:
            text = handle.read(MAX_BYTES + 1)
    except OSError as error:
        return None, f"cannot read the checkpoint {path}: {error.strerror}; starting without it"
    try:
        if len(text) > MAX_BYTES:
            raise ValueError("too large")
        return _from_json(json.loads(text)), None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as error:
        return None, f"the checkpoint {path} is damaged ({type(error).__name__}); starting without it"


def _to_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "version": VERSION,
        "rule": checkpoint.rule,
        "evaluated_to": checkpoint.evaluated_to,
        "alert_on": checkpoint.alert_on,
        "stats_before": checkpoint.stats_before,
        "files": _positions_to_json(checkpoint.files),
        "previous": _positions_to_json(checkpoint.previous),
        "files_at": checkpoint.files_at,
        "previous_at": checkpoint.previous_at,
        "reported_to": checkpoint.reported_to,
        "previous_reported_to": checkpoint.previous_reported_to,
        "others": checkpoint.others,
    }


def _positions_to_json(positions: Positions) -> dict[str, list[dict[str, Any]]]:
    return {
        path: [
            {
                "device": p.identity.device,
                "inode": p.identity.inode,
                "offset": p.offset,
                "fingerprint": [p.fingerprint.length, p.fingerprint.digest, p.fingerprint.distinct],
                "after_cr": p.after_cr,
                "live": p.live,
                "released": p.released,
            }
            for p in items
        ]
        for path, items in positions.items()
    }


def _from_json(data: dict[str, Any]) -> Checkpoint:
    if data["version"] != VERSION:
        raise ValueError(f"version {data['version']!r}")
    evaluated_to = data["evaluated_to"]
    return Checkpoint(
        rule=_typed(data["rule"], str),
        evaluated_to=None if evaluated_to is None else _typed(evaluated_to, int),
        alert_on=_typed(data["alert_on"], bool),
        stats_before=_typed(data["stats_before"], int),
        files=_positions_from_json(data["files"]),
        previous=_positions_from_json(data["previous"]),
        files_at=_non_negative(data["files_at"]),
        previous_at=_non_negative(data["previous_at"]),
        reported_to=_optional_second(data.get("reported_to")),  # absent in checkpoints before it
        previous_reported_to=_optional_second(data.get("previous_reported_to")),
        others={str(key): _typed(on, bool) for key, on in _typed(data.get("others", {}), dict).items()},
    )


def _optional_second(value: Any) -> int | None:
    return None if value is None else _typed(value, int)


def _positions_from_json(data: dict[str, list[dict[str, Any]]]) -> Positions:
    positions: Positions = {}
    for path, items in _typed(data, dict).items():
        positions[_typed(path, str)] = [
            Position(
                Identity(_typed(item["device"], int), _typed(item["inode"], int)),
                _non_negative(item["offset"]),
                Fingerprint(
                    _non_negative(item["fingerprint"][0]),
                    _typed(item["fingerprint"][1], str),
                    _typed(item["fingerprint"][2], bool),
                ),
                _typed(item["after_cr"], bool),
                _typed(item["live"], bool),
                _typed(item.get("released", False), bool),  # absent in checkpoints before it
            )
            for item in _typed(items, list)
        ]
    return positions


def _typed(value: Any, kind: type) -> Any:
    # bool is an int in Python: a `true` where a number belongs is damage too.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def _non_negative(value: Any) -> int:
    number: int = _typed(value, int)
    if number < 0:
        raise ValueError(f"negative: {number}")
    return number


class Keeper:
    """Keeps the checkpoint of one monitor: positions of the reports, saved every poll."""

    def __init__(self, path: Path, rule: str) -> None:
        self.path = path
        self.rule = rule  # whose alert state this is: a checkpoint of another rule keeps only positions
        self.files: Positions = {}
        self.previous: Positions = {}
        self.stats_before = 0
        self.files_at = self.previous_at = 0
        self.reported_to: int | None = None
        self.previous_reported_to: int | None = None
        self._synced: tuple[object, ...] | None = None
        self._saved: tuple[object, ...] | None = None  # what the file on disk says
        self._saved_judged: int | None = None

    def start(self, positions: Positions, stats_size: int, reported_to: int | None = None) -> None:
        """Right after the warm start: nothing read yet that a report would count."""
        self.files = self.previous = positions
        self.reported_to = self.previous_reported_to = reported_to
        self.stats_before = stats_size
        self.files_at = self.previous_at = self._file_system_now()

    def before_report(self, positions: Positions, stats_size: int, reported_to: int | None = None) -> None:
        """The report of second `reported_to`, about to be written, counts every line up to
        `positions` stamped up to it (those after it are counted again after a restart)."""
        self.previous, self.files = self.files, positions
        self.previous_reported_to, self.reported_to = self.reported_to, reported_to
        self.previous_at, self.files_at = self.files_at, self._file_system_now()
        self.stats_before = stats_size

    def confirm(self, stats_size: int) -> None:
        """The report's row is written: its positions hold whatever stats.csv becomes (moved
        aside when upgrading, deleted): a restart must not count that report's lines again."""
        self.previous, self.previous_at = self.files, self.files_at
        self.previous_reported_to = self.reported_to
        self.stats_before = stats_size

    def save(
        self, evaluated_to: int | None, alert_on: bool, force: bool = False, others: States | None = None
    ) -> None:
        """Write the checkpoint: the report positions and the alert state as of now.

        Only what a restart needs is written at once: new positions, a new alert state. The
        last second judged alone moves every second; it is written every JUDGED_EVERY seconds
        (a restart judges the seconds after it again, and alerts.csv keeps each transition
        single), so a quiet monitor does not rewrite a file every second.
        """
        state = (
            self.files,
            self.previous,
            self.stats_before,
            alert_on,
            self.reported_to,
            self.previous_reported_to,
            tuple(sorted((others or {}).items())),
        )
        recent = (
            evaluated_to is not None
            and self._saved_judged is not None
            and evaluated_to - self._saved_judged < JUDGED_EVERY
        )
        if not force and state == self._saved and (recent or evaluated_to == self._saved_judged):
            return
        self._saved, self._saved_judged = state, evaluated_to
        checkpoint = Checkpoint(
            self.rule,
            evaluated_to,
            alert_on,
            self.stats_before,
            self.files,
            self.previous,
            self.files_at,
            self.previous_at,
            self.reported_to,
            self.previous_reported_to,
            dict(others or {}),
        )
        # fsync (a few ms) only when the positions moved: a judged second or alert state
        # lost with the machine is judged again, and alerts.csv keeps a transition single.
        positions = (
            self.files,
            self.previous,
            self.stats_before,
            self.reported_to,
            self.previous_reported_to,
        )
        save(self.path, checkpoint, durable=positions != self._synced)
        self._synced = positions

    def _file_system_now(self) -> int:
        """Now on the file system's own clock, as the modification times of logs show it.

        Not the monitor's clock (a test's is fake) nor time.time(): file times come from a
        coarser kernel clock, so the time is taken from a file created now beside the
        checkpoint. A log written later shows a later time, or the same one within a tick of
        that clock (then it is not taken for new: see the README's loss windows).
        """
        return file_system_now(self.path.parent)
