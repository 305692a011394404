"""Delivery of alerts, live, to real receivers: issue 27's closing evidence (about 2 minutes).

    python benchmarks/bench_delivery.py [--part alertmanager|outage]

A real monitor (`python -m analyzer LOG --plain --interval 1 --window 5 --threshold 4
--lateness 1`) follows a log appended with the current time, one write() per line
(bench_live's writer): 1 line/s, and bursts of 20 lines/s for 6 s (alert ~2 s in, recovery
~5 s after). alertmanager: a real Alertmanager (the tests' `alertmanager()`: 127.0.0.1, its
own config and storage, stopped by pid), routed to a webhook here with `send_resolved`;
`amtool alert query` while it fires and after the recovery, then Alertmanager's own
notifications. outage: the `--webhook` receiver is down (the monitor SIGKILLed with two
transitions held, restarted), answers 500, hangs past the 10 s timeout (acting on what it
got: the retry is a duplicate), then works; four bursts; alerts.csv against what arrived,
and the ticks (stats.csv's overruns; gaps between its rows, seen every 20 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

# The repository's root: its `analyzer` (the one the monitor runs, from its cwd) and the tests' receivers.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_live import write_lines

from analyzer.deliver.outbox import OUTBOX_NAME, read_journal
from tests.deliver import receivers
from tests.deliver.receivers import Receiver, active_alerts, alertmanager, receiver, wait_for

REPO = Path(__file__).resolve().parents[1]
RULE = ["--interval", "1", "--window", "5", "--threshold", "4", "--lateness", "1"]
QUIET_RATE, BURST_RATE, BURST_SECONDS = 1, 20, 6
HANG_ANSWER = 12.0  # seconds the hanging receiver takes to answer: past the 10 s timeout
ROUTED = """route: {receiver: bench, group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: bench, webhook_configs: [{url: "%s", send_resolved: true}]}]
"""
Kinds = list[tuple[str, str]]  # (kind, time) of transitions, as alerts.csv has them


class Writer(threading.Thread):
    """Quiet, with bursts starting at the given seconds from its start, until stopped."""

    def __init__(self, log: Path, bursts: list[int]) -> None:
        super().__init__(daemon=True)
        self.log, self.bursts, self.stopped = log, bursts, threading.Event()
        self.start()

    def run(self) -> None:
        began = time.monotonic()
        for second in itertools.count():  # each second's lines spread over it by bench_live's writer
            bursting = any(start <= second < start + BURST_SECONDS for start in self.bursts)
            write_lines(str(self.log), BURST_RATE if bursting else QUIET_RATE, 1.0)
            if self.stopped.wait(max(0.0, began + second + 1 - time.monotonic())):
                return

    def stop(self) -> None:
        self.stopped.set()
        self.join(5)


class SlowHandler(receivers.Handler):
    """The tests' handler, each request noted with the receiver's mode; `hang` acts on the
    transition, then answers HANG_ANSWER s later, past the sender's timeout."""

    server: OutageReceiver

    def do_POST(self) -> None:
        mode = self.server.mode
        self.server.seen.append(mode)
        if mode != "hang":
            super().do_POST()
            return
        self.server.bodies.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0")))))
        time.sleep(HANG_ANSWER)
        with contextlib.suppress(OSError):  # the sender gave up long ago
            self.send_response(200)
            self.end_headers()


class OutageReceiver(Receiver):
    """The tests' receiver with SlowHandler (set once it listens: it is started right after a
    refused try, so the monitor's next one comes at least 2 s later)."""

    def __init__(self, port: int) -> None:
        self.seen: list[str] = []
        super().__init__(port)
        self.RequestHandlerClass = SlowHandler


def start_monitor(log: Path, out: Path, delivery: list[str], screen: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "analyzer", str(log), "--plain", "--out", str(out), *RULE, *delivery]
    monitor = subprocess.Popen(command, cwd=REPO, stdout=screen.open("ab"), stderr=subprocess.STDOUT)
    wait_for(lambda: (out / "checkpoint.json").exists() or monitor.poll() is not None, 30, "the monitor")
    return monitor


def stop_monitor(monitor: subprocess.Popen[bytes]) -> int:
    """Ctrl-C, as a person stops it (killed if it has not stopped 15 s later); its exit status."""
    if monitor.poll() is None:
        monitor.send_signal(signal.SIGINT)
        try:
            monitor.wait(15)
        except subprocess.TimeoutExpired:
            monitor.kill()
    return monitor.wait()


def transitions(out: Path) -> Kinds:
    with contextlib.suppress(FileNotFoundError), open(out / "alerts.csv", newline="") as handle:
        return [(row["kind"], row["time"]) for row in csv.DictReader(handle)]
    return []


def amtool(url: str, *args: str) -> str:
    command = ["amtool", f"--alertmanager.url={url}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    return f"$ amtool {' '.join(command[1:])}\n{done.stdout}{done.stderr}"


def alertmanager_part(folder: Path) -> None:
    log, out = folder / "access.log", folder / "out"
    log.write_bytes(b"")
    with receiver() as notified, receiver() as hook, alertmanager(folder) as url:
        (folder / "am.yml").write_text(ROUTED % (notified.url + "/alertmanager"))
        urllib.request.urlopen(urllib.request.Request(f"{url}/-/reload", method="POST"), timeout=5).close()
        delivery = ["--alertmanager", url, "--webhook", hook.url + "/hook"]
        monitor = start_monitor(log, out, delivery, folder / "screen.txt")
        writer = Writer(log, bursts=[3])
        try:
            for kind, shown, listed in (
                ("alert", lambda: active_alerts(url), "lists it"),
                ("recovered", lambda: not active_alerts(url), "drops the alert"),
            ):
                wait_for(lambda kind=kind: kind in dict(transitions(out)), 40, f"the {kind} in alerts.csv")
                written = time.monotonic()
                wait_for(shown, 10, f"the {kind} in Alertmanager")
                print(
                    f"alerts.csv: {transitions(out)[-1]}; Alertmanager's API {listed} "
                    f"{time.monotonic() - written:.3f} s later (polled every 20 ms)\n"
                )
                print(amtool(url, "alert", "query"))
                if kind == "alert":
                    print(amtool(url, "-o", "extended", "alert", "query"))
            print(f"$ curl {url}/api/v2/alerts\n{json.dumps(active_alerts(url))}\n")
            resolved = lambda: any(body["status"] == "resolved" for body in notified.bodies)  # noqa: E731
            wait_for(resolved, 20, "Alertmanager's notification of the resolution")
            print("Alertmanager's own notifications to its webhook (send_resolved: true):")
            for body in notified.bodies:
                for alert in body["alerts"]:
                    name, starts, ends = alert["labels"]["alertname"], alert["startsAt"], alert["endsAt"]
                    print(f"  {body['status']:>8}  {name}  startsAt {starts}  endsAt {ends}")
            print(f"\n--webhook: {len(hook.bodies)} received of {len(transitions(out))} in alerts.csv")
        finally:
            writer.stop()
            stop_monitor(monitor)


class Gaps(threading.Thread):
    """When stats.csv's rows appear (seen every 20 ms), by the monitor's run (`generation`,
    bumped by the caller before each start): the longest gap between two rows of one run."""

    def __init__(self, stats: Path) -> None:
        super().__init__(daemon=True)
        self.stats, self.generation, self.rows = stats, 0, 0
        self.seen: dict[int, list[float]] = {}
        self.stopped = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stopped.wait(0.02):
            rows = max(0, self.stats.read_bytes().count(b"\n") - 1) if self.stats.exists() else 0
            self.seen.setdefault(self.generation, []).extend([time.monotonic()] * (rows - self.rows))
            self.rows = rows

    def longest(self) -> float:
        self.stopped.set()
        self.join(1)
        return max((b - a for times in self.seen.values() for a, b in itertools.pairwise(times)), default=0.0)


def held(out: Path) -> Kinds:
    entries, _ = read_journal((out / OUTBOX_NAME).read_bytes())
    return [(str(e.body["kind"]), str(e.body["time"])) for e in entries.values() if not e.done]


def received(server: Receiver) -> set[tuple[str, str]]:
    return {(body["kind"], body["time"]) for body in server.bodies}


def outage_part(folder: Path) -> None:
    log, out = folder / "access.log", folder / "out"
    screens = [folder / "screen1.txt", folder / "screen2.txt"]  # the first monitor's, the restarted one's
    log.write_bytes(b"")
    port = receivers.free_port()
    hook = ["--webhook", f"http://127.0.0.1:{port}/hook"]
    gaps = Gaps(out / "stats.csv")
    monitor = start_monitor(log, out, hook, screens[0])
    began, writer = time.monotonic(), Writer(log, bursts=[2, 22, 40, 58])
    server, kept = None, []

    def say(what: str) -> None:
        print(
            f"{time.monotonic() - began:5.1f} s  {what} ({len(transitions(out))} in alerts.csv)", flush=True
        )

    try:
        say("receiver down (nothing listens on its port)")
        wait_for(lambda: len(transitions(out)) >= 2, 40, "the first alert and its recovery")
        wait_for(lambda: "retrying" in screens[0].read_text(), 10, "a failed try")
        kept = held(out)
        monitor.send_signal(signal.SIGKILL)
        monitor.wait(10)
        say(f"monitor SIGKILLed, its outbox holding {len(kept)} undelivered {kept}; restarted")
        gaps.generation += 1
        monitor = start_monitor(log, out, hook, screens[1])
        wait_for(lambda: screens[1].read_text().count("refused") >= 2, 20, "refused tries after the restart")
        server = up = OutageReceiver(port)
        up.mode = "fail"
        say("receiver up, answering 500")
        wait_for(lambda: "fail" in up.seen, 30, "a try answered 500")
        up.mode = "hang"
        say(f"receiver hangs: acts on what it gets, answers {HANG_ANSWER:g} s later")
        wait_for(lambda: "hang" in up.seen, 30, "a try that hangs")
        time.sleep(10.5)  # the delivery timeout of the try in flight
        up.mode = "ok"
        say("receiver works (200 at once)")
        expected = 2 * len(writer.bursts)
        wait_for(lambda: len(transitions(out)) >= expected, 60, f"{expected} transitions in alerts.csv")
        wait_for(lambda: received(up) >= set(transitions(out)), 90, "every transition delivered")
        say("all delivered")
    finally:
        writer.stop()
        status = stop_monitor(monitor)
        if server is not None:
            server.stop()
    report(out, screens, up, gaps, kept, status)


def report(
    out: Path, screens: list[Path], server: OutageReceiver, gaps: Gaps, kept: Kinds, status: int
) -> None:
    rows, ids = transitions(out), [body["id"] for body in server.bodies]
    in_order = list(dict.fromkeys((body["id"], body["kind"], body["time"]) for body in server.bodies))
    with open(out / "stats.csv", newline="") as handle:
        overruns = sum(int(row["overruns"] or 0) for row in csv.DictReader(handle))
    said = [screen.read_text(errors="replace") for screen in screens]
    # The killed monitor's tries: its last `retrying (N)` (said at the 1st, 2nd, 4th ... failure).
    before = max(map(int, re.findall(r"retrying \((\d+)\)", said[0])), default=0)
    after = sum(int(n or 1) for n in re.findall(r" delivered(?: after (\d+) tries)?", said[1]))
    modes = Counter(server.seen)
    table = [
        ("transitions written to alerts.csv", len(rows)),
        ("deliveries attempted (the monitors' own count)", f"{after} after the restart, >= {before} before"),
        ("POSTs reaching the receiver, by its mode", f"{len(server.seen)}: {dict(modes)}"),
        ("received (raw, acted on)", len(ids)),
        ("distinct ids received", len(set(ids))),
        ("duplicates dropped", len(ids) - len(set(ids))),
        ("held at the SIGKILL, delivered after the restart", len(set(kept) & received(server))),
        ("ids missing", len(set(rows) - received(server))),
        ("order preserved", "yes" if (ordered := [(kind, at) for _, kind, at in in_order] == rows) else "NO"),
        ("ticks late (stats.csv overruns)", overruns),
        ("longest gap between two reports (--interval 1)", f"{gaps.longest():.2f} s"),
        ("the restarted monitor's exit status after Ctrl-C", status),
        ("tracebacks on the monitors' output", sum(text.count("Traceback") for text in said)),
    ]
    print()
    for name, value in table:
        print(f"{name:<52} {value}")
    print("\nthe monitors' delivery lines:")
    print("\n".join(f"  {line}" for text in said for line in text.splitlines() if "delivery:" in line))
    if not ordered or overruns or status:
        raise SystemExit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["alertmanager", "outage", "both"], default="both")
    args = parser.parse_args()
    for name, part in (("alertmanager", alertmanager_part), ("outage", outage_part)):
        if args.part in (name, "both"):
            print(f"\n== {name} ==\n", flush=True)
            part(Path(tempfile.mkdtemp(prefix=f"bench-delivery-{name}-")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
