"""What a finished replay hands to the metrics and the report writers: trades and days.

Both are read back from the session's journal (engine.journal), so a report describes exactly
what the session did. Money is dollars; prices are points per unit (x multiplier for dollars).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One position from entry to exit (or still open at the end of the run).

    `credit` is the net entry price per unit actually received (points); `exit_price` the net
    debit per unit paid to close (points; the settlement value for a position settled at expiry).
    `pnl` is realised dollars net of every commission and fee of both sides (None while open);
    `max_loss` is dollars for the whole position at the credit received. `legs` reads like an
    order ticket: "SELL 1 SPX 2015-03-20 1915P | BUY 1 SPX 2015-03-20 1865P".
    """

    position_id: str
    underlying: str
    strategy: str  # the preset, "optimus"
    structure: str  # "Put Credit Spread"
    entry_date: date
    exit_date: date | None
    dte_at_entry: int
    strikes: str  # "1915/1865"
    legs: str
    contracts: int
    credit: float
    exit_price: float | None
    max_loss: float
    pnl: float | None
    commissions: float
    exit_reason: str  # "" while open; "PROFIT TARGET", ..., "SETTLED"
    status: str  # "open" or "closed"

    @property
    def days_held(self) -> int | None:
        """Return calendar days from entry to exit (None while open)."""
        return None if self.exit_date is None else (self.exit_date - self.entry_date).days


@dataclass(frozen=True, slots=True)
class DailyRecord:
    """The account at one session's close.

    `equity` = `cash` - `open_value` (the cost to close every open position at the mid marks).
    `realised_pnl` and `commissions` are the day's; `drawdown_pct` is from the running peak
    of equity (0 at a new high). `entered` and `closed` count positions opened / closed that day.
    """

    day: date
    strategy: str
    equity: float
    cash: float
    open_value: float
    realised_pnl: float
    commissions: float
    drawdown_pct: float
    open_positions: int
    entered: int
    closed: int
