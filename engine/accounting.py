"""Portfolio accounting: cash from fills, positions marked from the chain, equity, P&L, Greeks, heat.

Every dollar that moves is a fill (engine.model.Fill): an opening fill brings in its credit, a
closing fill pays its debit, a cash settlement at expiry is journaled as a fill at the settlement
value, and each fill pays its commissions and fees. So

    cash   = starting equity + sum over fills (net price x multiplier x contracts - commission)
    equity = cash - sum over open positions (mark x multiplier x contracts)

where a position's *mark* is the cost to close it now at the mid of each leg (the debit, in
points per unit). Realised P&L of a closed position = (entry credit + exit net price) x
multiplier x contracts - every commission paid on it; unrealised = (entry credit - mark) x
multiplier x contracts. Portfolio Greeks use the marked legs' Greeks (engine.risk.portfolio
units); heat is the sum of max losses over equity (002 §6.3).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from engine.journal import Journal
from engine.model import ComboLeg, Fill, Leg, Position, Structure
from engine.risk.portfolio import NetGreeks


@dataclass(frozen=True, slots=True)
class Mark:
    """A position valued at one moment: the debit to close at mid, and its Greeks per unit."""

    position_id: str
    at: datetime
    debit: float  # points per unit, at the legs' mids
    natural_debit: float  # points per unit: buying back at the ask, selling at the bid
    greeks: NetGreeks  # per unit, engine.pricing units
    legs: tuple[Leg, ...]

    def value(self, position: Position) -> float:
        """Return the dollars it would cost to close the whole position at mid."""
        return self.debit * position.structure.multiplier * position.contracts

    def unrealised(self, position: Position) -> float:
        """Return the open P&L in dollars (before commissions still to pay)."""
        return (position.entry_credit - self.debit) * position.structure.multiplier * position.contracts


def opening_legs(structure: Structure) -> tuple[ComboLeg, ...]:
    """Return the combo legs that open a structure (sell what it sells, buy what it buys)."""
    return tuple(ComboLeg(leg.right, leg.strike, leg.expiry, leg.quantity, leg.trading_class)
                 for leg in structure.legs)


def closing_legs(structure: Structure) -> tuple[ComboLeg, ...]:
    """Return the combo legs that close a structure: every leg the other way."""
    return tuple(ComboLeg(leg.right, leg.strike, leg.expiry, -leg.quantity, leg.trading_class)
                 for leg in structure.legs)


def mark_of(position: Position, quoted: Sequence[Leg], at: datetime) -> Mark:
    """Return the position's mark from its legs quoted now (`quoted` in the structure's leg order)."""
    debit = -sum(leg.quantity * q.mid for leg, q in zip(position.structure.legs, quoted, strict=True))
    natural = -sum(leg.quantity * (q.ask if leg.quantity < 0 else q.bid)
                   for leg, q in zip(position.structure.legs, quoted, strict=True))

    pairs = list(zip(position.structure.legs, quoted, strict=True))

    def net(name: str) -> float:
        values = [leg.quantity * getattr(q, name) for leg, q in pairs]
        return float(sum(values)) if all(math.isfinite(v) for v in values) else math.nan

    greeks = NetGreeks(net("delta"), net("gamma"), net("theta"), net("vega"))
    return Mark(position.position_id, at, float(debit), float(natural), greeks, tuple(quoted))


def fill_cash(fill: Fill, multiplier: int) -> float:
    """Return the cash a fill moves: its net price in dollars less its commission."""
    return fill.price * multiplier * fill.contracts - fill.commission


def realised_pnl(position: Position, exit_price: float, commissions: float) -> float:
    """Return a closed position's P&L in dollars, net of every commission paid on it."""
    gross = (position.entry_credit + exit_price) * position.structure.multiplier * position.contracts
    return gross - commissions


def settlement_price(position: Position, settlement_value: float) -> float:
    """Return the net price per unit of settling the structure in cash (negative: the holder pays)."""
    value = 0.0
    for leg in position.structure.legs:
        intrinsic = max(0.0, int(leg.right) * (settlement_value - leg.strike))
        value += leg.quantity * intrinsic
    return value


class Book:
    """The account's running figures between journal writes: cash, marks, closing equities, peak.

    Everything here can be rebuilt from the journal (`Book.from_journal`), which is what a
    restart does; the session keeps it in memory so a step does not re-read every fill and day.
    """

    def __init__(self, starting_equity: float, cash: float, closes: list[tuple[date, float]]) -> None:
        self.starting_equity = starting_equity
        self.cash = cash
        self.closes = closes  # (session, equity at its close), in date order
        self.peak = max([starting_equity, *(equity for _, equity in closes)])
        self.marks: dict[str, Mark] = {}

    @classmethod
    def from_journal(cls, journal: Journal, starting_equity: float) -> Book:
        """Rebuild the figures from the journal: cash from every fill, equities from the days."""
        multipliers = {entry.order.order_id: entry.order.multiplier for entry in journal.orders()}
        # added one by one from the start, in fill order, exactly as the running session adds them,
        # so a restart reproduces the uninterrupted run's cash to the last bit
        cash = sum((fill_cash(fill, multipliers[fill.order_id]) for fill in journal.fills()), starting_equity)
        closes = [(date.fromisoformat(row["day"]), row["equity"]) for row in journal.days()]
        return cls(starting_equity, cash, closes)

    def open_value(self, positions: Sequence[Position]) -> float:
        """Return the dollars it would cost to close every open position at its last mark."""
        total = 0.0
        for position in positions:
            mark = self.marks.get(position.position_id)
            debit = mark.debit if mark is not None else position.entry_credit
            total += debit * position.structure.multiplier * position.contracts
        return total

    def equity(self, positions: Sequence[Position]) -> float:
        """Return cash less the cost to close the open positions."""
        return self.cash - self.open_value(positions)

    def equity_before(self, day: date) -> float:
        """Return the equity at the last recorded close before `day` (the start when none)."""
        index = bisect.bisect_left(self.closes, (day,)) - 1
        return self.closes[index][1] if index >= 0 else self.starting_equity

    def record_close(self, day: date, equity: float) -> None:
        """Remember a session's closing equity (and a new peak)."""
        self.closes.append((day, equity))
        self.peak = max(self.peak, equity)

    def finite_greeks(self) -> dict[str, NetGreeks]:
        """Return each marked position's Greeks per unit, leaving out marks without Greeks."""
        return {pid: mark.greeks for pid, mark in self.marks.items()
                if all(math.isfinite(v) for v in (mark.greeks.delta, mark.greeks.gamma,
                                                   mark.greeks.theta, mark.greeks.vega))}
