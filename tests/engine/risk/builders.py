"""Small builders of spreads, positions and portfolios for the risk and exit tests."""

from __future__ import annotations

from datetime import date

from engine.model import ExitPlan, Leg, Position, Regime, Right, Structure, StructureKind
from engine.risk import BreakerState, NetGreeks, PortfolioSnapshot

EXPIRY = date(2026, 4, 2)  # 002 §9.2's example expiry
OPENED = date(2026, 2, 17)
PLAN = ExitPlan(1.30, 5.20, date(2026, 3, 12), date(2026, 3, 5))


def _leg(strike: float, quantity: int, expiry: date) -> Leg:
    return Leg(Right.PUT, strike, expiry, quantity, 1.0, 1.1, 1.05, 0.18, -0.1, 0.001, -0.5, 5.0)


def spread(
    *,
    underlying: str = "SPX",
    credit: float = 2.60,
    max_loss: float = 47.40,
    delta: float = 0.05,
    gamma: float = -0.0004,
    vega: float = -0.3,
    short_strike: float = 5700.0,
    expiry: date = EXPIRY,
) -> Structure:
    """Return a 50-wide put credit spread with the given net Greeks per unit."""
    legs = (_leg(short_strike, -1, expiry), _leg(short_strike - 50.0, 1, expiry))
    return Structure(
        kind=StructureKind.PUT_CREDIT_SPREAD,
        underlying=underlying,
        legs=legs,
        credit_mid=credit,
        credit_natural=credit - 0.2,
        max_profit=credit,
        max_loss=max_loss,
        breakevens=(short_strike - credit,),
        probability_of_profit=0.8,
        delta=delta,
        gamma=gamma,
        theta=0.2,
        vega=vega,
    )


def position(
    position_id: str = "P1",
    contracts: int = 1,
    structure: Structure | None = None,
    entry_credit: float | None = None,
    opened_on: date = OPENED,
) -> Position:
    """Return an open position (entry credit = the structure's mid unless given)."""
    structure = structure or spread()
    credit = structure.credit_mid if entry_credit is None else entry_credit
    underlying = structure.underlying
    return Position(position_id, underlying, structure, contracts, credit, opened_on, PLAN)


def portfolio(
    positions: tuple[Position, ...] = (),
    *,
    equity: float = 500_000.0,
    pnl_today: float = 0.0,
    pnl_week: float = 0.0,
    breaker: BreakerState | None = None,
    current_greeks: dict[str, NetGreeks] | None = None,
    regime: Regime | None = None,
) -> PortfolioSnapshot:
    """Return a snapshot of the account (peak equity = equity)."""
    return PortfolioSnapshot(
        equity=equity,
        peak_equity=equity,
        positions=positions,
        pnl_today=pnl_today,
        pnl_week=pnl_week,
        breaker=breaker or BreakerState(),
        current_greeks=current_greeks or {},
        regime=regime,
    )
