"""The portfolio as the risk manager sees it, and the exposure figures it is judged on.

Units (seed 003 §3.2, and what the Portfolio Greeks panel shows):

* **delta** in share-equivalents: net delta per unit x multiplier x contracts (a 1-lot SPX put
  spread of net delta +0.06 is 6 "shares" of SPX);
* **gamma** in share-equivalents per index point: net gamma per unit x multiplier x contracts;
* **vega** in dollars per vol point: net vega per unit (engine.pricing: per vol point) x
  multiplier x contracts;
* **heat** (002 §6.3): the sum of the positions' max losses in dollars, in % of equity.

**Aggregate delta (002 §8.3, `max_aggregate_delta` = -0.50).** 002 writes the portfolio's
delta as a small negative number (-0.28 with five spreads on, -0.50 the limit) and calls it
"short delta": it counts a short put's exposure with the sign of the put's delta. Its numbers are
the *sum of the positions' net delta per spread*: a fresh 16-delta/50-wide put spread nets about
0.06, and five of them make 002's -0.28. A plain per-spread sum ignores size, so each position's
delta is weighted by its size in standard risk units, max loss / (risk_per_trade_pct x equity):

    aggregate delta = - sum(net delta per unit x max loss $ / (risk_per_trade_pct % x equity))

A full-size position (002 §6.1 sizing) weighs about 1, so the figure reads like 002's: fresh
positions contribute about -0.06 each and eight of them (the capacity, also the heat limit) stay
inside -0.50; the limit bites when a selloff has pushed the book's deltas up (five positions
tested towards their short strikes at -0.10 each). It is unit-free, so it adds across
underlyings, and it scales with the account. The sign is 002's: negative is long-market
exposure (short puts), the opposite of the broker's sign. The limit is one-sided, as in 002.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.errors import InputError
from engine.model import Position, Regime, Structure
from engine.risk.breaker import BreakerState


@dataclass(frozen=True, slots=True)
class NetGreeks:
    """Net Greeks; per unit of a structure (engine.pricing units) or in portfolio units (module doc)."""

    delta: float = 0.0
    gamma: float = 0.0
    theta: float = 0.0
    vega: float = 0.0

    def __add__(self, other: NetGreeks) -> NetGreeks:
        """Return the sum, Greek by Greek (both in the same units)."""
        return NetGreeks(
            self.delta + other.delta,
            self.gamma + other.gamma,
            self.theta + other.theta,
            self.vega + other.vega,
        )

    def scaled(self, factor: float) -> NetGreeks:
        """Return the Greeks times `factor` (e.g. multiplier x contracts)."""
        return NetGreeks(self.delta * factor, self.gamma * factor, self.theta * factor, self.vega * factor)

    @classmethod
    def of(cls, structure: Structure) -> NetGreeks:
        """Return a structure's net Greeks per unit."""
        return cls(structure.delta, structure.gamma, structure.theta, structure.vega)


def _check_money(name: str, value: float, positive: bool = False) -> None:
    if not math.isfinite(value) or (positive and value <= 0):
        raise InputError(name, value, "must be a positive number" if positive else "must be a finite number")


@dataclass(frozen=True, slots=True)
class PortfolioSnapshot:
    """The account at the moment an order is checked. Money in dollars.

    `pnl_today` / `pnl_week` are realised plus the change in unrealised P&L since the previous
    session's close / the last session of the previous week, so equity at the start of the day is
    `equity - pnl_today`. `current_greeks` holds each open position's Greeks per unit at the
    current marks, by position id; a position missing from it is counted at its entry Greeks.
    `regime` is today's regime when the caller knows it (None: not supplied, not checked).
    """

    equity: float
    peak_equity: float
    positions: tuple[Position, ...]
    pnl_today: float
    pnl_week: float
    breaker: BreakerState = field(default_factory=BreakerState)
    current_greeks: Mapping[str, NetGreeks] = field(default_factory=dict)
    regime: Regime | None = None

    def __post_init__(self) -> None:
        _check_money("equity", self.equity, positive=True)
        _check_money("peak_equity", self.peak_equity, positive=True)
        _check_money("pnl_today", self.pnl_today)
        _check_money("pnl_week", self.pnl_week)
        _check_money("equity at the start of the day", self.equity - self.pnl_today, positive=True)
        _check_money("equity at the start of the week", self.equity - self.pnl_week, positive=True)
        object.__setattr__(self, "positions", tuple(self.positions))
        object.__setattr__(self, "current_greeks", MappingProxyType(dict(self.current_greeks)))

    @property
    def equity_start_of_day(self) -> float:
        """Return the equity at the previous session's close."""
        return self.equity - self.pnl_today

    @property
    def equity_start_of_week(self) -> float:
        """Return the equity at the close of the previous week."""
        return self.equity - self.pnl_week

    @property
    def drawdown_pct(self) -> float:
        """Return the drawdown from the equity peak, in % (0 at a new high)."""
        peak = max(self.peak_equity, self.equity)
        return 100.0 * (peak - self.equity) / peak

    def open_on(self, underlying: str) -> int:
        """Return how many positions are open on one underlying."""
        return sum(1 for position in self.positions if position.underlying == underlying)

    def greeks_per_unit(self, position: Position) -> NetGreeks:
        """Return a position's Greeks per unit: current if known, else as entered."""
        return self.current_greeks.get(position.position_id, NetGreeks.of(position.structure))


# --- exposure figures ---------------------------------------------------------------------------


def trade_max_loss(structure: Structure, contracts: int) -> float:
    """Return a new trade's max loss in dollars, at the structure's mid credit."""
    return structure.max_loss * structure.multiplier * contracts


def trade_greeks(structure: Structure, contracts: int) -> NetGreeks:
    """Return a new trade's Greeks in portfolio units (share-equivalents, $ per vol point)."""
    return NetGreeks.of(structure).scaled(structure.multiplier * contracts)


def position_greeks(portfolio: PortfolioSnapshot, position: Position) -> NetGreeks:
    """Return an open position's Greeks in portfolio units."""
    size = position.structure.multiplier * position.contracts
    return portfolio.greeks_per_unit(position).scaled(size)


def portfolio_greeks(portfolio: PortfolioSnapshot) -> NetGreeks:
    """Return the open book's Greeks in portfolio units (summed as is: no beta weighting yet)."""
    total = NetGreeks()
    for position in portfolio.positions:
        total = total + position_greeks(portfolio, position)
    return total


def heat_pct(portfolio: PortfolioSnapshot, extra_max_loss: float = 0.0) -> float:
    """Return the sum of max losses (plus a new trade's) in % of equity (002 §6.3)."""
    at_risk = sum(position.max_loss_dollars for position in portfolio.positions) + extra_max_loss
    return 100.0 * at_risk / portfolio.equity


def delta_weight(max_loss: float, risk_per_trade_pct: float, equity: float) -> float:
    """Return a position's size in standard risk units: max loss / (risk per trade x equity)."""
    return max_loss / (risk_per_trade_pct / 100.0 * equity)


def aggregate_delta_term(
    delta_per_unit: float, max_loss: float, risk_per_trade_pct: float, equity: float
) -> float:
    """Return one position's share of the aggregate delta, in 002's sign (see the module doc)."""
    return -delta_per_unit * delta_weight(max_loss, risk_per_trade_pct, equity)
