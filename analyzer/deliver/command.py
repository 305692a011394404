"""`--notify-command CMD`: a program run for every transition.

CMD is run by `/bin/sh -c` (so it may be a pipeline or take arguments), in a session of its
own, with the payload as JSON on its standard input and as `ANALYZER_<FIELD>` environment
variables (`ANALYZER_ID`, `ANALYZER_KIND`, `ANALYZER_RULE`, `ANALYZER_TIME`,
`ANALYZER_SECOND`, `ANALYZER_HITS`, `ANALYZER_THRESHOLD`, `ANALYZER_WINDOW_S`,
`ANALYZER_MESSAGE`, `ANALYZER_ONSET`, `ANALYZER_DRIVERS` as JSON where known). Exit status 0
is delivered; any other is a failure, tried again later. Its standard output is discarded (the
monitor's is the screen); the last line of its standard error is recorded with the status. A
command still running after COMMAND_TIMEOUT seconds is killed, with all it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading

from analyzer.deliver.payload import Payload, environment_variables
from analyzer.deliver.receiver import DeliveryError, target_key
from analyzer.ui.text import printable

COMMAND_TIMEOUT = 30.0
TAIL_BYTES = 4096  # of standard error, for its last line
LAST_LINE_WIDTH = 120


def last_line(data: bytes) -> str:
    """The last non-blank line of `data`, printable and cut short."""
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return printable(lines[-1].strip(), LAST_LINE_WIDTH) if lines else ""


def exit_text(status: int) -> str:
    """`exit 3`, or the signal that ended it (`killed by SIGSEGV`)."""
    if status >= 0:
        return f"exit {status}"
    try:
        return f"killed by {signal.Signals(-status).name}"
    except ValueError:
        return f"killed by signal {-status}"


class Command:
    def __init__(self, command: str, number: int = 1, timeout: float = COMMAND_TIMEOUT) -> None:
        self.command = command
        self.timeout = timeout
        self.key = target_key("command", command)
        # The command itself may hold a token (curl -H 'Authorization: ...'): never printed.
        self.name = "notify-command" + (f" #{number}" if number > 1 else "")
        self.running: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def send(self, body: Payload) -> str:
        data = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        environment = {**os.environ, **environment_variables(body)}
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty command never blocks
            try:
                process = subprocess.Popen(
                    ["/bin/sh", "-c", self.command],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    env=environment,
                    start_new_session=True,  # its own process group: killed whole on a timeout
                    close_fds=True,
                )
            except OSError as error:
                raise DeliveryError(f"cannot run it: {error.strerror}") from None
            with self.lock:
                self.running = process
            try:
                status = self._wait(process, data)
            finally:
                with self.lock:
                    self.running = None
            size = errors.seek(0, os.SEEK_END)
            errors.seek(max(0, size - TAIL_BYTES))
            said = last_line(errors.read())
        outcome = exit_text(status) if status is not None else f"killed after {self.timeout:g} s"
        detail = f"{outcome}: {said}" if said else outcome
        if status != 0:
            raise DeliveryError(detail)
        return detail

    def _wait(self, process: subprocess.Popen[bytes], data: bytes) -> int | None:
        """Its exit status; None if it ran out of time (then it is killed, with its group)."""
        try:
            process.communicate(data, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._kill(process)
            process.communicate()
            return None
        except OSError:  # it closed its standard input early (did not read it): fine
            process.wait(timeout=self.timeout)
        return process.returncode

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)

    def abort(self) -> None:
        """The monitor stops: a command still running is killed (it stays pending: the next
        start runs it again)."""
        with self.lock:
            process = self.running
        if process is not None and process.poll() is None:
            self._kill(process)
