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

from analyzer.alerts import AlertRule
from analyzer.fileid import Fingerprint, Identity, Position

CHECKPOINT_NAME = "checkpoint.json"
VERSION = 1

Positions = dict[str, list[Position]]


@dataclass(frozen=True)
class Checkpoint:
    """A restart point: file positions, the last second judged, the alert state."""

    rule: str  # the alert rule the state belongs to (`rule_key`)
    evaluated_to: int | None
    alert_on: bool
    stats_before: int  # stats.csv's size before the row of the report that `files` belongs to
    files: Positions = field(default_factory=dict)  # positions when the last report was made
    previous: Positions = field(default_factory=dict)  # positions at the report before it

    def positions(self, stats_size: int) -> Positions:
        """The positions that match what stats.csv holds (see the module's docstring)."""
        return self.files if stats_size > self.stats_before else self.previous


def rule_key(rule: AlertRule) -> str:
    """The alert state only carries over to the same threshold, window and recovery."""
    return f"{rule.threshold:g}/{rule.window}/{rule.recovery}"


def file_key(path: str) -> str:
    """Paths as absolute names: the same log given from another directory is the same log."""
    return os.path.abspath(path)


def save(path: Path, checkpoint: Checkpoint) -> None:
    """Write `checkpoint` to `path` atomically and durably."""
    data = json.dumps(_to_json(checkpoint), separators=(",", ":")).encode()
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself must survive a crash of the machine
    finally:
        os.close(folder)


def load(path: Path) -> tuple[Checkpoint | None, str | None]:
    """The checkpoint at `path` and a warning: (None, None) if there is none, (None, why) if damaged."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, f"cannot read the checkpoint {path}: {error.strerror}; starting without it"
    try:
        return _from_json(json.loads(text)), None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
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
    }


def _positions_to_json(positions: Positions) -> dict[str, list[dict[str, Any]]]:
    return {
        path: [
            {
                "device": p.identity.device,
                "inode": p.identity.inode,
                "offset": p.offset,
                "fingerprint": [p.fingerprint.length, p.fingerprint.digest],
                "after_cr": p.after_cr,
                "live": p.live,
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
    )


def _positions_from_json(data: dict[str, list[dict[str, Any]]]) -> Positions:
    positions: Positions = {}
    for path, items in _typed(data, dict).items():
        positions[_typed(path, str)] = [
            Position(
                Identity(_typed(item["device"], int), _typed(item["inode"], int)),
                _non_negative(item["offset"]),
                Fingerprint(_non_negative(item["fingerprint"][0]), _typed(item["fingerprint"][1], str)),
                _typed(item["after_cr"], bool),
                _typed(item["live"], bool),
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

    def __init__(self, path: Path, rule: AlertRule) -> None:
        self.path = path
        self.rule = rule_key(rule)
        self.files: Positions = {}
        self.previous: Positions = {}
        self.stats_before = 0

    def start(self, positions: Positions, stats_size: int) -> None:
        """Right after the warm start: nothing read yet that a report would count."""
        self.files = self.previous = positions
        self.stats_before = stats_size

    def before_report(self, positions: Positions, stats_size: int) -> None:
        """The report about to be written counts every line up to `positions`."""
        self.previous, self.files = self.files, positions
        self.stats_before = stats_size

    def save(self, evaluated_to: int | None, alert_on: bool) -> None:
        """Write the checkpoint: the report positions and the alert state as of now."""
        checkpoint = Checkpoint(
            self.rule, evaluated_to, alert_on, self.stats_before, self.files, self.previous
        )
        save(self.path, checkpoint)
