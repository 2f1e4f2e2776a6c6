"""``optimus evaluate``: the report, one JSON object with exactly the documented keys, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.cli import EXIT_USAGE, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
TOP_KEYS = ["date", "regime", "warmup_bars_remaining", "gates", "signal", "reason", "candidate"]
GATE_KEYS = ["name", "passed", "value", "threshold", "detail"]
CANDIDATE_KEYS = ["structure", "expiry", "dte", "legs", "credit_mid", "credit_natural", "max_loss",
                  "contracts", "conviction", "profit_target", "stop_loss", "time_stop"]
LEG_KEYS = ["right", "strike", "action", "delta", "bid", "ask"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Return an empty settings file: the bundled defaults, never the user's own file."""
    path = tmp_path / "optimus.toml"
    path.write_text("")
    return path


def test_evaluate_parses_beside_the_window_options() -> None:
    arguments = build_parser().parse_args(["evaluate", "--date", "2015-02-03", "--json"])
    assert arguments.command == "evaluate"
    assert arguments.date is None  # the window's --date is untouched
    assert arguments.evaluate_date == "2015-02-03"
    assert arguments.underlying == "SPX"


def test_json_is_one_object_with_exactly_the_keys(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--date", "2015-02-03", "--config", str(config), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == TOP_KEYS
    assert document["date"] == "2015-02-03"
    assert document["signal"] is True
    assert all(list(entry) == GATE_KEYS for entry in document["gates"])
    candidate = document["candidate"]
    assert list(candidate) == CANDIDATE_KEYS
    assert all(list(leg) == LEG_KEYS for leg in candidate["legs"])


def test_json_without_a_candidate(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--date", "2008-10-10", "--config", str(config), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == TOP_KEYS
    assert document["regime"] == "Crisis"
    assert document["signal"] is False
    assert document["candidate"] is None
    assert document["reason"].startswith("Crisis regime")


def test_report_ends_with_the_entry_eval_block(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--date", "2008-10-10", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Regime: Crisis" in out
    assert "[ENTRY EVAL] 2008-10-10 | SPX" in out
    assert out.rstrip().endswith("[Remaining gates not evaluated — first failure stops chain]")


@pytest.mark.parametrize(
    ("date_text", "says"),
    [("2015-13-45", "2015-13-45"), ("2015-02-07", "not a session"), ("1980-01-02", "within the history")],
)
def test_a_bad_date_is_named_on_stderr(
    config: Path, capsys: pytest.CaptureFixture[str], date_text: str, says: str
) -> None:
    assert main(["evaluate", "--date", date_text, "--config", str(config)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert says in captured.err
    assert date_text in captured.err


def test_a_bad_config_is_named_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[underlyings.SPX]\nmin_iv_rank = 95\n")
    assert main(["evaluate", "--date", "2015-02-03", "--config", str(bad), "--json"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "line 2" in err
    assert "min_iv_rank" in err
    missing = tmp_path / "missing.toml"
    assert main(["evaluate", "--date", "2015-02-03", "--config", str(missing)]) == EXIT_USAGE
    assert "file not found" in capsys.readouterr().err


def test_an_unknown_underlying_is_named(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--date", "2015-02-03", "--config", str(config), "--underlying", "NDX"]) != 0
    assert "'NDX'" in capsys.readouterr().err


def test_the_installed_command_prints_only_the_json_object(config: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    command = ["evaluate", "--date", "2024-11-05", "--config", str(config), "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "terminal", *command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)) == TOP_KEYS
