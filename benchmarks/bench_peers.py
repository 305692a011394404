"""The backtest's question answered by polars, DuckDB and chDB beside `python -m analyzer backtest`.

    python benchmarks/bench_peers.py [LOG] [--lines 2000000] [--repeat 3]
    python benchmarks/bench_peers.py --lines 20000000 --repeat 1     # 40 hours of log, 4.35 GB

The question: when would alerts at 4 thresholds (5, 10, 20, 50 req/s over 120 s) have fired
and recovered. Each contender is a whole process with its imports, run in turn (one round
after the other, so a busy machine slows them alike), best of --repeat. The peers run the
queries of /work/shared/perf-notes.md:

- polars: `read_csv` of whole lines (`separator="\\x01"`, `quote_char=None`), `str.extract` of
  the time and the status, `strptime`, `group_by` second, `rolling_sum(120)`, transitions at
  the 4 thresholds;
- DuckDB: the same in SQL (`read_csv` of one VARCHAR column, `regexp_extract`, `strptime`, a
  window `sum() OVER (ROWS 119 PRECEDING)`), `threads=2`;
- chDB (ClickHouse in-process): the same in ClickHouse SQL (`file(LOG, 'LineAsString')`,
  `extract`, `parseDateTimeOrNull`, `sum() OVER (ROWS BETWEEN 119 PRECEDING ...)`, `lagInFrame`);
- analyzer: `python -m analyzer backtest LOG --threshold 5 10 20 50 --out TMP` (every CSV written,
  the 10 s reports and sections included: more work than the peers do).

The analyzer's modules are compiled to bytecode first, as an installed package's are.
A peer that is not installed (`pip install -e '.[bench]'`) is left out. Prints wall time, CPU
time (user + system of the process and its workers: on a machine shared with other work the
wall time is noisy, the CPU time much less), peak RSS of the largest process of each run
(parent or worker), the ratios to polars, and the load average around the runs.
The log is made by make_log.py when missing (benchmarks/data/, git-ignored).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
THRESHOLDS = (5, 10, 20, 50)
WINDOW = 120

POLARS = r"""
import sys
import polars as pl

lines = pl.read_csv(
    sys.argv[1], has_header=False, separator="\x01", quote_char=None, new_columns=["line"],
    schema={"line": pl.String}, encoding="utf8-lossy", truncate_ragged_lines=True,
)
parsed = lines.lazy().select(
    pl.col("line").str.extract(r"\[([^\]]+)\]", 1)
    .str.strptime(pl.Datetime("us", "UTC"), "%d/%b/%Y:%H:%M:%S %z", strict=False)
    .dt.epoch("s").alias("second"),
    pl.col("line").str.extract(r'" ([0-9]{3}) ', 1).alias("status"),
).filter(pl.col("second").is_not_null() & pl.col("status").is_not_null())
per_second = (
    parsed.group_by("second").agg(pl.len().alias("hits")).sort("second")
    .with_columns(pl.col("hits").rolling_sum(@WINDOW@, min_samples=1).alias("total"))
)
on = [(pl.col("total") > t * @WINDOW@).alias(f"on{t}") for t in @THRESHOLDS@]
flips = [(pl.col(f"on{t}") != pl.col(f"on{t}").shift(1, fill_value=False)).sum() for t in @THRESHOLDS@]
changes = per_second.with_columns(on).select(flips).collect()
print("transitions", changes.row(0))  # per threshold, in order
""".replace("@WINDOW@", str(WINDOW)).replace("@THRESHOLDS@", str(list(THRESHOLDS)))

DUCKDB = (
    r"""
import sys
import duckdb

con = duckdb.connect()
con.execute("SET threads=2")
rows = con.execute('''
WITH lines AS (
    SELECT line FROM read_csv(?, columns={'line': 'VARCHAR'}, delim='\x01', quote='', escape='',
                              header=false, auto_detect=false, ignore_errors=true)
), parsed AS (
    SELECT epoch(try_strptime(regexp_extract(line, '\[([^\]]+)\]', 1), '%d/%b/%Y:%H:%M:%S %z'))::BIGINT
               AS second,
           regexp_extract(line, '" ([0-9]{3}) ', 1) AS status
    FROM lines
), per_second AS (
    SELECT second, count(*) AS hits FROM parsed WHERE second IS NOT NULL AND status <> '' GROUP BY second
), windowed AS (
    SELECT second, sum(hits) OVER (ORDER BY second ROWS @ROWS@ PRECEDING) AS total FROM per_second
), judged AS (
    SELECT threshold, second, total > threshold * @WINDOW@ AS alert_on
    FROM windowed, (SELECT unnest(@THRESHOLDS@) AS threshold)
), changes AS (
    SELECT threshold,
           alert_on <> coalesce(lag(alert_on) OVER (PARTITION BY threshold ORDER BY second), false) AS changed
    FROM judged
)
SELECT threshold, sum(changed::INT) FROM changes GROUP BY threshold ORDER BY threshold
''', [sys.argv[1]]).fetchall()
print("transitions", rows)
""".replace("@WINDOW@", str(WINDOW))
    .replace("@ROWS@", str(WINDOW - 1))
    .replace("@THRESHOLDS@", str(list(THRESHOLDS)))
)

CHDB = (
    r"""
import sys
import chdb

log = sys.argv[1].replace("\\", "\\\\").replace("'", "\\'")  # a ClickHouse string literal
rows = chdb.query('''
WITH per_second AS (
    SELECT toUnixTimestamp(parseDateTimeOrNull(extract(line, '\\[([^\\]]+)\\]'), '%d/%b/%Y:%H:%i:%s %z'))
               AS second,
           count() AS hits
    FROM file('@LOG@', 'LineAsString')
    WHERE second IS NOT NULL AND extract(line, '" ([0-9]{3}) ') != ''
    GROUP BY second
), windowed AS (
    SELECT second, sum(hits) OVER (ORDER BY second ROWS BETWEEN @ROWS@ PRECEDING AND CURRENT ROW) AS total
    FROM per_second
), judged AS (
    SELECT threshold, second, total > threshold * @WINDOW@ AS alert_on
    FROM windowed ARRAY JOIN @THRESHOLDS@ AS threshold
), changes AS (
    SELECT threshold,
           alert_on != lagInFrame(alert_on, 1, false) OVER (
               PARTITION BY threshold ORDER BY second ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
           ) AS changed
    FROM judged
)
SELECT threshold, sum(changed) FROM changes GROUP BY threshold ORDER BY threshold
'''.replace("@LOG@", log), "CSV")
print("transitions", str(rows).split())
""".replace("@WINDOW@", str(WINDOW))
    .replace("@ROWS@", str(WINDOW - 1))
    .replace("@THRESHOLDS@", str(list(THRESHOLDS)))
)


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the process and its waited-for children
    peak_rss_mb: float  # the largest process of the run (a parent or one of its workers)
    output: str


def run_process(argv: list[str], env: dict[str, str]) -> Run:
    """Run a whole process; wall time and the peak RSS of it and its waited-for children."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({process.returncode}):\n{output}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output)


def contenders(log: Path, out: str) -> dict[str, list[str]]:
    python = sys.executable
    found = {"wc -l": ["wc", "-l", str(log)]}
    if importlib.util.find_spec("polars"):
        found["polars"] = [python, "-c", POLARS, str(log)]
    if importlib.util.find_spec("duckdb"):
        found["duckdb"] = [python, "-c", DUCKDB, str(log)]
    if importlib.util.find_spec("chdb"):
        found["chdb"] = [python, "-c", CHDB, str(log)]
    thresholds = [str(t) for t in THRESHOLDS]
    found["analyzer backtest"] = [
        python, "-m", "analyzer", "backtest", str(log), "--threshold", *thresholds,
        "--window", str(WINDOW), "--out", out,
    ]  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", type=Path)
    parser.add_argument("--lines", type=int, default=2_000_000, help="lines if generating (default 2e6)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    log: Path = args.log or HERE / "data" / f"combined-{args.lines}.log"
    if not log.exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_log.py"), str(log), "--lines", str(args.lines)], check=True
        )
    with open(log, "rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
    size_mb = log.stat().st_size / 1e6
    print(f"file {log}: {lines:,} lines, {size_mb:.0f} MB ({size_mb * 1e6 / max(lines, 1):.0f} B/line)")
    # Bytecode as an installed package has it (pip compiles at install; a checkout writes its
    # own on first import, unless PYTHONDONTWRITEBYTECODE is set, as in some sandboxes, when
    # each run would compile every module again: 0.17 s measured here). The peers have theirs.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "analyzer")], check=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    runs: dict[str, list[Run]] = {}
    load, cores = os.getloadavg()[0], os.cpu_count()
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(args.repeat):
            for name, argv in contenders(log, os.path.join(scratch, f"out{round_number}")).items():
                runs.setdefault(name, []).append(run_process(argv, env))
    best = {name: min(found, key=lambda run: run.wall) for name, found in runs.items()}
    polars = best.get("polars")
    print(f"load average (1 min) before the runs {load:.2f}, after {os.getloadavg()[0]:.2f}; {cores} cores")
    header = f"{'what':<18} {'best wall':>9} {'of':<22} {'CPU':>7} {'lines/s':>9} {'peak RSS':>9}"
    print(f"{header} {'x polars':>7}")
    for name, run in best.items():
        walls = ", ".join(f"{r.wall:.2f}" for r in runs[name])
        ratio = f"{run.wall / polars.wall:.2f}" if polars else "-"
        rss = f"{run.peak_rss_mb:.0f} MB" if name != "wc -l" else "-"
        speed = lines / run.wall / 1e6
        cpu = f"{run.cpu:.1f} s"
        print(f"{name:<18} {run.wall:>7.2f} s ({walls:<20}) {cpu:>7} {speed:>7.2f} M {rss:>9} {ratio:>7}")
    for name in ("polars", "duckdb", "chdb"):
        if name in best:
            print(f"{name} says: {best[name].output.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
