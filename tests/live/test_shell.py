"""The monitor command's process helpers: the files a pattern names, and stopping on signals."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from analyzer.live.shell import SPARE_FILES, expand_paths, open_file_room, stop_signals
from tests.conftest import LIVE_T0, clf_line


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


def test_two_thousand_logs_at_the_usual_soft_limit_are_followed_or_refused_in_one_line(
    tmp_path: Path,
) -> None:
    """The soft limit of open files (1,024 here) is raised to the hard one at start; past the hard
    one, one line and exit 2: never `Too many open files` as a traceback."""
    for number in range(2000):
        (tmp_path / f"a{number:04d}.log").write_bytes(clf_line(LIVE_T0) * 2)

    def usual_limit() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer", str(tmp_path / "a*.log"), "--plain", "--out", str(tmp_path / "o")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=usual_limit,  # noqa: PLW1509
    )
    # Following (its first checkpoint written) or refused (exited): bounded, not a fixed wait,
    # which on a loaded machine stopped it during its imports, before it read a line.
    deadline = time.monotonic() + 180
    while process.poll() is None and not (tmp_path / "o" / "checkpoint.json").exists():
        assert time.monotonic() < deadline, "neither following nor refused after 180 s"
        time.sleep(0.1)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    if hard == resource.RLIM_INFINITY or hard >= 2000 + SPARE_FILES:
        assert process.returncode == 0 and b"Traceback" not in err, err
        assert b"4,000 lines read back" in out
    else:
        assert process.returncode == 2 and err.count(b"\n") == 1 and b"open files" in err


def test_the_room_for_open_files_is_said_when_it_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (1024, 1024))
    monkeypatch.setattr(resource, "setrlimit", lambda kind, limits: None)
    assert open_file_room(900) is None
    said = open_file_room(2000)
    assert said is not None and "2,064 open files" in said and "1,024" in said
