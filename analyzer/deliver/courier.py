"""The delivery listener: transitions into the outbox at once, out to receivers on threads.

The monitor's thread only appends a line to the outbox (one `write`) and wakes the
receivers' threads: it never waits for a receiver. Each receiver has a thread of its own, so
a hanging webhook does not hold back a command, and takes the outbox's entries in order: the
oldest not yet delivered to it, tried until delivered or given up (see `retry`). What happens
is told through `notices()`, one line each, shown by the display: `delivered`, `retrying (3):
connection refused`, `gave up after 24h`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from analyzer.core.alerts import Transition
from analyzer.core.engine import Report
from analyzer.deliver.alertmanager import RESEND_SECONDS, Alertmanager
from analyzer.deliver.outbox import DELIVERED, GAVE_UP, Entry, Outbox
from analyzer.deliver.payload import payload
from analyzer.deliver.receiver import DeliveryError, Target
from analyzer.deliver.retry import GIVE_UP_AGE, Retry, age_text
from analyzer.ui.display import Status

PREFIX = "analyzer: delivery:"
WAKE_EVERY = 0.5  # seconds a thread sleeps at most between looks at the clocks
CLOSE_GRACE = 2.0  # seconds a stop waits for deliveries due now


class Courier:
    """A `Listener` (ui.display) that delivers every transition to every receiver."""

    def __init__(
        self,
        outbox: Outbox,
        targets: Sequence[Target],
        wall: Callable[[], float],
        monotonic: Callable[[], float],
        give_up_age: float = GIVE_UP_AGE,
        first_wait: float = 1.0,
        wake_every: float = WAKE_EVERY,
        close_grace: float = CLOSE_GRACE,
    ) -> None:
        self.outbox = outbox
        self.targets = list(targets)
        self.wall, self.monotonic = wall, monotonic
        self.give_up_age, self.first_wait = give_up_age, first_wait
        self.wake_every, self.close_grace = wake_every, close_grace
        self.said: deque[str] = deque(f"{PREFIX} warning: {text}" for text in outbox.warnings)
        self.wakes = [threading.Event() for _ in targets]  # one a thread: none misses a wake-up
        self.closing = threading.Event()
        keys = [target.key for target in self.targets]
        others = outbox.waiting_for_others(keys, wall(), give_up_age)
        if others:
            self.said.append(
                f"{PREFIX} {others} transition(s) wait in the outbox for receivers not given now"
            )
        for target in self.targets:
            if isinstance(target, Alertmanager):
                target.now = wall
                for entry in outbox.firing().values():
                    if entry.done.get(target.key) == DELIVERED:
                        target.fired(entry.body)  # delivered before a restart: still firing
        self.threads = [
            threading.Thread(
                target=self._run, args=(target, wake), name=f"deliver {target.name}", daemon=True
            )
            for target, wake in zip(self.targets, self.wakes, strict=True)
        ]
        for thread in self.threads:
            thread.start()

    # The Listener's calls, on the monitor's thread: each returns at once and never raises.

    def transition(self, transition: Transition) -> None:
        try:
            body = payload(transition)
            warning = self.outbox.add(body, [target.key for target in self.targets], self.wall())
        except Exception as error:  # never the monitor's problem: said, and the next one goes on
            warning = f"cannot queue a transition ({type(error).__name__})"
        if warning:
            self.said.append(f"{PREFIX} warning: {warning}")
        for wake in self.wakes:
            wake.set()

    def first(self, report: Report) -> None:
        """Nothing to deliver: a report is not a transition."""

    def report(self, report: Report) -> None:
        """Nothing to deliver: a report is not a transition."""

    def status(self, status: Status) -> None:
        """Nothing to deliver: the state is re-sent from what was delivered."""

    def notices(self) -> list[str]:
        said = []
        while self.said:
            said.append(self.said.popleft())
        return said

    def close(self) -> None:
        """Let the deliveries due now finish (up to CLOSE_GRACE seconds), then stop; what is
        left stays in the outbox for the next start."""
        self.closing.set()
        for wake in self.wakes:
            wake.set()
        deadline = time.monotonic() + self.close_grace  # a real wait, whatever clock is injected
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for target, thread in zip(self.targets, self.threads, strict=True):
            if thread.is_alive():
                target.abort()
        self.outbox.close()

    # The receivers' threads.

    def _run(self, target: Target, wake: threading.Event) -> None:
        retry = Retry(first_wait=self.first_wait, give_up_age=self.give_up_age)
        resend_at = self.monotonic()  # an alert still firing at a start: its lease renewed at once
        while True:
            wake.clear()  # before looking: a transition added after the look wakes the wait below
            entry = self.outbox.next_for(target.key)
            if entry is not None and retry.due(self.monotonic()):
                self._try(target, entry, retry)
                resend_at = self.monotonic() + RESEND_SECONDS
                continue
            if self.closing.is_set():
                return  # nothing due now: the rest waits in the outbox
            if entry is None and isinstance(target, Alertmanager) and self.monotonic() >= resend_at:
                self._resend(target)
                resend_at = self.monotonic() + RESEND_SECONDS
            until_due = retry.next_at - self.monotonic() if entry is not None else self.wake_every
            wake.wait(min(self.wake_every, max(0.0, until_due)))

    def _try(self, target: Target, entry: Entry, retry: Retry) -> None:
        what = f"{PREFIX} {target.name}: {entry.body.get('kind')} at {entry.body.get('time')}"
        try:
            detail = target.send(entry.body)
        except DeliveryError as error:
            reason = str(error)
        except Exception as error:  # a receiver's bug, a damaged payload: one line, not a traceback
            reason = f"failed ({type(error).__name__})"
        else:
            tries = f" after {retry.failures + 1} tries" if retry.failures else ""
            self.said.append(f"{what} delivered{tries} ({detail})")
            self._finish(entry, target, DELIVERED, retry)
            return
        give_up, say = retry.failed(reason, self.monotonic(), self.wall(), entry.added)
        if give_up:
            age = age_text(self.give_up_age)
            self.said.append(f"{what} gave up after {age} ({retry.failures} tries): {reason}")
            self._finish(entry, target, GAVE_UP, retry)
        elif say:
            self.said.append(f"{what} retrying ({retry.failures}): {reason}")

    def _finish(self, entry: Entry, target: Target, outcome: str, retry: Retry) -> None:
        retry.reset()
        try:
            warning = self.outbox.finish(entry, target.key, outcome)
        except Exception as error:
            warning = f"cannot record a delivery ({type(error).__name__})"
        if warning:
            self.said.append(f"{PREFIX} warning: {warning}")

    def _resend(self, target: Alertmanager) -> None:
        try:
            target.resend()
        except DeliveryError as error:
            self.said.append(f"{PREFIX} {target.name}: re-sending the alert firing failed: {error}")
        except Exception as error:
            self.said.append(f"{PREFIX} {target.name}: re-sending failed ({type(error).__name__})")
