"""Smoke test of the start-up benchmark: it runs and prints its JSON record (not its timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_startup.py"


def test_bench_startup_quick_prints_its_record() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"cold_first_paint_s", "warm_first_paint_s"} <= set(record)
    assert all(record[key] > 0 for key in ("cold_first_paint_s", "warm_first_paint_s"))
