"""The risk limits, one small function each: the reading of one limit for one proposed entry.

Every check returns a `LimitReading` (the limit's name, the value it measured, its threshold,
whether it is breached, and a sentence), so the Portfolio Greeks and Circuit breaker panels can
draw each limit beside its figure and the risk manager can veto on the first breach.

Where the boundary falls, and why:

* *Halts* (circuit breaker, regime, daily/weekly loss limits, daily profit stop) are breached when
  the figure **reaches** the limit: 001 "if daily loss reaches 5 %: stop all trading"; 000 "stop at
  +$300".
* *Ceilings* (capacity, heat, Greek caps, aggregate delta) are breached when the trade would take
  the figure **beyond** the limit: 002 "never exceed 15 %" allows exactly 15 %.
* Portfolio-level Greek limits veto only a trade that moves the figure further past its limit:
  a trade that brings an over-limit book back towards it (a hedge) is reducing risk and passes.
  Heat cannot fall with an entry, so it has no such case.

Comparisons allow `EPSILON` of float noise so "exactly at the limit" means what it says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from engine.config import Settings
from engine.model import RiskVerdict, Structure
from engine.risk.portfolio import (
    PortfolioSnapshot,
    aggregate_delta_term,
    heat_pct,
    portfolio_greeks,
    trade_greeks,
    trade_max_loss,
)

EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class ProposedEntry:
    """An order that would open (or add to) a position: what the risk manager judges."""

    structure: Structure
    contracts: int
    portfolio: PortfolioSnapshot
    day: date


@dataclass(frozen=True, slots=True)
class LimitReading:
    """One limit measured for one proposed entry."""

    limit: str
    value: float | None
    threshold: float | None
    breached: bool
    detail: str

    def verdict(self) -> RiskVerdict:
        """Return this reading as the risk manager's verdict (a veto when breached)."""
        return RiskVerdict(not self.breached, self.limit, self.value, self.threshold, self.detail)


Check = Callable[[ProposedEntry, Settings], LimitReading]


def _reaches(value: float, limit: float) -> bool:
    return value >= limit - EPSILON


def _beyond(value: float, limit: float) -> bool:
    return value > limit + EPSILON


# --- halts --------------------------------------------------------------------------------------


def circuit_breaker(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Veto every entry while the breaker is tripped or halted by hand (002 §7.1, §12)."""
    state = entry.portfolio.breaker
    count = settings.underlying(entry.structure.underlying).circuit_breaker_count
    halted = state.is_halted(entry.day)
    return LimitReading(
        "circuit breaker", float(state.consecutive_max_losses), float(count), halted, state.status(entry.day)
    )


def regime_halt(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Veto entries in Crisis or Bear Trend (002 §12 rule 7), manual ones included."""
    regime = entry.portfolio.regime
    if regime is None:
        return LimitReading("regime", None, None, False, "regime not supplied: not checked")
    verb = "halts" if regime.halts_entries else "allows"
    return LimitReading(
        "regime", None, None, regime.halts_entries, f"{regime.value} regime {verb} new entries"
    )


def daily_loss_limit(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Halt entries for the day once today's loss reaches the limit (001: 5 %; default 2 %)."""
    portfolio = entry.portfolio
    limit = settings.limits.daily_loss_limit_pct
    loss_pct = 100.0 * -portfolio.pnl_today / portfolio.equity_start_of_day
    detail = (
        f"today's P&L ${portfolio.pnl_today:+,.0f} is a {loss_pct:.2f} % loss of start-of-day equity "
        f"(limit {limit:.2f} %)"
    )
    return LimitReading("daily loss limit", loss_pct, limit, _reaches(loss_pct, limit), detail)


def weekly_loss_limit(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Halt entries for the week once this week's loss reaches the limit (001: 10 %; default 5 %)."""
    portfolio = entry.portfolio
    limit = settings.limits.weekly_loss_limit_pct
    loss_pct = 100.0 * -portfolio.pnl_week / portfolio.equity_start_of_week
    detail = (
        f"this week's P&L ${portfolio.pnl_week:+,.0f} is a {loss_pct:.2f} % loss of start-of-week "
        f"equity (limit {limit:.2f} %)"
    )
    return LimitReading("weekly loss limit", loss_pct, limit, _reaches(loss_pct, limit), detail)


def daily_profit_stop(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Stop new entries for the day once today's gain reaches the stop, when enabled (000's +$300)."""
    limits = settings.limits
    portfolio = entry.portfolio
    gain_pct = 100.0 * portfolio.pnl_today / portfolio.equity_start_of_day
    if not limits.daily_profit_stop_enabled:
        return LimitReading("daily profit stop", gain_pct, None, False, "daily profit stop is off")
    stop = limits.daily_profit_stop_pct
    detail = f"today's gain {gain_pct:.2f} % of start-of-day equity (stop at {stop:.2f} %)"
    return LimitReading("daily profit stop", gain_pct, stop, _reaches(gain_pct, stop), detail)


# --- ceilings -----------------------------------------------------------------------------------


def capacity_per_underlying(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap the open positions on one underlying (002 §6.3: 3); each position counts once."""
    underlying = entry.structure.underlying
    cap = settings.underlying(underlying).max_concurrent_per_underlying
    after = entry.portfolio.open_on(underlying) + 1
    detail = f"would be {after} open {underlying} positions (max {cap})"
    return LimitReading("capacity per underlying", float(after), float(cap), after > cap, detail)


def capacity_total(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap the open positions across the account (002 §6.3: 8)."""
    cap = settings.portfolio.max_concurrent_total
    after = len(entry.portfolio.positions) + 1
    detail = f"would be {after} open positions (max {cap})"
    return LimitReading("capacity total", float(after), float(cap), after > cap, detail)


def portfolio_heat(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap the sum of max losses after the trade, in % of equity (002 §6.3: 15 %)."""
    cap = settings.portfolio.max_portfolio_heat_pct
    heat = heat_pct(entry.portfolio, trade_max_loss(entry.structure, entry.contracts))
    relation = ">" if _beyond(heat, cap) else "<="
    detail = f"heat would be {heat:.1f} % of equity {relation} {cap:.1f} %"
    return LimitReading("portfolio heat", heat, cap, _beyond(heat, cap), detail)


def aggregate_delta(entry: ProposedEntry, settings: Settings) -> tuple[float, float]:
    """Return the aggregate delta (002 sign, risk-unit weighted; engine.risk.portfolio) before and after."""
    portfolio = entry.portfolio
    before = 0.0
    for position in portfolio.positions:
        risk_pct = settings.underlying(position.underlying).risk_per_trade_pct
        delta = portfolio.greeks_per_unit(position).delta
        before += aggregate_delta_term(delta, position.max_loss_dollars, risk_pct, portfolio.equity)
    structure = entry.structure
    risk_pct = settings.underlying(structure.underlying).risk_per_trade_pct
    max_loss = trade_max_loss(structure, entry.contracts)
    after = before + aggregate_delta_term(structure.delta, max_loss, risk_pct, portfolio.equity)
    return before, after


def aggregate_delta_limit(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Restrict entries that push the aggregate short delta past its limit (002 §8.3: -0.50)."""
    limit = settings.portfolio.max_aggregate_delta
    before, after = aggregate_delta(entry, settings)
    breached = after < limit - EPSILON and after < before
    detail = f"aggregate delta would be {after:+.3f} (from {before:+.3f}; limit {limit:+.2f})"
    return LimitReading("aggregate delta", after, limit, breached, detail)


def _per_trade_cap(name: str, unit: str, value: float, cap: float) -> LimitReading:
    size = abs(value)
    relation = ">" if _beyond(size, cap) else "<="
    detail = f"trade {name} {value:+,.1f} {unit}: |{size:,.1f}| {relation} {cap:,.1f}"
    return LimitReading(f"{name} per trade", size, cap, _beyond(size, cap), detail)


def delta_per_trade(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap one trade's delta in share-equivalents (003 §3.2: 30)."""
    delta = trade_greeks(entry.structure, entry.contracts).delta
    return _per_trade_cap("delta", "share-equivalents", delta, settings.limits.max_delta_per_trade)


def vega_per_trade(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap one trade's vega in dollars per vol point (003 §3.2: 100)."""
    vega = trade_greeks(entry.structure, entry.contracts).vega
    return _per_trade_cap("vega", "$ per vol point", vega, settings.limits.max_vega_per_trade)


def _portfolio_cap(name: str, unit: str, before: float, after: float, cap: float) -> LimitReading:
    breached = _beyond(abs(after), cap) and abs(after) > abs(before)
    detail = f"portfolio {name} would be {after:+,.2f} {unit} (from {before:+,.2f}; cap ±{cap:,.1f})"
    return LimitReading(f"portfolio {name}", abs(after), cap, breached, detail)


def portfolio_delta(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap the book's delta after the trade, in share-equivalents (003 §3.2: 200)."""
    before = portfolio_greeks(entry.portfolio).delta
    after = before + trade_greeks(entry.structure, entry.contracts).delta
    return _portfolio_cap("delta", "share-equivalents", before, after, settings.limits.max_portfolio_delta)


def portfolio_gamma(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap the book's gamma after the trade, in share-equivalents per point (003 §3.2: 50)."""
    before = portfolio_greeks(entry.portfolio).gamma
    after = before + trade_greeks(entry.structure, entry.contracts).gamma
    unit = "share-equivalents per point"
    return _portfolio_cap("gamma", unit, before, after, settings.limits.max_portfolio_gamma)


def portfolio_vega(entry: ProposedEntry, settings: Settings) -> LimitReading:
    """Cap the book's vega after the trade, in dollars per vol point (003 §3.2: 500)."""
    before = portfolio_greeks(entry.portfolio).vega
    after = before + trade_greeks(entry.structure, entry.contracts).vega
    return _portfolio_cap("vega", "$ per vol point", before, after, settings.limits.max_portfolio_vega)


# Account-wide halts come first: when nothing may trade today the trader should read that, not a
# size-specific reason that editing the order would seem to fix. Then the ceilings, coarse to fine.
ENTRY_CHECKS: tuple[Check, ...] = (
    circuit_breaker,
    regime_halt,
    daily_loss_limit,
    weekly_loss_limit,
    daily_profit_stop,
    capacity_per_underlying,
    capacity_total,
    portfolio_heat,
    aggregate_delta_limit,
    delta_per_trade,
    vega_per_trade,
    portfolio_delta,
    portfolio_gamma,
    portfolio_vega,
)
