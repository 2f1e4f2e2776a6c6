"""Benchmark: the headless backtest 2004-01-01..2024-12-31 (Optimus preset, modelled chains).

Ours, timed three ways:

* ``seconds``: in one process, `run_backtest` from the loaded history to the five report files
  (session steps, paper fills, journal writes with durable=False, metrics, CSVs, HTML).
* ``cli_seconds``: the whole ``optimus backtest ... --out DIR`` command as a user runs it
  (interpreter start, imports, numba cache load, history load, the run, the files).
* ``sessions_per_s``: trading sessions replayed per second in-process (two steps per session).

Peer, in the same run: the same session journaled durably (synchronous=FULL, an fsync per
commit, what a live or GUI replay uses), on one year of the range and scaled to all sessions.
It shows what the durable=False choice for headless backtests buys.

The last line printed is one JSON object with at least ``sessions``, ``seconds``,
``sessions_per_s``. ``--quick`` runs one quarter instead of 21 years.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from engine.backtest.runner import BacktestRequest, open_replay, run_backtest
from engine.config import load_settings
from engine.data.history import MarketHistory, load_history
from engine.session import SessionOptions

FULL = (date(2004, 1, 1), date(2024, 12, 31))
QUICK = (date(2015, 1, 1), date(2015, 3, 31))
PEER_SAMPLE = (date(2015, 1, 1), date(2015, 12, 31))
QUICK_PEER_SAMPLE = (date(2015, 1, 1), date(2015, 1, 31))
REQUIRED_KEYS = ("sessions", "seconds", "sessions_per_s")


def ours(history: MarketHistory, first: date, last: date) -> tuple[float, int]:
    """Return (seconds, sessions) of an in-process backtest writing its files."""
    request = BacktestRequest("optimus", "SPX", first, last, load_settings(_no_user_file()), {})
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = run_backtest(request, Path(out), history)
        return time.perf_counter() - started, result.steps // 2


def cli(first: date, last: date) -> float:
    """Return the wall seconds of the ``optimus backtest`` command, start to exit."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "terminal.cli", "backtest", "--preset", "optimus",
                   "--from", first.isoformat(), "--to", last.isoformat(), "--out", out,
                   "--config", str(_no_user_file())]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - started


def durable_peer(history: MarketHistory, first: date, last: date) -> tuple[float, int]:
    """Return (seconds, sessions) of the same session with an fsync per commit."""
    with tempfile.TemporaryDirectory() as folder:
        session = open_replay(history, load_settings(_no_user_file()), Path(folder) / "j.db",
                              SessionOptions(), durable=True)
        started = time.perf_counter()
        steps = session.run(first, last)
        elapsed = time.perf_counter() - started
        session.journal.store.close()
        return elapsed, steps // 2


def _no_user_file() -> Path:
    path = Path(tempfile.gettempdir()) / "optimus-bench-defaults.toml"
    path.write_text("", encoding="utf-8")
    return path


def main() -> None:
    """Run the benchmark and print its JSON record last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one quarter instead of 21 years")
    quick = parser.parse_args().quick
    first, last = QUICK if quick else FULL
    history = load_history()
    ours(history, *QUICK)  # untimed: loads numba's cached kernels
    seconds, sessions = ours(history, first, last)
    peer_seconds, peer_sessions = durable_peer(history, *(QUICK_PEER_SAMPLE if quick else PEER_SAMPLE))
    record = {
        "sessions": sessions,
        "seconds": round(seconds, 3),
        "sessions_per_s": round(sessions / seconds, 1),
        "cli_seconds": round(cli(first, last), 3),
        "peer_durable_journal_sessions_per_s": round(peer_sessions / peer_seconds, 1),
        "peer_durable_journal_seconds_scaled": round(peer_seconds * sessions / peer_sessions, 3),
        "range": [first.isoformat(), last.isoformat()],
    }
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise SystemExit(f"record lacks {missing}")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
