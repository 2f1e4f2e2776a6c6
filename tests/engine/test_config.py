"""Settings: 002 §10 defaults and ranges, user overrides, clear errors for bad keys and values."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from engine import config
from engine.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(config, "user_config_path", lambda: tmp_path / "absent.toml")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "user.toml"
    path.write_text(text)
    return path


def test_defaults_are_those_of_seed_002() -> None:
    settings = load_settings()
    spx = settings.underlying("SPX")
    assert (spx.target_delta, spx.spread_width, spx.target_dte) == (-0.16, 50.0, 45)
    assert (spx.min_dte_entry, spx.max_dte_entry, spx.time_stop_dte) == (30, 60, 21)
    assert (spx.profit_target_pct, spx.stop_loss_multiplier, spx.min_iv_rank) == (50.0, 2.0, 50.0)
    assert (spx.bb_period, spx.bb_std_dev, spx.bb_touch_lookback, spx.rsi_period) == (20, 2.0, 5, 14)
    assert (spx.circuit_breaker_count, spx.circuit_breaker_cooldown_days) == (3, 5)
    assert (spx.vix_crisis_threshold, spx.vix_term_structure_threshold) == (35.0, 1.05)
    assert settings.portfolio.max_concurrent_total == 8
    assert settings.portfolio.max_portfolio_heat_pct == 15.0
    assert spx.entry_window_start == time(10, 0)


def test_the_bundled_file_and_the_model_defaults_agree() -> None:
    assert load_settings() == config.Settings()


def test_a_user_file_overrides_a_subset(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "[underlyings.SPX]\ntarget_delta = -0.12\n[portfolio]\nstarting_equity = 100000\n"
    )
    settings = load_settings(path)
    assert settings.underlying("SPX").target_delta == -0.12
    assert settings.underlying("SPX").spread_width == 50.0
    assert settings.portfolio.starting_equity == 100_000


def test_a_new_underlying_inherits_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, "[underlyings.NDX]\nspread_width = 100\n"))
    assert settings.underlying("NDX").spread_width == 100
    assert settings.underlying("NDX").target_delta == -0.16
    with pytest.raises(ConfigError, match=r"'RUT'.*NDX, SPX"):
        settings.underlying("RUT")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[underlyings.SPX]\ntarget_delta = -0.5\n",
            r"user\.toml, line 2: underlyings\.SPX\.target_delta = -0\.5: allowed range -0\.25\.\.-0\.1",
        ),
        (
            "[portfolio]\nmax_portfolio_heat_pct = 40\n",
            r"line 2: portfolio\.max_portfolio_heat_pct = 40: allowed range 5\.\.25",
        ),
        ("[underlyings.SPX]\nspread_wdith = 50\n", r"underlyings\.SPX\.spread_wdith = 50: unknown key"),
        ("[limits]\ndaily_loss_limit_pct = 'two'\n", r"limits\.daily_loss_limit_pct = 'two'"),
        ("[underlyings.SPX]\nentry_window_start = '10am'\n", r"entry_window_start = '10am'.*HH:MM"),
        ("[underlyings.SPX\n", r"not valid TOML"),
    ],
)
def test_bad_keys_and_values_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_write(tmp_path, text))


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: file not found"):
        load_settings(tmp_path / "nope.toml")


def test_overrides_go_on_top_and_are_validated() -> None:
    settings = load_settings(overrides={"underlyings": {"SPX": {"min_iv_rank": 40}}})
    assert settings.underlying("SPX").min_iv_rank == 40
    with pytest.raises(ConfigError, match=r"min_iv_rank = 90: allowed range 30\.\.70"):
        load_settings(overrides={"underlyings": {"SPX": {"min_iv_rank": 90}}})
