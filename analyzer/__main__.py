"""`python -m analyzer`: the command line.

Ctrl-C or SIGTERM while the program is still starting (its imports take a second) is never a
traceback: nothing was read yet, so there is nothing to flush. For the monitor it is a clean
stop (0); a command with an end (backtest, replay, check) is not done: 130 or 143 and one line.
"""

import atexit
import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

ENDING = ("backtest", "replay", "check")  # commands that a stop leaves not done
_signalled: list[int] = []


def _stop(signum: int, frame: FrameType | None) -> None:
    _signalled.append(signum)
    raise KeyboardInterrupt


def stopped_while_starting(argv: list[str], signum: int) -> int:
    """The exit status of a command stopped before it installed its own clean stop (its one
    line written for a command with an end, whose outputs were not begun)."""
    command = argv[0] if argv else ""  # a subcommand comes first (cli.main)
    if command not in ENDING:
        return 0
    name = signal.Signals(signum).name
    sys.stderr.write(f"analyzer: {command} stopped by {name} while starting: nothing was read\n")
    return 128 + signum


def load_main() -> Callable[[], int]:
    """analyzer.cli.main.main, imported with the garbage collector off, then the objects the
    imports made frozen out of its way.

    Imports allocate hundreds of thousands of objects and no garbage: the collector ran about
    150 times over them, 0.07-0.09 s of every command's start (measured here). Frozen, they
    are not traversed again by the collections of a monitor left open all day.
    """
    gc.disable()
    try:
        from analyzer.cli.main import main
    finally:
        gc.enable()
    gc.freeze()
    return main


STOP_GRACE = 1.0  # seconds a stopped command's exit may take before it is cut short


def _exit_now(status: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


def leave(status: int) -> None:
    """Exit with `status` once the command is done, without unloading every module.

    Unloading pandas and pyarrow at exit takes 0.15 s (measured here), paid by every command,
    a tenth of a 2M-line backtest. Everything the command wrote is already flushed (each sink
    flushes what it writes), exit handlers (coverage's, multiprocessing's) still run and the
    standard streams are flushed; a thread still running gets the usual exit, which waits.
    """
    if status in (128 + signal.SIGINT, 128 + signal.SIGTERM):  # a backtest or replay stopped
        # Within 2 s, whatever a cleanup waits for (a Dask cluster caught starting; a thread):
        # its one line is written, its outputs flushed row by row already.
        watchdog = threading.Timer(STOP_GRACE, _exit_now, (status,))
        watchdog.daemon = True
        watchdog.start()
    others = [thread for thread in threading.enumerate() if thread is not threading.main_thread()]
    if any(thread.is_alive() and not thread.daemon for thread in others):
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the reader went away, or it was closed
            stream.flush()
    os._exit(status)


def start(argv: list[str], load: Callable[[], Callable[[], int]] = load_main) -> int:
    """Load the command line and run the command, unless a stop came while starting.

    A stop during the imports is a KeyboardInterrupt raised wherever the import is, and a
    library's bare `except:` there can swallow it (checked: 1 start in about 50 stopped so went
    on as if never asked, a monitor for good, a backtest to its end and exit 0): the signal
    noted by `_stop` is what says a stop was asked, whatever became of the exception."""
    try:
        main = load()
        if _signalled:
            raise KeyboardInterrupt
        return main()
    except KeyboardInterrupt:
        return stopped_while_starting(argv, _signalled[-1] if _signalled else signal.SIGINT)


if __name__ == "__main__":
    for number in (signal.SIGINT, signal.SIGTERM):  # until a command installs its own clean stop
        signal.signal(number, _stop)
    leave(start(sys.argv[1:]))
