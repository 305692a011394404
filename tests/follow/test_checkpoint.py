"""The checkpoint file: atomic round trips, the positions that match stats.csv, damage told apart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from analyzer.core.alerts import AlertRule, rule_key
from analyzer.follow.checkpoint import CHECKPOINT_NAME, Checkpoint, Keeper, load, save
from analyzer.follow.fileid import Fingerprint, Identity, Position


def test_a_checkpoint_round_trips_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    """save then load gives the same checkpoint; the write goes through a temporary file."""
    position = Position(Identity(1, 2), 300, Fingerprint.of(b"head"), after_cr=True, live=False)
    checkpoint = Checkpoint("2/10/None", 1234, True, 99, {"/a.log": [position]}, {"/a.log": []}, 7, 5)
    path = tmp_path / CHECKPOINT_NAME
    save(path, checkpoint)
    assert load(path) == (checkpoint, None)
    assert os.listdir(tmp_path) == [CHECKPOINT_NAME]
    assert load(tmp_path / "none.json") == (None, None)


def test_positions_follow_what_stats_csv_holds(tmp_path: Path) -> None:
    """The last report's positions if its stats row landed, else those of the report before."""
    keeper = Keeper(tmp_path / CHECKPOINT_NAME, rule_key(AlertRule(2, 10)))
    old = {"/a.log": [Position(Identity(1, 2), 100, Fingerprint())]}
    new = {"/a.log": [Position(Identity(1, 2), 250, Fingerprint())]}
    keeper.start(old, 40)
    keeper.before_report(new, 40)
    checkpoint = Checkpoint(
        keeper.rule, None, False, keeper.stats_before, keeper.files, keeper.previous, keeper.files_at
    )
    assert checkpoint.positions(41)[0] == new
    assert checkpoint.positions(40)[0] == old


DAMAGED = [
    b"",
    b'{"version": 1, "rule": "2/10/None", "evaluated_to": 5',
    b"\x00\x00\x00\x00",
    b"[1, 2, 3]",
    b'{"version": 99}',
    b'{"version":1,"rule":"x","evaluated_to":true,"alert_on":false,"stats_before":0,"files":{},"previous":{}}',
    b'{"version":1,"rule":"x","evaluated_to":1,"alert_on":false,"stats_before":0,"previous":{},'
    b'"files":{"/a":[{"device":1,"inode":2,"offset":-5,"fingerprint":[0,""],"after_cr":false,"live":true}]}}',
]


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_checkpoint_loads_as_none_with_one_warning(tmp_path: Path, damage: bytes) -> None:
    """Half-written, empty or nonsense: no checkpoint, and a warning that says starting without it."""
    path = tmp_path / CHECKPOINT_NAME
    path.write_bytes(damage)
    checkpoint, warning = load(path)
    assert checkpoint is None
    assert warning is not None and warning.endswith("starting without it") and "\n" not in warning


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@hyp_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.binary(max_size=300)
    | json_values.map(lambda value: json.dumps(value).encode())
    | st.just(b"[" * 100_000 + b"]" * 100_000)  # nested deeper than the parser's recursion
    | st.just(
        b'{"version": 1, "rule": "r", "evaluated_to": 1, "alert_on": false, "stats_before": 0, '
        b'"files": {"/a": [{"device": 1, "inode": 2, "offset": 3, "fingerprint": [], '
        b'"after_cr": false, "live": true}]}, "previous": {}, "files_at": 0, "previous_at": 0}'
    )
)
def test_any_bytes_or_json_give_a_checkpoint_or_one_warning(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    """Tampered or damaged, whatever it holds: never an exception at start."""
    path = tmp_path_factory.mktemp("checkpoint") / CHECKPOINT_NAME
    path.write_bytes(content)
    saved, warning = load(path)
    assert (saved is None) != (warning is None) or (saved is None and warning is None and not content)
