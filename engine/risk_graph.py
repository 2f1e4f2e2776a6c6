"""The risk graph of a candidate or a position: payoff at expiry, P&L today and at a chosen date.

Dollars for the whole size. Today's and the chosen date's curves value each leg by Black-Scholes
with its own implied vol as last quoted (the vol is held fixed: a sticky-strike what-if, as the
analyse tabs of thinkorswim and TWS draw it), at the rate and dividend yield of the chain now.
Modelled when the quotes are (the flag travels with the graph).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from engine import calendar
from engine.accounting import opening_legs
from engine.clock import MARKET_TZ
from engine.errors import InputError
from engine.model import Expiration, Leg, Structure
from engine.model.desk import RiskGraph
from engine.pricing.structures import Legs, breakevens, expiry_pnl, pnl_at
from engine.session import TradingSession

GRID_POINTS = 241
GRID_SPAN = 0.15  # +-15 % of spot, widened to include every strike


def risk_graph_of(session: TradingSession, kind: str, subject: str, chosen: date | None) -> RiskGraph:
    """Return the risk graph of a candidate ("candidate") or an open position ("position")."""
    structure, contracts, credit, title = _subject(session, kind, subject)
    now = session.clock.now()
    today = now.astimezone(MARKET_TZ).date()
    expiry = structure.expiry
    chosen_day = chosen if chosen is not None and today <= chosen <= expiry else _midpoint(today, expiry)
    legs = _current_legs(session, structure)
    chain = session.feed.slice_at(now, _expiration(structure), [leg.strike for leg in legs])
    return _graph(title, legs, contracts * structure.multiplier, credit, chain.spot, chain.rate,
                  chain.dividend_yield, today, chosen_day, session.modelled)


def _subject(session: TradingSession, kind: str, subject: str) -> tuple[Structure, int, float, str]:
    if kind == "candidate":
        candidate = session.journal.candidate(subject)
        if candidate is None:
            raise InputError("candidate_id", subject, "is not a candidate of this session")
        structure = candidate.structure
        return structure, candidate.contracts, structure.credit_mid, f"{subject} {_name(structure)}"
    record = session.journal.position(subject)
    if record is None or record.status != "open":
        raise InputError("position_id", subject, "is not an open position")
    position = record.position
    title = f"{subject} {_name(position.structure)}"
    return position.structure, position.contracts, position.entry_credit, title


def _name(structure: Structure) -> str:
    strikes = "/".join(f"{leg.strike:g}" for leg in structure.legs)
    return f"{structure.kind.value} {strikes} {structure.expiry.isoformat()}"


def _expiration(structure: Structure) -> Expiration:
    leg = structure.legs[0]
    return calendar.expiration_of(leg.expiry, leg.trading_class)


def _current_legs(session: TradingSession, structure: Structure) -> tuple[Leg, ...]:
    """Return the legs as quoted now (their vols move with the market), else as they were built."""
    quoted = session.feed.quote_legs(session.clock.now(), opening_legs(structure))
    if quoted is None or not all(math.isfinite(leg.iv) and leg.iv > 0 for leg in quoted):
        return structure.legs
    return tuple(quoted)


def _midpoint(today: date, expiry: date) -> date:
    return today + timedelta(days=max(0, (expiry - today).days // 2))


def _graph(title: str, legs: tuple[Leg, ...], size: int, credit: float, spot: float, rate: float,
           div_yield: float, today: date, chosen: date, modelled: bool) -> RiskGraph:
    years = [(leg.expiry - today).days / 365.0 for leg in legs]
    batch = Legs.build([int(leg.right) for leg in legs], [leg.strike for leg in legs],
                       [leg.quantity for leg in legs], years, [max(leg.iv, 1e-4) for leg in legs])
    strikes = [leg.strike for leg in legs]
    low = min(spot * (1 - GRID_SPAN), min(strikes) * 0.97)
    high = max(spot * (1 + GRID_SPAN), max(strikes) * 1.03)
    prices = np.linspace(low, high, GRID_POINTS)
    at_expiry = expiry_pnl(batch, prices, credit)[0] * size
    now_pnl = pnl_at(batch, prices, 0.0, rate, div_yield, credit)[0] * size
    elapsed = max(0.0, (chosen - today).days / 365.0)
    later = pnl_at(batch, prices, elapsed, rate, div_yield, credit)[0] * size
    evens = tuple(float(x) for x in breakevens(batch, credit)[0] if math.isfinite(x))
    shorts = tuple(leg.strike for leg in legs if leg.quantity < 0)
    return RiskGraph(title, prices, np.asarray(at_expiry), np.asarray(now_pnl), np.asarray(later), today,
                     chosen, spot, evens, shorts, modelled)
