"""`optimus backtest`, `optimus stress` and the backtest benchmark, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.backtest.runner import REPORT_FILES

ROOT = Path(__file__).resolve().parents[3]
NO_USER_FILE = Path(__file__).parent / "no-user-settings.toml"


def optimus(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "terminal.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)


def backtest(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return optimus("backtest", "--preset", "optimus", "--from", "2015-01-01", "--to", "2015-06-30",
                   "--out", str(out), "--config", str(NO_USER_FILE), *extra)


def test_two_backtests_write_byte_identical_files_and_json_is_the_summary(tmp_path: Path) -> None:
    first, second = backtest(tmp_path / "a", "--json"), backtest(tmp_path / "b")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    for name in REPORT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert json.loads(first.stdout) == summary
    assert summary["trade_count"] >= 3
    assert summary["run"]["chains"] == "modelled"
    assert "MODELLED" in (tmp_path / "a" / "report.html").read_text()
    assert "[TRADE OPENED]" in (tmp_path / "a" / "log.txt").read_text()
    header = (tmp_path / "a" / "trades.csv").read_text().splitlines()[0]
    assert header.startswith("Entry_Date,Exit_Date,Strategy,DTE,Strikes,Credit,Max_Loss,Exit_PL,Status")


def test_a_param_changes_the_run_and_shows_in_the_summary(tmp_path: Path) -> None:
    done = backtest(tmp_path / "p", "--param", "profit_target_pct=40", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["run"]["parameters"] == {"profit_target_pct": 40}


def test_bad_input_is_named_and_writes_nothing(tmp_path: Path) -> None:
    out_of_range = backtest(tmp_path / "x", "--param", "profit_target_pct=90")
    assert out_of_range.returncode == 2
    assert "profit_target_pct" in out_of_range.stderr
    assert "30" in out_of_range.stderr  # the allowed range
    assert not (tmp_path / "x" / "summary.json").exists()
    reversed_dates = optimus("backtest", "--from", "2016-01-01", "--to", "2015-01-01",
                             "--out", str(tmp_path / "y"))
    assert reversed_dates.returncode == 2
    assert "--from" in reversed_dates.stderr
    before_history = optimus("backtest", "--from", "1980-01-01", "--to", "1981-01-01",
                             "--out", str(tmp_path / "z"))
    assert before_history.returncode == 2
    assert "1980-01-01" in before_history.stderr


def test_stress_revalues_the_open_book_of_a_replay_date() -> None:
    done = optimus("stress", "--scenario", "flash-crash", "--date", "2015-02-10", "--from", "2015-01-01",
                   "--config", str(NO_USER_FILE), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["scenario"] == "flash-crash"
    assert len(report["positions"]) >= 1
    assert report["total_pnl"] < 0  # short puts lose in a crash


def test_backtest_benchmark_prints_its_record_last() -> None:
    script = ROOT / "tests" / "benchmarks" / "bench_backtest.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True,
                          timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["sessions"] == 61
    assert record["seconds"] > 0
    assert record["sessions_per_s"] > 0
