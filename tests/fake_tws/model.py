"""Value types of the fake TWS: listed instruments, quotes, placed orders, order state, executions.

These are the fake's own records (snake_case), not ib_async's classes: a test scripts the fake with
them and checks what the real client sent through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from tests.fake_tws.protocol import FieldReader

BAG_CON_ID = 28812380
"""The contract id TWS reports for every combo (BAG) contract (ib_async's ``Contract`` notes it)."""

FINAL_STATUSES = frozenset({"Filled", "Cancelled"})
"""Order statuses after which an order can no longer change."""


@dataclass(frozen=True, slots=True)
class FakeContract:
    """One instrument the fake TWS knows (an index, an option, or the BAG of an execution)."""

    con_id: int
    sec_type: str
    symbol: str
    expiry: str = ""
    strike: float = 0.0
    right: str = ""
    trading_class: str = ""
    exchange: str = "SMART"
    multiplier: str = ""
    currency: str = "USD"
    local_symbol: str = ""

    def wire(self, exchange: str | None = None) -> tuple[object, ...]:
        """The 11 contract fields of openOrder, execDetails, position and completedOrder.

        ``conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier,
        exchange, currency, localSymbol, tradingClass``.
        """
        return (
            self.con_id,
            self.symbol,
            self.sec_type,
            self.expiry,
            self.strike,
            self.right,
            self.multiplier,
            self.exchange if exchange is None else exchange,
            self.currency,
            self.local_symbol,
            self.trading_class,
        )


@dataclass(frozen=True, slots=True)
class WireContract:
    """A contract as a client sends it inside a request (ib_async's 12-field ``Contract`` block)."""

    con_id: int
    symbol: str
    sec_type: str
    expiry: str
    strike: float
    right: str
    multiplier: str
    exchange: str
    primary_exchange: str
    currency: str
    local_symbol: str
    trading_class: str

    @classmethod
    def read(cls, reader: FieldReader) -> WireContract:
        """Read ``conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier,
        exchange, primaryExchange, currency, localSymbol, tradingClass``."""
        return cls(
            con_id=reader.integer("conId"),
            symbol=reader.text("symbol"),
            sec_type=reader.text("secType"),
            expiry=reader.text("lastTradeDateOrContractMonth"),
            strike=reader.number("strike") or 0.0,
            right=reader.text("right"),
            multiplier=reader.text("multiplier"),
            exchange=reader.text("exchange"),
            primary_exchange=reader.text("primaryExchange"),
            currency=reader.text("currency"),
            local_symbol=reader.text("localSymbol"),
            trading_class=reader.text("tradingClass"),
        )


@dataclass(frozen=True, slots=True)
class FakeQuote:
    """The market of one contract as ``FakeTws.set_quote`` left it; None means not quoted."""

    bid: float | None
    ask: float | None
    last: float | None = None
    bid_size: float = 10.0
    ask_size: float = 10.0
    last_size: float = 1.0
    iv: float | None = None
    delta: float | None = None
    gamma: float | None = None
    vega: float | None = None
    theta: float | None = None
    underlying: float | None = None
    open_interest: float | None = None
    volume: float | None = None
    day_open: float | None = None
    day_high: float | None = None
    day_low: float | None = None
    prior_close: float | None = None

    @property
    def mid(self) -> float | None:
        """The midpoint of bid and ask, None unless both are quoted."""
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2


class PlacedLeg(NamedTuple):
    """One combo leg of a placed BAG order: ``(con_id, ratio, action, exchange)``."""

    con_id: int
    ratio: int
    action: str
    exchange: str

    @property
    def sign(self) -> int:
        """+1 for a bought leg, -1 for a sold one (as the combo is defined, before the order's side)."""
        return 1 if self.action == "BUY" else -1


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """One placeOrder message as the fake parsed it (a new order or a modification)."""

    order_id: int
    client_id: int
    server_version: int
    contract: WireContract
    legs: tuple[PlacedLeg, ...]
    action: str
    total_quantity: float
    order_type: str
    lmt_price: float | None
    aux_price: float | None
    tif: str
    order_ref: str
    account: str
    transmit: bool
    named: Mapping[str, str]
    """Every order field as sent, by ib_async's ``Order`` attribute name (e.g. ``"goodTillDate"``)."""
    raw: tuple[str, ...]
    """The whole message, message id first."""

    @property
    def sec_type(self) -> str:
        """The contract's security type (``"BAG"`` for a combo)."""
        return self.contract.sec_type

    @property
    def symbol(self) -> str:
        """The contract's symbol."""
        return self.contract.symbol

    @property
    def exchange(self) -> str:
        """The contract's exchange."""
        return self.contract.exchange

    @property
    def currency(self) -> str:
        """The contract's currency."""
        return self.contract.currency


@dataclass
class FakeOrder:
    """The fake's current state of one order id."""

    order_id: int
    client_id: int
    perm_id: int
    placed: PlacedOrder
    contract: FakeContract
    """What the order trades: the listed contract, or a BAG (``BAG_CON_ID``) for a combo."""
    status: str
    account: str = ""
    """The account the order trades in (the placement's, else the fake's)."""
    filled: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    completed_time: str = ""

    @property
    def remaining(self) -> float:
        """Quantity still to fill."""
        return max(self.placed.total_quantity - self.filled, 0.0)

    @property
    def is_final(self) -> bool:
        """True once filled or cancelled."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class FakeExecution:
    """One execution as TWS reports it: a combo leg, the combo (BAG) itself, or a single contract."""

    exec_id: str
    order_id: int
    client_id: int
    perm_id: int
    account: str
    contract: FakeContract
    venue: str
    side: str
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    order_ref: str
    time: datetime
    commission: float
    currency: str = "USD"


@dataclass
class MarketSubscription:
    """One live reqMktData of one client: what it asked for and the ticks last sent for it."""

    request_id: int
    contract: FakeContract
    generic_ticks: frozenset[str]
    data_type: int
    sent: dict[tuple[int, int], tuple[object, ...]] = field(default_factory=dict)

    @property
    def delayed(self) -> bool:
        """True when the subscription is served delayed data (market data type 3 or 4)."""
        return self.data_type in (3, 4)


Position = tuple[FakeContract, float, float]
"""``(contract, quantity, average cost)``; average cost is per contract (price times multiplier)."""
