"""The outbox: on disk before any receiver is tried, read back whatever it holds."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.core.alerts import ALERT, RECOVERED, AlertRule, Transition
from analyzer.deliver.outbox import DELIVERED, GAVE_UP, OUTBOX_NAME, Outbox, read_journal
from analyzer.deliver.payload import payload

T = 1_795_835_405
RULE = AlertRule(10, 120)
ALERTED = payload(Transition(T, ALERT, 1300, RULE))
RECOVERY = payload(Transition(T + 60, RECOVERED, 1100, RULE))


def test_what_is_pending_survives_a_restart_and_what_is_done_goes(tmp_path: Path) -> None:
    path = tmp_path / OUTBOX_NAME
    outbox = Outbox(path)
    assert outbox.add(ALERTED, ["a", "b"], 100.0) is None
    assert outbox.add(RECOVERY, ["a", "b"], 160.0) is None
    first = outbox.next_for("a")
    assert first is not None and first.id == ALERTED["id"]
    outbox.finish(first, "a", DELIVERED)
    # No close: a SIGKILL leaves every line written whole.
    again = Outbox(path)
    assert [entry.id for entry in again.entries.values()] == [ALERTED["id"], RECOVERY["id"]]
    head = again.next_for("a")
    assert head is not None and head.id == RECOVERY["id"]  # in order, the delivered one skipped
    assert again.next_for("b") is not None and again.next_for("b").id == ALERTED["id"]  # type: ignore[union-attr]
    assert again.entries[ALERTED["id"]].added == 100.0  # the give-up age goes on from the first start
    for entry in list(again.entries.values()):
        for target in ("a", "b"):
            again.finish(entry, target, DELIVERED)
    again.close()
    assert Outbox(path).entries == {}  # all done and recovered: nothing kept
    assert path.read_bytes() == b""


def test_the_alert_firing_is_kept_for_its_re_sends(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / OUTBOX_NAME)
    outbox.add(ALERTED, ["am"], 100.0)
    outbox.finish(outbox.entries[ALERTED["id"]], "am", DELIVERED)
    again = Outbox(tmp_path / OUTBOX_NAME)
    assert again.next_for("am") is None
    assert [entry.id for entry in again.firing().values()] == [ALERTED["id"]]


def test_the_same_transition_twice_is_one_entry(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / OUTBOX_NAME)
    outbox.add(ALERTED, ["a"], 100.0)
    outbox.add(ALERTED, ["a"], 200.0)
    assert len(outbox.entries) == 1
    assert (tmp_path / OUTBOX_NAME).read_bytes().count(b"\n") == 1


def test_entries_for_receivers_not_given_now_are_kept(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / OUTBOX_NAME)
    outbox.add(ALERTED, ["old"], 100.0)
    again = Outbox(tmp_path / OUTBOX_NAME)
    assert again.waiting_for_others(["new"], 200.0, 1000.0) == 1
    assert again.next_for("new") is None
    assert again.waiting_for_others(["new"], 1100.0, 1000.0) == 0  # a day old: given up
    assert Outbox(tmp_path / OUTBOX_NAME).entries == {}


def test_a_damaged_line_is_one_warning_and_the_rest_is_delivered(tmp_path: Path) -> None:
    path = tmp_path / OUTBOX_NAME
    outbox = Outbox(path)
    outbox.add(ALERTED, ["a"], 100.0)
    outbox.add(RECOVERY, ["a"], 160.0)
    outbox.close()
    data = path.read_bytes()
    path.write_bytes(b'{"add": {"id": 3}}\n\xff\xfe garbage\n' + data[:-5])  # and a torn last line
    again = Outbox(path)
    assert len(again.warnings) == 1 and "3 damaged line(s) skipped" in again.warnings[0]
    assert list(again.entries) == [ALERTED["id"]]


def test_gave_up_is_done(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / OUTBOX_NAME)
    outbox.add(RECOVERY, ["a"], 100.0)
    outbox.finish(outbox.entries[RECOVERY["id"]], "a", GAVE_UP)
    assert Outbox(tmp_path / OUTBOX_NAME).entries == {}


def test_a_link_is_never_followed_and_the_file_is_0644_at_most(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / OUTBOX_NAME).symlink_to(victim)
    outbox = Outbox(out / OUTBOX_NAME)
    outbox.add(ALERTED, ["a"], 100.0)
    outbox.close()
    assert victim.read_bytes() == b"precious\n"
    info = os.lstat(out / OUTBOX_NAME)
    assert stat.S_ISREG(info.st_mode) and info.st_mode & 0o777 & ~0o644 == 0
    assert len(outbox.warnings) == 1 and "a symbolic link" in outbox.warnings[0]


def test_an_outbox_that_cannot_be_written_delivers_from_memory(tmp_path: Path) -> None:
    (tmp_path / OUTBOX_NAME).mkdir()  # a directory where the file should be
    outbox = Outbox(tmp_path / OUTBOX_NAME)
    assert any("delivering from memory" in warning for warning in outbox.warnings)
    assert outbox.add(ALERTED, ["a"], 100.0) is None
    assert outbox.next_for("a") is not None


JOURNAL_PIECES = [
    b'{"add":{"id":"x","kind":"alert"},"at":1,"targets":["a"]}',
    b'{"done":"x","target":"a","outcome":"delivered"}',
    b'{"add":{"id":"x"}}',
    b'{"add":{"id":"y","kind":"recovered"},"at":"1"}',
    b'{"done":1}',
    b"[]",
    b"null",
    b"[" * 5000,
    b"\x00",
    b"\n",
]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600) | st.lists(st.sampled_from(JOURNAL_PIECES), max_size=8).map(b"\n".join))
def test_reading_any_bytes_never_raises(tmp_path: Path, data: bytes) -> None:
    entries, damaged = read_journal(data)
    assert damaged >= 0 and all(key == entry.id for key, entry in entries.items())
    path = tmp_path / OUTBOX_NAME
    path.write_bytes(data)
    outbox = Outbox(path)
    assert len(outbox.warnings) <= 1 and all("\n" not in warning for warning in outbox.warnings)
    outbox.close()
