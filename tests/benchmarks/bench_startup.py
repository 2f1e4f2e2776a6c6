"""Benchmark: time from process start to the main window's first paint, cold and warm.

Each run starts ``python -m terminal`` with subprocess.Popen (offscreen) and reads the
``FIRST_PAINT <epoch>`` marker the window prints (OPTIMUS_FIRST_PAINT_MARKER=1); the time is the
marker minus the moment just before Popen.

- cold: NUMBA_CACHE_DIR is a new, empty directory (nothing compiled yet);
- warm: the same run again with that directory now filled by the cold run's warm-up.

The full run takes a screenshot of 2008-10-10, so it also reports ``*_ready_s`` (process start
to both panels showing data: the warm-up cost behind the paint). ``--quick`` stops each run at
the first paint (``--exit-after-first-paint``). The peer, measured in the same run, is a bare
PySide6 QMainWindow's first paint: the floor any Qt start-up pays on this machine.

Targets: warm <= 2.5 s, cold <= 5 s (first paint). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 900.0
BARE_QT = """
import sys, time
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
class Window(QMainWindow):
    painted = False
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            print("FIRST_PAINT", time.time(), flush=True)
            QApplication.instance().quit()
app = QApplication(sys.argv[:1])
window = Window()
window.setCentralWidget(QLabel("peer"))
window.resize(1600, 960)
window.show()
app.exec()
"""


def _environment(cache_dir: Path, config_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", OPTIMUS_FIRST_PAINT_MARKER="1",
               NUMBA_CACHE_DIR=str(cache_dir), OPTIMUS_CONFIG_DIR=str(config_dir))
    return env


def time_markers(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run `command`; return seconds from just before Popen to each marker it printed."""
    started = time.time()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SystemExit(f"bench_startup: {' '.join(command)} did not finish in {TIMEOUT_S:.0f} s") from None
    if process.returncode != 0:
        raise SystemExit(f"bench_startup: {' '.join(command)} exited {process.returncode}:\n{stderr}")
    markers = {}
    for line in stdout.splitlines():
        name, _, moment = line.partition(" ")
        if name in ("FIRST_PAINT", "READY"):
            markers[name] = round(float(moment) - started, 3)
    if "FIRST_PAINT" not in markers:
        raise SystemExit(f"bench_startup: no FIRST_PAINT marker from {' '.join(command)}")
    return markers


def run(quick: bool) -> dict[str, float | str]:
    """Measure the cold and warm start-ups and the bare-Qt peer; return the JSON record."""
    with tempfile.TemporaryDirectory(prefix="optimus-bench-") as scratch:
        folder = Path(scratch)
        cache, config = folder / "numba-cache", folder / "config"
        cache.mkdir()
        env = _environment(cache, config)
        window = ["--exit-after-first-paint"] if quick else [
            "--screenshot", str(folder / "bench.png"), "--date", "2008-10-10"]
        command = [sys.executable, "-m", "terminal", *window]
        cold = time_markers(command, env)
        warm = time_markers(command, env)
        peer = time_markers([sys.executable, "-c", BARE_QT], env)
    record: dict[str, float | str] = {
        "cold_first_paint_s": cold["FIRST_PAINT"],
        "warm_first_paint_s": warm["FIRST_PAINT"],
        "peer_bare_qt_first_paint_s": peer["FIRST_PAINT"],
        "mode": "quick" if quick else "full",
    }
    if not quick:
        record["cold_ready_s"] = cold["READY"]
        record["warm_ready_s"] = warm["READY"]
    return record


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON record as the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="stop each run at the first paint (no warm-up, no data)")
    arguments = parser.parse_args(argv)
    record = run(arguments.quick)
    print(f"first paint: cold {record['cold_first_paint_s']} s (target 5), "
          f"warm {record['warm_first_paint_s']} s (target 2.5), "
          f"bare Qt peer {record['peer_bare_qt_first_paint_s']} s")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
