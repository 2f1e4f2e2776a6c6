"""Value types shared by the engine and the panels.

Everything here is a frozen, slotted dataclass: safe to hand from the engine to a view, never
mutated in place. Chains are columnar (one numpy array per field) because pricing and strike
selection work on whole arrays, never on per-option Python objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class DataSource(enum.StrEnum):
    """Where a chain or a bar came from; shown wherever the data shows."""

    MODELLED = "modelled"
    QUOTED = "quoted"
    RECORDED = "recorded"


class Settlement(enum.StrEnum):
    """How an SPX expiry settles: AM on the opening prints (monthly SPX), PM on the close (SPXW)."""

    AM = "AM"
    PM = "PM"


class Right(enum.IntEnum):
    """Option right, with the sign the pricing kernels use (+1 call, -1 put)."""

    CALL = 1
    PUT = -1


@dataclass(frozen=True, slots=True)
class Expiration:
    """One listed expiration of an index option class."""

    expiry: date
    settlement: Settlement
    trading_class: str  # "SPX" (AM monthly) or "SPXW" (PM weeklies/dailies)
    settles_at: datetime  # tz-aware: when the settlement value is fixed
    kind: str  # "monthly", "weekly-fri", "weekly-mon", "weekly-wed", "daily"


def _readonly(array: FloatArray) -> FloatArray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True)
class SideQuotes:
    """Quotes and Greeks of one side (calls or puts) of a chain slice, one entry per strike.

    Greeks use the conventions of engine.pricing: theta per calendar day, vega per vol point,
    both per one option on one unit of the underlying (multiply by the contract multiplier for $).
    IV is a decimal (0.18 = 18 %). Missing values are NaN.
    """

    bid: FloatArray
    ask: FloatArray
    mid: FloatArray
    iv: FloatArray
    delta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    vega: FloatArray
    open_interest: FloatArray

    def __post_init__(self) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, _readonly(getattr(self, name)))


@dataclass(frozen=True, slots=True)
class ChainSlice:
    """All strikes of one expiry at one moment: the columnar form every chain takes."""

    underlying: str
    expiration: Expiration
    as_of: datetime  # tz-aware
    spot: float
    forward: float
    rate: float
    dividend_yield: float
    time_to_expiry: float  # years, ACT/365 to the settlement moment
    strikes: FloatArray
    calls: SideQuotes
    puts: SideQuotes
    source: DataSource
    venue: tuple[SideQuotes, SideQuotes] | None = None  # the venue's own IV/Greeks (IB's model), calls/puts

    def __post_init__(self) -> None:
        object.__setattr__(self, "strikes", _readonly(self.strikes))

    @property
    def expiry(self) -> date:
        """Return the expiry date."""
        return self.expiration.expiry

    @property
    def dte(self) -> int:
        """Return calendar days from the as-of date to expiry, as traders count DTE."""
        return (self.expiration.expiry - self.as_of.date()).days

    @property
    def atm_index(self) -> int:
        """Return the index of the strike nearest the forward."""
        return int(np.argmin(np.abs(self.strikes - self.forward)))

    @property
    def is_modelled(self) -> bool:
        """Return True when the quotes were modelled, not observed."""
        return self.source is DataSource.MODELLED


@dataclass(frozen=True, slots=True)
class Chain:
    """Every listed expiry of one underlying at one moment."""

    underlying: str
    as_of: datetime
    spot: float
    source: DataSource
    slices: tuple[ChainSlice, ...] = field(default_factory=tuple)

    @property
    def expirations(self) -> tuple[Expiration, ...]:
        """Return the expirations in date order."""
        return tuple(s.expiration for s in self.slices)

    def slice_for(self, expiry: date) -> ChainSlice:
        """Return the slice of one expiry; raise KeyError naming the expiry when not listed."""
        for chain_slice in self.slices:
            if chain_slice.expiry == expiry:
                return chain_slice
        raise KeyError(f"expiry {expiry.isoformat()} is not listed in the {self.underlying} chain")


# --- strategy values (issue 3) ----------------------------------------------------------------


class Regime(enum.StrEnum):
    """Market regime of seed 002 §3.3."""

    BULLISH_CALM = "Bullish Calm"
    ELEVATED_VOL = "Elevated Vol"
    HIGH_VOL = "High Vol"
    CRISIS = "Crisis"
    BEAR_TREND = "Bear Trend"

    @property
    def halts_entries(self) -> bool:
        """Return True for the regimes in which 002 allows no new entries."""
        return self in (Regime.CRISIS, Regime.BEAR_TREND)


class CheckStatus(enum.StrEnum):
    """Outcome of one gate or diagnosis check. NO_DATA and DISABLED never count as a pass."""

    PASS = "PASS"
    FAIL = "FAIL"
    NO_DATA = "NO DATA"
    DISABLED = "DISABLED"


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate or diagnosis check: its value, its threshold, and what it decided."""

    name: str
    status: CheckStatus
    value: float | str | None
    threshold: str
    detail: str

    @property
    def passed(self) -> bool:
        """Return True only for an enabled check that passed."""
        return self.status is CheckStatus.PASS

    @property
    def blocks(self) -> bool:
        """Return True when this check stops an entry: FAIL, or NO DATA (missing input never passes).

        A DISABLED check neither passes nor blocks.
        """
        return self.status in (CheckStatus.FAIL, CheckStatus.NO_DATA)


class StructureKind(enum.StrEnum):
    """The defined-risk structures the engine builds."""

    PUT_CREDIT_SPREAD = "Put Credit Spread"
    CALL_CREDIT_SPREAD = "Call Credit Spread"
    IRON_CONDOR = "Iron Condor"
    BROKEN_WING_BUTTERFLY = "Broken-Wing Butterfly"
    CALENDAR = "Calendar"


@dataclass(frozen=True, slots=True)
class Leg:
    """One option of a structure, quoted at the moment the structure was built.

    `quantity` is signed per one unit of the structure: -1 sold, +1 bought, -2 for the body of
    a butterfly. Greeks are per option (engine.pricing units).
    """

    right: Right
    strike: float
    expiry: date
    quantity: int
    bid: float
    ask: float
    mid: float
    iv: float
    delta: float
    gamma: float
    theta: float
    vega: float
    trading_class: str = ""  # "SPX" (AM monthly) / "SPXW" (PM): which option class, for settlement and IB

    @property
    def action(self) -> str:
        """Return BUY or SELL, as an order ticket says it."""
        return "BUY" if self.quantity > 0 else "SELL"


@dataclass(frozen=True, slots=True)
class Structure:
    """A multi-leg position per one unit, in index points (x multiplier for dollars).

    Credit is positive when the structure is sold for a net credit. `credit_natural` is what
    selling at the bid / buying at the ask would collect. `max_profit` and `max_loss` (both
    positive numbers) are at the mid credit. Greeks are net, per one unit.
    """

    kind: StructureKind
    underlying: str
    legs: tuple[Leg, ...]
    credit_mid: float
    credit_natural: float
    max_profit: float
    max_loss: float
    breakevens: tuple[float, ...]
    probability_of_profit: float
    delta: float
    gamma: float
    theta: float
    vega: float
    multiplier: int = 100

    @property
    def expiry(self) -> date:
        """Return the nearest expiry among the legs."""
        return min(leg.expiry for leg in self.legs)

    @property
    def width(self) -> float:
        """Return the distance between the outermost strikes."""
        strikes = [leg.strike for leg in self.legs]
        return max(strikes) - min(strikes)


@dataclass(frozen=True, slots=True)
class ExitPlan:
    """Where a position will be closed (002 §7): debits per unit in points, and the time stop."""

    profit_target_debit: float
    stop_loss_debit: float
    time_stop: date
    soft_warning: date


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """The risk manager's decision: approved, or vetoed naming the limit, value and threshold."""

    approved: bool
    limit: str = ""
    value: float | None = None
    threshold: float | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Position:
    """An open position as the strategy and risk manager see it."""

    position_id: str
    underlying: str
    structure: Structure
    contracts: int
    entry_credit: float  # points per unit actually received
    opened_on: date
    exit_plan: ExitPlan

    @property
    def max_loss_dollars(self) -> float:
        """Return the most this position can lose, in dollars, at the credit actually received."""
        per_unit = self.structure.max_loss + self.structure.credit_mid - self.entry_credit
        return per_unit * self.structure.multiplier * self.contracts


# --- orders and fills (issue 4) ------------------------------------------------------------------
#
# Price convention for every order and fill: the *net price per unit* of the combo in index
# points, positive for a credit received and negative for a debit paid. A limit is the worst
# acceptable net price: a combo fills at a net price >= its limit. Selling a put spread for at
# least 2.50 is a limit of +2.50; buying it back for at most 1.30 is a limit of -1.30.


class OrderIntent(enum.StrEnum):
    """What an order does to the book."""

    OPEN = "open"
    CLOSE = "close"
    ROLL = "roll"


class OrderStatus(enum.StrEnum):
    """Where an order stands. CREATED is journaled but not yet acknowledged by the broker."""

    CREATED = "created"
    WORKING = "working"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        """Return True when the order can change no more."""
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class ComboLeg:
    """One leg of a combo order: the option and its signed ratio per unit (+1 buy, -1 sell)."""

    right: Right
    strike: float
    expiry: date
    ratio: int
    trading_class: str = ""  # "SPX" / "SPXW" for IB; empty when the venue does not need it

    @property
    def action(self) -> str:
        """Return BUY or SELL, as an order ticket says it."""
        return "BUY" if self.ratio > 0 else "SELL"


@dataclass(frozen=True, slots=True)
class Order:
    """A combo limit order as journaled and sent: `contracts` units of `legs` at `limit_price`.

    `order_id` is ours, unique and stable: the broker sees it as the order reference, which is
    what makes a resend after a crash recognisable. `expires_at` is the time-in-force (tz-aware).
    """

    order_id: str
    underlying: str
    intent: OrderIntent
    legs: tuple[ComboLeg, ...]
    contracts: int
    limit_price: float
    created_at: datetime
    expires_at: datetime
    position_id: str = ""
    multiplier: int = 100


@dataclass(frozen=True, slots=True)
class Fill:
    """An execution of (part of) an order. `price` is the net per unit (+ credit, - debit).

    `leg_prices` are the per-option prices paid or received, in the order of the order's legs,
    always positive. `commission` is dollars for this fill, commissions and fees together.
    """

    fill_id: str
    order_id: str
    at: datetime
    contracts: int
    price: float
    leg_prices: tuple[float, ...]
    commission: float


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What a broker reports about an order: a new status, with a fill when it filled."""

    order_id: str
    status: OrderStatus
    at: datetime
    detail: str = ""
    fill: Fill | None = None


class CandidateStatus(enum.StrEnum):
    """Where a proposed trade stands (the Candidates panel's status column)."""

    NEW = "new"  # waiting for the trader
    APPROVED = "approved"  # approved; goes out in the entry window after the risk re-check
    SENT = "sent"  # its order is at the broker
    FILLED = "filled"
    REJECTED = "rejected"  # by the trader
    EXPIRED = "expired"  # the entry window passed without approval, or the order was not filled
    VETOED = "vetoed"  # the risk manager's re-check on current prices said no

    @property
    def is_final(self) -> bool:
        """Return True when the candidate can change no more."""
        return self in (CandidateStatus.FILLED, CandidateStatus.REJECTED, CandidateStatus.EXPIRED,
                        CandidateStatus.VETOED)


@dataclass(frozen=True, slots=True)
class TradeCandidate:
    """A trade the strategy (or a trader) proposed, as journaled and shown for approval.

    Prices are those of the chain at `proposed_at`. `limit_price` is the trader's edit of the
    net price (None: the session sets it from current quotes when the order goes out).
    """

    candidate_id: str
    underlying: str
    signal_day: date
    proposed_at: datetime
    structure: Structure
    expiration: Expiration
    contracts: int
    conviction: float
    exit_plan: ExitPlan
    status: CandidateStatus = CandidateStatus.NEW
    detail: str = ""
    limit_price: float | None = None
