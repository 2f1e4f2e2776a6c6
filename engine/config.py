"""Typed, frozen settings loaded from TOML, validated key by key.

The defaults live in resources/config/defaults.toml. A user file (``optimus.toml`` in the
platformdirs config directory, or ``--config FILE``) overrides any subset; it is merged over the
defaults key by key. Unknown keys and out-of-range values are rejected with the file, the line,
the key, the value and the allowed range, before anything runs. Ranges are seed 002 §10's.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.errors import OptimusError

APP_NAME = "optimus-terminal"


class ConfigError(OptimusError):
    """A configuration file is unreadable, has an unknown key or a value out of range."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def _range(low: float, high: float) -> dict[str, float]:
    return {"ge": low, "le": high}


class UnderlyingParams(_Frozen):
    """Strategy parameters of one underlying (002 §10 with its ranges, plus extra gates)."""

    # 002 §10.1 core
    target_delta: float = Field(-0.16, **_range(-0.25, -0.10))
    spread_width: float = Field(50.0, **_range(25, 100))
    target_dte: int = Field(45, **_range(30, 60))
    min_dte_entry: int = Field(30, **_range(21, 45))
    max_dte_entry: int = Field(60, **_range(45, 90))
    profit_target_pct: float = Field(50.0, **_range(30, 75))
    stop_loss_multiplier: float = Field(2.0, **_range(1.5, 3.0))
    time_stop_dte: int = Field(21, **_range(14, 28))
    min_iv_rank: float = Field(50.0, **_range(30, 70))
    min_days_between_entries: int = Field(3, **_range(1, 10))
    max_concurrent_per_underlying: int = Field(3, **_range(1, 5))
    risk_per_trade_pct: float = Field(2.0, **_range(1.0, 3.0))
    circuit_breaker_count: int = Field(3, **_range(2, 5))
    circuit_breaker_cooldown_days: int = Field(5, **_range(3, 10))
    # 002 §10.2 Bollinger and mean reversion
    bb_period: int = Field(20, **_range(10, 30))
    bb_std_dev: float = Field(2.0, **_range(1.5, 2.5))
    bb_touch_lookback: int = Field(5, **_range(3, 10))
    min_consecutive_up_closes: int = Field(1, **_range(1, 3))
    rsi_period: int = Field(14, **_range(7, 21))
    rsi_oversold_threshold: float = Field(30.0, **_range(20, 40))
    # 002 §10.3 market filters
    trend_ema_period: int = Field(200, **_range(100, 250))
    vix_crisis_threshold: float = Field(35.0, **_range(30, 45))
    vix_high_vol_threshold: float = Field(25.0, **_range(20, 30))
    vix_term_structure_threshold: float = Field(1.05, **_range(1.00, 1.10))
    high_vol_allocation_pct: float = Field(75.0, **_range(50, 75))  # 002 §3.3: High Vol reduced size
    # Options of 002 §7.3, §11.1, §11.2 and gate switches
    soft_warning_dte: int = Field(28, **_range(21, 35))
    soft_warning_profit_target_pct: float = Field(40.0, **_range(20, 75))
    dynamic_profit_target: bool = False
    vix_adjusted_delta: bool = False
    macd_gate_enabled: bool = False
    # Extra gates from the other seeds
    min_credit: float = Field(1.00, **_range(0.0, 25.0))
    min_return_on_risk_pct: float = Field(4.0, **_range(0.0, 50.0))
    max_bid_ask_pct_of_premium: float = Field(20.0, **_range(1.0, 100.0))
    vix_ceiling: float = Field(45.0, **_range(10.0, 100.0))
    entry_window_start: time = time(10, 0)
    entry_window_end: time = time(11, 0)
    multiplier: int = Field(100, **_range(1, 1000))

    @field_validator("entry_window_start", "entry_window_end", mode="before")
    @classmethod
    def _parse_clock(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"\d{2}:\d{2}", value):
            raise ValueError("must be a time written HH:MM (ET)")
        return value


class PortfolioParams(_Frozen):
    """Account-wide limits of 002 §6.3 and §10."""

    starting_equity: float = Field(500_000.0, **_range(1_000.0, 1e10))
    max_concurrent_total: int = Field(8, **_range(3, 15))
    max_portfolio_heat_pct: float = Field(15.0, **_range(5, 25))
    max_aggregate_delta: float = Field(-0.50, **_range(-1.00, -0.30))


class LimitParams(_Frozen):
    """Loss and profit stops (000, 001) and Greek caps (003 §3.2)."""

    daily_loss_limit_pct: float = Field(2.0, **_range(0.1, 20))
    weekly_loss_limit_pct: float = Field(5.0, **_range(0.1, 30))
    daily_profit_stop_enabled: bool = False
    daily_profit_stop_pct: float = Field(1.2, **_range(0.1, 20))
    max_delta_per_trade: float = Field(30.0, **_range(1, 10_000))
    max_vega_per_trade: float = Field(1000.0, **_range(1, 100_000))
    max_portfolio_delta: float = Field(200.0, **_range(1, 100_000))
    max_portfolio_gamma: float = Field(50.0, **_range(0.1, 10_000))
    max_portfolio_vega: float = Field(5000.0, **_range(1, 1_000_000))


class ExecutionParams(_Frozen):
    """How the paper broker fills and charges (engine.brokers.paper; defaults in the README).

    `fill_model`: "mid" fills each leg at its mid, "natural" at the bid (sold) / ask (bought),
    "mid_plus" at mid -/+ `slippage_fraction` of the leg's bid-ask width (0.5 is natural).
    Commission and fees are dollars per contract per leg, charged on every fill.
    """

    fill_model: Literal["mid", "natural", "mid_plus"] = "mid_plus"
    slippage_fraction: float = Field(0.25, **_range(0.0, 0.5))
    commission_per_contract: float = Field(0.65, **_range(0.0, 10.0))
    exchange_fee_per_contract: float = Field(0.60, **_range(0.0, 10.0))
    regulatory_fee_per_contract: float = Field(0.04, **_range(0.0, 10.0))
    combo_tick: float = Field(0.05, **_range(0.01, 1.0))
    walk_step: float = Field(0.05, **_range(0.01, 1.0))  # IB: points the limit walks per step, mid -> natural
    walk_interval_s: float = Field(10.0, **_range(1.0, 600.0))  # IB: seconds between steps


class Settings(_Frozen):
    """Every setting of the terminal."""

    portfolio: PortfolioParams = PortfolioParams()
    limits: LimitParams = LimitParams()
    execution: ExecutionParams = ExecutionParams()
    underlyings: dict[str, UnderlyingParams] = Field(default_factory=lambda: {"SPX": UnderlyingParams()})

    def underlying(self, symbol: str) -> UnderlyingParams:
        """Return the parameters of one underlying; raise ConfigError naming it if absent."""
        try:
            return self.underlyings[symbol]
        except KeyError:
            known = ", ".join(sorted(self.underlyings))
            raise ConfigError(f"no parameters for underlying {symbol!r} (configured: {known})") from None


# --- loading ----------------------------------------------------------------------------------


def defaults_path() -> Path:
    """Return the bundled defaults file."""
    return Path(str(resources.files("resources") / "config" / "defaults.toml"))


def user_config_path() -> Path:
    """Return where the user's optimus.toml lives (it need not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "optimus.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _spread_underlying_defaults(data: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Give a user-added underlying (e.g. [underlyings.NDX]) SPX's defaults for unset keys."""
    base = defaults.get("underlyings", {}).get("SPX", {})
    underlyings = {
        name: _merge(base, values) if isinstance(values, dict) else values
        for name, values in data.get("underlyings", {}).items()
    }
    return {**data, "underlyings": underlyings}


def _line_of(path: Path | None, key: str) -> str:
    if path is None or not path.exists():
        return ""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if pattern.match(line):
            return f", line {number}"
    return ""


def _field_bounds(loc: tuple[int | str, ...]) -> tuple[object, object] | None:
    """Return the (low, high) bounds declared on the field at `loc`, walking the models."""
    model: type[BaseModel] = Settings
    parts = list(loc)
    while parts:
        name = str(parts.pop(0))
        info = model.model_fields.get(name)
        if info is None:
            return None
        annotation = info.annotation
        if name == "underlyings":
            parts = parts[1:]  # skip the symbol
            annotation = UnderlyingParams
        if parts and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
        high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
        return (low, high) if low is not None or high is not None else None
    return None


def _allowed(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    bounds = _field_bounds(tuple(error["loc"]))
    if bounds is not None:
        return f"allowed range {bounds[0]}..{bounds[1]}"
    return str(error["msg"])


def _explain(exc: ValidationError, path: Path | None) -> ConfigError:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        leaf = str(error["loc"][-1])
        where = f"{path or 'settings'}{_line_of(path, leaf)}"
        lines.append(f"{where}: {key} = {error.get('input')!r}: {_allowed(error)}")
    return ConfigError("\n".join(lines))


def load_settings(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load the defaults, then the user file (`path`, or the user config dir's if it exists).

    `overrides` (e.g. from ``--param key=value``) go on top. Raise ConfigError on any bad key.
    """
    defaults = _read_toml(defaults_path())
    user_path = path if path is not None else user_config_path()
    user = _read_toml(user_path) if (path is not None or user_path.exists()) else {}
    data = _spread_underlying_defaults(_merge(defaults, user), defaults)
    if overrides:
        data = _merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, user_path if user else None) from None
