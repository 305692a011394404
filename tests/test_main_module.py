"""`python -m analyzer`'s exit: the command's status, its output flushed, no module unloading."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import analyzer.__main__ as entry

BUFFERED = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter (stdout a pipe, so block-buffered), from tmp_path."""
    prelude = "import atexit, sys, threading, time\nfrom analyzer.__main__ import leave\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=BUFFERED,
        timeout=60,
        check=False,
    )


def test_the_status_the_buffered_output_and_the_exit_handlers_survive(tmp_path: Path) -> None:
    done = run(
        "atexit.register(lambda: open('handler-ran', 'w').close())\n"
        "sys.stdout.write('no newline, still in the buffer')\n"
        "sys.stderr.write('and a warning')\n"
        "leave(3)\n",
        tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout == "no newline, still in the buffer"
    assert done.stderr == "and a warning"
    assert (tmp_path / "handler-ran").exists()


def test_a_thread_still_working_is_waited_for(tmp_path: Path) -> None:
    """os._exit would kill it mid-write: the ordinary exit, which joins it, is taken instead."""
    done = run(
        "def late():\n"
        "    time.sleep(0.3)\n"
        "    open('written-by-thread', 'w').close()\n"
        "threading.Thread(target=late).start()\n"
        "leave(0)\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "written-by-thread").exists()


@pytest.mark.parametrize("status", [0, 1, 2])
def test_a_reader_that_went_away_is_no_traceback(tmp_path: Path, status: int) -> None:
    """stdout's reader closed before the final flush: quiet, and the status is the command's."""
    process = subprocess.Popen(
        [sys.executable, "-c", f"from analyzer.__main__ import leave\nprint('x' * 100)\nleave({status})\n"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=BUFFERED,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == status
    assert b"Traceback" not in err


def test_the_command_line_is_loaded_with_the_collector_back_on_and_its_imports_frozen(tmp_path: Path) -> None:
    done = run(
        "import gc\n"
        "from analyzer.__main__ import load_main\n"
        "main = load_main()\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 10_000, main.__module__)\n"
        "leave(0)\n",
        tmp_path,
    )
    assert done.stdout.split() == ["True", "True", "analyzer.cli.main"], done.stderr


def test_a_stop_while_starting_that_an_import_swallowed_still_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library's bare `except:` around an import took the KeyboardInterrupt of a SIGTERM:
    the signal noted still stops the command before it runs (one line and 143 for a backtest,
    0 for the monitor)."""
    monkeypatch.setattr(entry, "_signalled", [])

    def load() -> Callable[[], int]:
        with contextlib.suppress(BaseException):  # what a bare `except: pass` does
            entry._stop(signal.SIGTERM, None)  # the signal, during an import
        return lambda: pytest.fail("the command ran although a stop was asked")

    assert entry.start(["backtest", "access.log"], load) == 128 + signal.SIGTERM
    assert entry.start(["access.log"], load) == 0
    monkeypatch.setattr(entry, "_signalled", [])
    assert entry.start(["check", "access.log"], lambda: lambda: 7) == 7  # no stop: the command's status
