"""Benchmark: the daily entry evaluation over every session 2004-01-01..2024-12-31 in one process.

Ours: one `Evaluator` over the bundled history (indicators vectorised once, each day read by
index), then ``evaluate(day)`` for every session, flat $500,000 account, default settings. The
timing includes building the evaluator and every chain slice the signal days need; one day is
evaluated first, untimed, so numba's cached kernels are loaded before the clock starts.

Peer, measured in the same run: the naive future-blind way, recomputing every indicator (and the
chain source) from ``history.up_to(day)`` for each day. It runs on an evenly spaced sample of the
same days and is extrapolated to all of them.

Numba threads: numba's default unless ``--threads`` is given. The evaluator builds chain slices
with the parallel kernels on one thread (engine.strategy.evaluate._serial_kernels): each call
prices a few hundred options, and a parallel fork/join costs more than that work, badly so on
shared cores (a modelled slice: ~5 ms serial, up to ~150 ms with two threads on a loaded box).

Target: >= 500 days/s. The last line printed is one JSON object with at least the keys
``days``, ``seconds``, ``days_per_s``. ``--quick`` runs one quarter and checks the record's keys.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

import numba

from engine.config import Settings
from engine.data.history import MarketHistory, load_history
from engine.strategy.evaluate import Evaluator

FULL = (date(2004, 1, 1), date(2024, 12, 31))
QUICK = (date(2015, 1, 1), date(2015, 3, 31))
REQUIRED_KEYS = ("days", "seconds", "days_per_s")


def ours(history: MarketHistory, settings: Settings, days: list[date]) -> tuple[float, int, int]:
    """Evaluate every day with one evaluator; return (seconds, signal days, candidates built)."""
    Evaluator(history, settings).evaluate(date(2015, 2, 3))  # load the cached kernels, untimed
    started = time.perf_counter()
    evaluator = Evaluator(history, settings)
    evaluations = [evaluator.evaluate(day) for day in days]
    seconds = time.perf_counter() - started
    signals = sum(e.signal for e in evaluations)
    return seconds, signals, sum(e.candidate is not None for e in evaluations)


def naive_peer(history: MarketHistory, settings: Settings, days: list[date], sample: int) -> float:
    """Return the naive way's days per second: recompute everything from history.up_to(day)."""
    step = max(1, len(days) // sample)
    chosen = days[::step][:sample]
    started = time.perf_counter()
    for day in chosen:
        Evaluator(history.up_to(day), settings).evaluate(day)
    return len(chosen) / (time.perf_counter() - started)


def run(quick: bool, threads: int | None) -> dict[str, float | int | str]:
    """Measure ours and the peer; return the JSON record."""
    if threads is not None:
        numba.set_num_threads(threads)
    history, settings = load_history(), Settings()
    first, last = QUICK if quick else FULL
    days = [day for day in history.dates if first <= day <= last]
    seconds, signals, built = ours(history, settings, days)
    peer = naive_peer(history, settings, days, 3 if quick else 40)
    per_s = len(days) / seconds
    return {
        "days": len(days),
        "seconds": round(seconds, 3),
        "days_per_s": round(per_s, 1),
        "signal_days": signals,
        "candidates_built": built,
        "peer_naive_recompute_days_per_s": round(peer, 1),
        "speedup_vs_naive": round(per_s / peer, 1),
        "numba_threads": numba.get_num_threads(),
        "mode": "quick" if quick else "full",
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON record as the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one quarter of 2015; check the record's keys")
    parser.add_argument("--threads", type=int, help="numba threads (default: numba's, see the doc)")
    arguments = parser.parse_args(argv)
    record = run(arguments.quick, arguments.threads)
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing or not all(float(record[key]) > 0 for key in REQUIRED_KEYS):
        raise SystemExit(f"bench_evaluate: bad record (missing or empty: {missing or REQUIRED_KEYS})")
    print(f"{record['days']} sessions in {record['seconds']} s: {record['days_per_s']} days/s (target 500); "
          f"naive recompute {record['peer_naive_recompute_days_per_s']} days/s")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
