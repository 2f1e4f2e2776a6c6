"""Position sizing: how many contracts a trade gets (002 §6.1, §6.3; seed 001's alternatives).

Every sizer answers a `SizingRequest` with a `SizingResult`: a whole, non-negative number of
contracts, the sentence that explains it, and the dollar risk budget it was cut from (None for
sizers that count contracts, not dollars). Contracts are always ``floor(budget / max loss per
contract)``: never rounded up, and zero (with the reason) when the budget cannot buy one.

Sizers:

* `MaxLossSizer` (default, 002): risk ``risk_per_trade_pct`` of equity x conviction, after
  002 §6.3's drawdown scaling (drawdown >= 10 % -> at most 1.5 %, >= 20 % -> at most 1 %),
  capped at 3 % of equity, 002 §6.3's ceiling for one trade's max loss.
* `FixedSizer`: always the same number of contracts.
* `RiskPercentSizer` (001): risk a fixed % of equity; no conviction, no drawdown scaling.
* `KellySizer` (001): fractional Kelly of the closed-trade record, a quarter by default and
  never more than half. A Kelly fraction <= 0 means no trade.
* `VixAdjustedSizer`, `DrawdownAdjustedSizer` (001): scale another sizer's budget by the VIX
  or the drawdown band. Meant around sizers without their own drawdown rule (wrapping
  `MaxLossSizer` in `DrawdownAdjustedSizer` applies two drawdown rules, on purpose only).

Bands in the tables include their lower edge: VIX 20.0 is in 20-30, a 10.0 % drawdown is in
the "> 10 %" band. `sizer_from_name` builds any of them from a name such as ``"kelly"`` or
``"drawdown_adjusted:vix_adjusted:kelly"`` (outermost first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from engine.config import ConfigError, UnderlyingParams
from engine.errors import InputError
from engine.model import Structure

MAX_RISK_PER_TRADE_PCT = 3.0  # 002 §6.3: max loss per trade 2-3 % of equity
MAX_KELLY_FRACTION = 0.5  # seed 001: "never use full Kelly"; half is its most aggressive
# 002 §6.3 drawdown scaling: (drawdown % at or above which, risk % at most), deepest first
DRAWDOWN_RISK_STEPS: tuple[tuple[float, float], ...] = ((20.0, 1.0), (10.0, 1.5))
# seed 001 VIX-adjusted sizing: (VIX below this, factor)
VIX_SIZE_FACTORS: tuple[tuple[float, float], ...] = (
    (15.0, 1.25), (20.0, 1.0), (30.0, 0.75), (math.inf, 0.5),
)
# seed 001 drawdown-adjusted sizing: (drawdown % below this, factor); 0 = stop trading, review
DRAWDOWN_SIZE_FACTORS: tuple[tuple[float, float], ...] = (
    (3.0, 1.0), (5.0, 0.75), (10.0, 0.5), (math.inf, 0.0),
)
_EDGE = 1e-9  # absorbs float noise at the band edges (e.g. a drawdown of exactly 10 %)


# ----------------------------------------------------------------------------- requests and results


@dataclass(frozen=True, slots=True)
class TradeStats:
    """The closed-trade record a Kelly sizer needs; dollar figures per contract."""

    n_trades: int
    win_rate: float  # fraction of trades won, 0..1
    avg_win: float  # average dollars won on a winning trade (> 0)
    avg_loss: float  # average dollars lost on a losing trade, as a positive number

    def __post_init__(self) -> None:
        if self.n_trades < 0:
            raise InputError("n_trades", self.n_trades, "must be >= 0")
        if not 0.0 <= self.win_rate <= 1.0:
            raise InputError("win_rate", self.win_rate, "must be a fraction in [0, 1]")
        for name in ("avg_win", "avg_loss"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise InputError(name, value, "must be >= 0 dollars (losses as positive numbers)")


@dataclass(frozen=True, slots=True)
class SizingRequest:
    """Everything a sizer may look at to size one trade (dollars throughout)."""

    equity: float
    peak_equity: float
    max_loss_per_contract_dollars: float
    conviction: float = 1.0
    vix: float | None = None
    stats: TradeStats | None = None
    allocation: float = 1.0  # the regime's share of full size (002 §3.3: High Vol 50-75 %)

    def __post_init__(self) -> None:
        for name in ("equity", "peak_equity"):
            if not math.isfinite(getattr(self, name)):
                raise InputError(name, getattr(self, name), "must be a finite dollar amount")
        loss = self.max_loss_per_contract_dollars
        if not (math.isfinite(loss) and loss > 0.0):
            raise InputError("max_loss_per_contract_dollars", loss, "must be > 0 (defined risk only)")
        if not (math.isfinite(self.conviction) and self.conviction >= 0.0):
            raise InputError("conviction", self.conviction, "must be a multiplier >= 0")
        if not (math.isfinite(self.allocation) and 0.0 <= self.allocation <= 1.0):
            raise InputError("allocation", self.allocation, "must be a share of full size in 0..1")

    @classmethod
    def for_structure(
        cls, structure: Structure, equity: float, peak_equity: float, *, conviction: float = 1.0,
        vix: float | None = None, stats: TradeStats | None = None, allocation: float = 1.0,
    ) -> SizingRequest:
        """Return the request for one unit of ``structure`` (max loss x multiplier per contract)."""
        loss = structure.max_loss * structure.multiplier
        return cls(equity, peak_equity, loss, conviction, vix, stats, allocation)

    @property
    def drawdown_pct(self) -> float:
        """Return the drawdown from the peak, in percent (0 when at or above the peak)."""
        peak = max(self.peak_equity, self.equity)
        return 0.0 if peak <= 0.0 else (peak - self.equity) / peak * 100.0


@dataclass(frozen=True, slots=True)
class SizingResult:
    """How many contracts, why, and the dollar risk budget they were cut from."""

    contracts: int
    detail: str
    risk_budget: float | None = None


class Sizer(Protocol):
    """Anything that turns a sizing request into a number of contracts."""

    @property
    def name(self) -> str:
        """Return the sizer's name as `sizer_from_name` knows it."""
        ...

    def size(self, request: SizingRequest) -> SizingResult:
        """Return the contracts for one trade, never negative, with the reason."""
        ...


# ----------------------------------------------------------------------------- shared arithmetic


def contracts_within(budget: float, max_loss_per_contract: float) -> int:
    """Return the most whole contracts whose total max loss stays within ``budget``."""
    if not (budget > 0.0 and math.isfinite(budget)):
        return 0
    count = math.floor(budget / max_loss_per_contract)
    # the division can land a hair either side of a whole number: settle it by multiplying back
    while count > 0 and count * max_loss_per_contract > budget:
        count -= 1
    while (count + 1) * max_loss_per_contract <= budget:
        count += 1
    return max(count, 0)


def _money(amount: float) -> str:
    return f"${amount:,.0f}"


def _from_budget(budget: float, request: SizingRequest, how: str) -> SizingResult:
    """Return the contracts a dollar budget buys, explained."""
    budget = budget if math.isfinite(budget) and budget > 0.0 else 0.0
    loss = request.max_loss_per_contract_dollars
    contracts = contracts_within(budget, loss)
    if contracts == 0:
        detail = f"{how}: budget {_money(budget)} cannot buy one contract at max loss {_money(loss)}: 0"
    else:
        detail = f"{how}: floor({_money(budget)} / {_money(loss)} max loss) = {contracts}"
    return SizingResult(contracts, detail, budget)


def _no_trade(detail: str) -> SizingResult:
    return SizingResult(0, detail, 0.0)


def _band(value: float, table: tuple[tuple[float, float], ...]) -> float:
    """Return the factor of the band holding ``value`` (bands include their lower edge)."""
    return next(factor for below, factor in table if value < below - _EDGE)


# ----------------------------------------------------------------------------- base sizers


def drawdown_risk_pct(risk_per_trade_pct: float, drawdown_pct: float) -> float:
    """Return 002 §6.3's risk per trade at a drawdown: at most 1.5 % from 10 %, 1 % from 20 %."""
    for threshold, ceiling in DRAWDOWN_RISK_STEPS:
        if drawdown_pct >= threshold - _EDGE:
            return min(risk_per_trade_pct, ceiling)
    return risk_per_trade_pct


@dataclass(frozen=True, slots=True)
class MaxLossSizer:
    """002's default: floor(equity x risk % (drawdown-scaled) x conviction x regime allocation / max loss)."""

    risk_per_trade_pct: float = 2.0
    max_risk_pct: float = MAX_RISK_PER_TRADE_PCT
    name: str = field(default="max_loss", init=False)

    def __post_init__(self) -> None:
        for label in ("risk_per_trade_pct", "max_risk_pct"):
            value = getattr(self, label)
            if not (math.isfinite(value) and value > 0.0):
                raise InputError(label, value, "must be > 0 (% of equity)")

    def size(self, request: SizingRequest) -> SizingResult:
        """Return 002 §6.1's contracts, with §6.2's conviction and §6.3's drawdown scaling."""
        if request.equity <= 0.0:
            return _no_trade("max loss sizing: no equity: 0")
        drawdown = request.drawdown_pct
        risk_pct = drawdown_risk_pct(self.risk_per_trade_pct, drawdown)
        scaled = risk_pct * request.conviction * request.allocation
        effective = min(scaled, self.max_risk_pct)
        how = f"risk {risk_pct:.2f}%"
        if risk_pct < self.risk_per_trade_pct:
            how += f" (drawdown {drawdown:.1f}% cuts {self.risk_per_trade_pct:.2f}%)"
        how += f" x conviction {request.conviction:.2f}"
        if request.allocation < 1.0:
            how += f" x regime allocation {request.allocation:.0%}"
        if effective < scaled:
            how += f", capped at {self.max_risk_pct:.2f}%"
        how += f" of {_money(request.equity)}"
        return _from_budget(request.equity * effective / 100.0, request, how)


@dataclass(frozen=True, slots=True)
class FixedSizer:
    """Always the same number of contracts (the risk manager still vetoes what is too big)."""

    contracts: int = 1
    name: str = field(default="fixed", init=False)

    def __post_init__(self) -> None:
        if self.contracts < 0:
            raise InputError("fixed contracts", self.contracts, "must be >= 0")

    def size(self, request: SizingRequest) -> SizingResult:
        """Return the fixed count."""
        return SizingResult(self.contracts, f"fixed size: {self.contracts} contract(s)")


@dataclass(frozen=True, slots=True)
class RiskPercentSizer:
    """Seed 001's risk-based sizing: floor(risk % of equity / max loss per contract)."""

    risk_pct: float = 2.0
    name: str = field(default="risk_percent", init=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.risk_pct) and self.risk_pct > 0.0):
            raise InputError("risk_pct", self.risk_pct, "must be > 0 (% of equity)")

    def size(self, request: SizingRequest) -> SizingResult:
        """Return the contracts that risk ``risk_pct`` of equity."""
        how = f"risk {self.risk_pct:.2f}% of {_money(request.equity)}"
        return _from_budget(request.equity * self.risk_pct / 100.0, request, how)


def kelly_fraction(win_rate: float, avg_win: float, avg_loss: float) -> float:
    """Return full Kelly, f* = (b p - q) / b with b = avg_win / avg_loss (may be negative)."""
    if avg_win <= 0.0:
        return -math.inf if win_rate < 1.0 else 0.0  # no edge to bet on
    # p - q / b, the same f* written so that a tiny avg_loss cannot make inf / inf
    return win_rate - (1.0 - win_rate) * avg_loss / avg_win


@dataclass(frozen=True, slots=True)
class KellySizer:
    """Fractional Kelly of the trade record; the stake per contract is its max loss.

    Kelly's stake is what a losing bet loses. A spread can lose up to its max loss, so the
    budget ``fraction x f* x equity`` buys ``floor(budget / max loss)`` contracts: more
    conservative than staking the average loss. With fewer than ``min_trades`` closed trades
    (or no loss on record, where Kelly is undefined) the record says too little: ``fallback``
    sizes the trade if given, otherwise no trade. A Kelly <= 0 is always no trade.
    """

    fraction: float = 0.25
    min_trades: int = 20
    max_risk_pct: float | None = None
    fallback: Sizer | None = None
    name: str = field(default="kelly", init=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.fraction <= MAX_KELLY_FRACTION:
            allowed = f"must be in (0, {MAX_KELLY_FRACTION}]: never full Kelly (seed 001)"
            raise InputError("kelly fraction", self.fraction, allowed)
        if self.min_trades < 1:
            raise InputError("kelly min_trades", self.min_trades, "must be >= 1")

    def _too_little(self, request: SizingRequest, why: str) -> SizingResult:
        if self.fallback is None:
            return _no_trade(f"kelly: {why}: no trade")
        result = self.fallback.size(request)
        return SizingResult(result.contracts, f"kelly: {why}: {result.detail}", result.risk_budget)

    def size(self, request: SizingRequest) -> SizingResult:
        """Return the contracts fractional Kelly stakes, or no trade when the edge is negative."""
        stats = request.stats
        if stats is None or stats.n_trades < self.min_trades:
            count = 0 if stats is None else stats.n_trades
            return self._too_little(request, f"only {count} closed trades (< {self.min_trades})")
        if stats.avg_loss <= 0.0 and stats.avg_win > 0.0:
            return self._too_little(request, "no loss on record, Kelly undefined")
        full = kelly_fraction(stats.win_rate, stats.avg_win, stats.avg_loss)
        if full <= 0.0:
            return _no_trade(f"kelly f* = {full:.3f}: negative Kelly: no trade")
        stake = self.fraction * full
        how = f"kelly f* {full:.3f} x {self.fraction:g} = {stake:.2%} of {_money(request.equity)}"
        if self.max_risk_pct is not None and stake * 100.0 > self.max_risk_pct:
            stake = self.max_risk_pct / 100.0
            how += f", capped at {self.max_risk_pct:.2f}%"
        return _from_budget(request.equity * stake, request, how)


# ----------------------------------------------------------------------------- wrappers


def _scale(result: SizingResult, factor: float, request: SizingRequest, why: str) -> SizingResult:
    """Return a base result scaled: its budget if it has one, else its contract count (floored)."""
    if result.risk_budget is None:
        contracts = math.floor(result.contracts * factor + _EDGE)
        return SizingResult(contracts, f"{why}: floor({result.contracts} x {factor:g}) = {contracts}")
    scaled = _from_budget(result.risk_budget * factor, request, f"{why}, budget x {factor:g}")
    return SizingResult(scaled.contracts, f"{result.detail}; {scaled.detail}", scaled.risk_budget)


def vix_size_factor(vix: float) -> float:
    """Return seed 001's VIX factor: <15 x1.25, 15-20 x1.0, 20-30 x0.75, >=30 x0.5."""
    return _band(vix, VIX_SIZE_FACTORS)


def drawdown_size_factor(drawdown_pct: float) -> float:
    """Return seed 001's drawdown factor: <3% x1, 3-5% x0.75, 5-10% x0.5, >=10% 0 (stop)."""
    return _band(drawdown_pct, DRAWDOWN_SIZE_FACTORS)


@dataclass(frozen=True, slots=True)
class VixAdjustedSizer:
    """Scale another sizer by the VIX band (seed 001); no VIX, no trade."""

    base: Sizer
    name: str = field(default="vix_adjusted", init=False)

    def size(self, request: SizingRequest) -> SizingResult:
        """Return the base size scaled by the VIX factor."""
        vix = request.vix
        if vix is None or not math.isfinite(vix):
            return _no_trade("vix-adjusted sizing: VIX unknown: no trade")
        factor = vix_size_factor(vix)
        return _scale(self.base.size(request), factor, request, f"VIX {vix:.2f} -> x{factor:g}")


@dataclass(frozen=True, slots=True)
class DrawdownAdjustedSizer:
    """Scale another sizer by the drawdown band (seed 001); from 10 % down, stop trading."""

    base: Sizer
    name: str = field(default="drawdown_adjusted", init=False)

    def size(self, request: SizingRequest) -> SizingResult:
        """Return the base size scaled by the drawdown factor, or 0 past 10 %."""
        drawdown = request.drawdown_pct
        factor = drawdown_size_factor(drawdown)
        if factor == 0.0:
            return _no_trade(f"drawdown {drawdown:.1f}% >= 10%: stop trading, review: no trade")
        return _scale(self.base.size(request), factor, request, f"drawdown {drawdown:.1f}% -> x{factor:g}")


# ----------------------------------------------------------------------------- factory


@dataclass(frozen=True, slots=True)
class SizingSettings:
    """What `sizer_from_name` needs; unknown keys are refused like every other setting."""

    risk_per_trade_pct: float = 2.0
    fixed_contracts: int = 1
    kelly_fraction: float = 0.25
    kelly_min_trades: int = 20
    kelly_max_risk_pct: float | None = None
    kelly_fallback: str | None = None  # a sizer name, used while the record is too short
    wrapped: str = "risk_percent"  # what a bare "vix_adjusted" / "drawdown_adjusted" wraps

    @classmethod
    def from_params(cls, params: UnderlyingParams, **overrides: Any) -> SizingSettings:
        """Return settings taking the risk per trade from an underlying's parameters."""
        return replace(cls(risk_per_trade_pct=params.risk_per_trade_pct), **overrides)


WRAPPERS = ("vix_adjusted", "drawdown_adjusted")
BASES = ("max_loss", "fixed", "risk_percent", "kelly")


def _base_sizer(name: str, settings: SizingSettings) -> Sizer:
    if name == "max_loss":
        return MaxLossSizer(settings.risk_per_trade_pct)
    if name == "fixed":
        return FixedSizer(settings.fixed_contracts)
    if name == "risk_percent":
        return RiskPercentSizer(settings.risk_per_trade_pct)
    fallback = None
    if settings.kelly_fallback is not None:
        if "kelly" in settings.kelly_fallback.lower():
            raise ConfigError(f"sizing: kelly_fallback = {settings.kelly_fallback!r} cannot use kelly itself")
        fallback = sizer_from_name(settings.kelly_fallback, replace(settings, kelly_fallback=None))
    return KellySizer(
        settings.kelly_fraction, settings.kelly_min_trades, settings.kelly_max_risk_pct, fallback
    )


def sizer_from_name(name: str, settings: SizingSettings | UnderlyingParams | None = None) -> Sizer:
    """Return the sizer a name describes, e.g. "max_loss" or "drawdown_adjusted:vix_adjusted:kelly".

    Wrappers come first, outermost first, each wrapping the rest; a name of wrappers only wraps
    ``settings.wrapped``. Raise ConfigError naming the bad part and the names allowed.
    """
    if settings is None:
        settings = SizingSettings()
    elif isinstance(settings, UnderlyingParams):
        settings = SizingSettings.from_params(settings)
    parts = [part.strip().lower() for part in name.split(":")]
    for position, part in enumerate(parts):
        allowed = WRAPPERS + BASES if position == len(parts) - 1 else WRAPPERS
        if part not in allowed:
            listed = ", ".join(allowed)
            raise ConfigError(f"sizing: unknown sizer {part!r} in {name!r} (allowed here: {listed})")
    if parts[-1] in WRAPPERS:
        parts.append(settings.wrapped)
        if settings.wrapped not in BASES:
            raise ConfigError(f"sizing: wrapped = {settings.wrapped!r} must be one of {', '.join(BASES)}")
    sizer = _base_sizer(parts[-1], settings)
    for wrapper in reversed(parts[:-1]):
        sizer = VixAdjustedSizer(sizer) if wrapper == "vix_adjusted" else DrawdownAdjustedSizer(sizer)
    return sizer
