"""The pricing benchmark runs end to end in --quick mode and ends with its JSON line.

Behaviour only: the numbers of a --quick run mean nothing and are not checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_pricing.py"


def test_quick_benchmark_prints_its_json_summary_last() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(summary["greeks_per_s"]) == {"ours", "numpy_scipy", "vollib"}
    assert set(summary["iv_per_s"]) == {"ours", "vollib"}
    for key in ("iv_max_abs_error", "chain_10k_ms", "iv_max_abs_error_resolvable"):
        assert isinstance(summary[key], float)
    assert summary["iv_reason_counts"]["NOT_CONVERGED"] == 0
