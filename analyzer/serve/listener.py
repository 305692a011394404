"""The web page's listener: hears the monitor and hands the server what to serve.

Runs on the monitor's thread: each call makes the JSON of what happened (a few dozen values),
stores it in `LiveState` and offers it to each event stream's queue, and returns. The sockets
are the server threads' business; nothing here waits for a client.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from analyzer.core.alerts import Transition
from analyzer.core.report import Report
from analyzer.serve.events import Hub
from analyzer.serve.snapshot import report_json, status_json, transition_json
from analyzer.serve.state import LiveState
from analyzer.ui.display import Status


class WebListener:
    def __init__(self, state: LiveState, hub: Hub, stop: Callable[[], None], top: int = 10) -> None:
        self.state = state
        self.hub = hub
        self.stop = stop
        self.top = top
        self.said: list[str] = []  # notices not yet taken by the monitor
        self.told: set[str] = set()  # every notice ever made: each said once
        self.lock = threading.Lock()

    def _guarded(self, what: str, action: Callable[[], None]) -> None:
        """A listener never raises into the monitor: a failure is a notice, once per kind."""
        try:
            action()
        except Exception as error:
            note = f"analyzer: warning: the web page could not take a {what}: {error!r}"
            with self.lock:
                if note not in self.told:
                    self.told.add(note)
                    self.said.append(note)

    def first(self, report: Report) -> None:
        self._guarded("report", lambda: self._report(report, closed=False))

    def report(self, report: Report) -> None:
        self._guarded("report", lambda: self._report(report, closed=True))

    def _report(self, report: Report, closed: bool) -> None:
        data = report_json(report, self.top)
        self.state.set_report(data, report, closed, self.top)
        self.hub.publish("report", {**data, "rules": self.state.rules_json()})

    def transition(self, transition: Transition) -> None:
        def publish() -> None:
            data = transition_json(transition)
            self.state.set_transition(transition)
            self.state.keep_drivers(transition.second, transition.message, str(data["drivers"]))
            self.hub.publish("transition", data)

        self._guarded("transition", publish)

    def status(self, status: Status) -> None:
        def publish() -> None:
            data = status_json(status)
            self.state.set_status(data, status)
            self.hub.publish("status", {**data, "rules": self.state.rules_json()})

        self._guarded("status", publish)

    def notices(self) -> list[str]:
        with self.lock:
            fresh, self.said = self.said, []
        return fresh

    def close(self) -> None:
        self.state.stop()
        with contextlib.suppress(Exception):  # stopping: nothing left to tell
            self.stop()
