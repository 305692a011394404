"""The monitor command's process helpers: the files a pattern names, and stopping on signals."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from analyzer.live.shell import expand_paths, stop_signals


def test_patterns_expand_once_sorted_and_without_duplicates(tmp_path: Path) -> None:
    """A quoted glob is expanded here (sorted, directories left out); a path named twice counts once."""
    for name in ("b.log", "a.log", "c.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "d.log").mkdir()
    paths, unmatched = expand_paths(
        [str(tmp_path / "*.log"), str(tmp_path / "a.log"), str(tmp_path / "x*.log")]
    )
    assert paths == [str(tmp_path / "a.log"), str(tmp_path / "b.log")]
    assert unmatched == [str(tmp_path / "x*.log")]


def test_a_missing_plain_path_is_kept_for_wait(tmp_path: Path) -> None:
    """A path without pattern characters is kept as given, existing or not (--wait may wait for it)."""
    assert expand_paths([str(tmp_path / "later.log")]) == ([str(tmp_path / "later.log")], [])


def test_sigterm_and_ctrl_c_ask_for_a_clean_stop() -> None:
    """SIGTERM sets the stop flag instead of killing; a second Ctrl-C interrupts at once."""
    before = signal.getsignal(signal.SIGTERM)
    with stop_signals() as stop:
        assert not stop()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) == before


def test_outside_the_main_thread_no_handler_is_installed() -> None:
    """In another thread (tests, embedding) the flag stays usable and no signal is touched."""
    seen: list[bool] = []

    def body() -> None:
        with stop_signals() as stop:
            seen.append(stop())

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [False]
