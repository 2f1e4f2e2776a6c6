"""What the terminal's panels show and what they ask for: plain frozen values.

The engine builds these from a running TradingSession (engine.desk_view) and the terminal hands
them to the panels; the panels (widgets/) read them and emit intents, nothing else. Money is in
dollars for a whole position (x multiplier x contracts) unless a name says points; prices of
combos follow engine.model's convention (net per unit, + credit / - debit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from engine.model import (
    ComboLeg,
    Expiration,
    Fill,
    GateResult,
    Order,
    OrderStatus,
    Position,
    Regime,
    RiskVerdict,
    TradeCandidate,
)

FloatArray = npt.NDArray[np.float64]
ExitMode = Literal["auto", "manual"]
MarkKind = Literal["signal", "entry", "exit"]


@dataclass(frozen=True, slots=True)
class GreekFigures:
    """Net Greeks of a whole position or book, in dollars.

    delta: $ per 1 point of the underlying; gamma: change of that delta per point; theta: $ per
    calendar day; vega: $ per vol point.
    """

    delta: float = 0.0
    gamma: float = 0.0
    theta: float = 0.0
    vega: float = 0.0


@dataclass(frozen=True, slots=True)
class CandidateView:
    """One row of the Candidates panel, with the full gate report of its signal close."""

    candidate: TradeCandidate
    max_loss_dollars: float  # for the candidate's size, at the mid credit
    return_on_risk: float  # credit / max loss, per unit (0.25 = 25 %)
    gates: tuple[GateResult, ...]
    regime: str  # the regime at the signal close ("" when unknown)
    risk_text: str  # the risk manager's verdict at the signal close, in words
    modelled: bool  # prices come from the modelled chain

    @property
    def candidate_id(self) -> str:
        """Return the candidate's id."""
        return self.candidate.candidate_id

    @property
    def actionable(self) -> bool:
        """Return True while the trader can still approve, edit or reject it."""
        return self.candidate.status.value == "new"


@dataclass(frozen=True, slots=True)
class PositionView:
    """One row of the Positions panel: the position valued at the latest mark."""

    position: Position
    exit_mode: ExitMode
    mark_debit: float  # points per unit to close at mid; NaN without a quote
    natural_debit: float  # points per unit to close at the natural price; NaN without a quote
    pnl_dollars: float  # open P&L at mid, before closing commissions; NaN without a quote
    pnl_pct_of_max_profit: float  # pnl / (entry credit x multiplier x contracts); NaN without a quote
    dte: int
    greeks: GreekFigures
    spot: float
    short_strike: float
    distance_points: float  # how far the underlying is from the short strike, + out of the money
    exit_signal: str = ""  # a pending exit the trader has to act on (exits manual), else ""
    closing_order_id: str = ""  # a working closing/rolling order, else ""
    modelled: bool = True

    @property
    def position_id(self) -> str:
        """Return the position's id."""
        return self.position.position_id

    @property
    def distance_pct(self) -> float:
        """Return the distance to the short strike as a percentage of the underlying."""
        return 100.0 * self.distance_points / self.spot if self.spot > 0 else math.nan


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One change of an order's state, as journaled."""

    at: datetime
    status: OrderStatus
    detail: str


@dataclass(frozen=True, slots=True)
class OrderView:
    """One row of the Orders and fills panel: the order, its state history and its fills."""

    order: Order
    status: OrderStatus
    reason: str  # why it was sent: "entry: ...", "exit: PROFIT TARGET ...", "manual close", "roll ..."
    events: tuple[OrderEvent, ...]
    fills: tuple[Fill, ...]

    @property
    def order_id(self) -> str:
        """Return the order's id."""
        return self.order.order_id

    @property
    def commissions(self) -> float:
        """Return the dollars of commissions and fees paid on its fills."""
        return sum(fill.commission for fill in self.fills)

    @property
    def working(self) -> bool:
        """Return True while it can be cancelled or its limit modified."""
        return not self.status.is_final


@dataclass(frozen=True, slots=True)
class LimitGauge:
    """One figure beside its limit (Portfolio Greeks panel). The limit is on the absolute value."""

    name: str
    value: float
    limit: float
    unit: str

    @property
    def used(self) -> float:
        """Return |value| / limit (1.0 = at the limit; NaN when there is no limit)."""
        return abs(self.value) / self.limit if self.limit > 0 else math.nan

    @property
    def breached(self) -> bool:
        """Return True when the figure is beyond its limit."""
        return self.limit > 0 and abs(self.value) > self.limit


@dataclass(frozen=True, slots=True)
class GreeksView:
    """The Portfolio Greeks panel: book totals, heat, per-underlying split, limits."""

    total: GreekFigures
    beta_weighted_delta: float  # SPX-equivalent $ delta (beta of SPX to itself: 1)
    heat_pct: float  # sum of max losses / equity x 100
    per_underlying: tuple[tuple[str, GreekFigures], ...]
    limits: tuple[LimitGauge, ...]


@dataclass(frozen=True, slots=True)
class RegimeView:
    """The Regime and gates panel: the regime, its inputs and every gate of the last evaluation."""

    day: date | None
    regime: Regime | None
    inputs: tuple[tuple[str, str], ...]  # ("VIX", "18.52"), ("IV rank", "no data"), ...
    diagnosis: tuple[GateResult, ...]
    gates: tuple[GateResult, ...]
    warmup_bars_remaining: int
    signal: bool
    reason: str  # the first failing gate, "" with a signal


@dataclass(frozen=True, slots=True)
class BreakerView:
    """The Circuit breaker panel: state, streak, loss limits, drawdown and the scaling it implies."""

    state: Literal["armed", "tripped", "halted"]
    status_text: str
    consecutive_max_losses: int
    trip_after: int  # consecutive max losses that trip it
    recent: str  # last outcomes, "W, W, L"
    tripped_until: date | None
    pnl_today: float
    daily_loss_limit: float  # dollars (positive)
    pnl_week: float
    weekly_loss_limit: float  # dollars (positive)
    drawdown_pct: float
    risk_scale: float  # the sizing multiplier the drawdown implies (1.0 = full size)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One entry of the structured log."""

    at: datetime
    kind: str  # "ENTRY EVAL", "TRADE OPENED", "TRADE CLOSED", "DAILY SUMMARY", "RISK VETO", ...
    text: str


@dataclass(frozen=True, slots=True)
class EquityCurve:
    """Equity and drawdown at each close of the session so far (times: epoch seconds of the closes)."""

    times: FloatArray
    equity: FloatArray
    drawdown_pct: FloatArray  # <= 0: percent below the running peak
    starting_equity: float


@dataclass(frozen=True, slots=True)
class TradeMark:
    """A marker on the underlying chart: a signal, an entry or an exit, at a session's price."""

    day: date
    price: float
    kind: MarkKind
    label: str


@dataclass(frozen=True, slots=True)
class ReplayView:
    """The Replay panel: dataset, range, where the replay clock stands, whether it plays."""

    dataset: str
    first: date
    last: date
    now: datetime | None  # None before the first step
    playing: bool
    speed: float  # simulated seconds per wall second (math.inf: as fast as it goes)
    finished: bool


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """The status bar's broker part."""

    broker: str  # "paper", "IB"
    account_kind: Literal["paper", "live"]
    connected: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DeskView:
    """Everything the panels show at one moment, built in one piece (never half-updated)."""

    at: datetime | None
    underlying: str
    spot: float
    equity: float
    cash: float
    candidates: tuple[CandidateView, ...]
    positions: tuple[PositionView, ...]
    orders: tuple[OrderView, ...]
    greeks: GreeksView
    regime: RegimeView
    breaker: BreakerView
    log: tuple[LogLine, ...]
    equity_curve: EquityCurve
    marks: tuple[TradeMark, ...]
    replay: ReplayView
    connection: ConnectionView
    modelled: bool = True


@dataclass(frozen=True, slots=True)
class RiskGraph:
    """Payoff at expiry and theoretical P&L today and at a chosen date, over a price grid (dollars)."""

    title: str
    prices: FloatArray
    at_expiry: FloatArray
    today: FloatArray
    at_date: FloatArray
    today_date: date
    chosen_date: date
    spot: float
    breakevens: tuple[float, ...]
    short_strikes: tuple[float, ...]
    modelled: bool = True


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """What the confirmation shows before an order leaves: the order as it will be sent.

    `verdict` is the risk manager's check on current prices (None for closing orders, which
    only reduce risk). `when` says when it goes out ("now", or the next entry window).
    """

    action: Literal["open", "close", "roll"]
    subject_id: str  # the candidate or position it acts on
    underlying: str
    legs: tuple[ComboLeg, ...]
    contracts: int
    limit_price: float
    mid_price: float
    natural_price: float
    max_loss_dollars: float | None
    commission_estimate: float
    verdict: RiskVerdict | None
    when: str
    modelled: bool = True
    live_account: str = ""  # a LIVE (real money) IB account: the trader must confirm this very order

    @property
    def can_send(self) -> bool:
        """Return False when the risk manager vetoed it (the confirmation then only explains)."""
        return self.verdict is None or self.verdict.approved


@dataclass(frozen=True, slots=True)
class RollOptions:
    """What the roll dialog offers for one position: later expiries and strikes of the target."""

    position_id: str
    current_expiry: date
    current_short_strike: float
    width: float
    expirations: tuple[Expiration, ...]  # later than the position's expiry
    default_expiry: date
    strikes: tuple[float, ...] = field(default_factory=tuple)  # listed strikes near the money
    long_offset: float = math.nan  # long strike - short strike (-width for a put spread, +width for calls)

    @property
    def long_side_offset(self) -> float:
        """Return where the long leg sits from the short one (a put spread's below when not stated)."""
        return self.long_offset if math.isfinite(self.long_offset) else -self.width


@dataclass(frozen=True, slots=True)
class RollRequest:
    """A trader's roll: to this expiry and short strike (same width), at this limit (None: natural)."""

    position_id: str
    expiry: date
    short_strike: float
    limit_price: float | None = None


@dataclass(frozen=True, slots=True)
class CandidateEdit:
    """A trader's approval with edits: size and limit (None: keep the engine's)."""

    candidate_id: str
    contracts: int | None = None
    limit_price: float | None = None
