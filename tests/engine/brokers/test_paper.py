"""The paper broker: accepts, fills on the market, expires, cancels, rejects, and survives a restart.

The quotes come from a tiny fake QuoteSource (a dict); the broker is the real one. Hand-worked
numbers use the brief's put spread: sell 1915P 5.00/5.20, buy 1865P 2.30/2.45.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.brokers.base import Broker, Quote
from engine.brokers.paper import PaperBroker
from engine.config import ExecutionParams
from engine.errors import InputError
from engine.model import ComboLeg, Order, OrderIntent, OrderStatus, Right
from engine.store import Store

NY = ZoneInfo("America/New_York")
EXPIRY = date(2024, 3, 8)
T0 = datetime(2024, 3, 4, 10, 0, tzinfo=NY)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)
SHORT, LONG = 1915.0, 1865.0
OPEN_LEGS = (ComboLeg(Right.PUT, SHORT, EXPIRY, -1), ComboLeg(Right.PUT, LONG, EXPIRY, +1))
CLOSE_LEGS = (ComboLeg(Right.PUT, SHORT, EXPIRY, +1), ComboLeg(Right.PUT, LONG, EXPIRY, -1))


class FakeQuotes:
    """Quotes by (moment, strike, right); a leg missing at a moment means no quote."""

    def __init__(self) -> None:
        self.book: dict[tuple[datetime, float, Right], Quote] = {}

    def put(self, moment: datetime, strike: float, bid: float, ask: float) -> None:
        self.book[(moment, strike, Right.PUT)] = (bid, ask)

    def spread(self, moment: datetime, short: Quote, long: Quote) -> None:
        self.put(moment, SHORT, *short)
        self.put(moment, LONG, *long)

    def leg_quotes(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Quote, ...] | None:
        try:
            return tuple(self.book[(moment, leg.strike, leg.right)] for leg in legs)
        except KeyError:
            return None


def make_order(
    order_id: str = "O-1",
    limit: float = 2.50,
    contracts: int = 1,
    legs: tuple[ComboLeg, ...] = OPEN_LEGS,
    expires_in: timedelta = timedelta(minutes=5),
) -> Order:
    intent = OrderIntent.OPEN if legs == OPEN_LEGS else OrderIntent.CLOSE
    return Order(order_id, "SPX", intent, legs, contracts, limit, T0, T0 + expires_in, position_id="P-1")


@pytest.fixture
def quotes() -> FakeQuotes:
    book = FakeQuotes()
    book.spread(T0, (5.00, 5.20), (2.30, 2.45))
    return book


@pytest.fixture
def broker(quotes: FakeQuotes) -> PaperBroker:
    return PaperBroker(quotes, ExecutionParams())  # mid_plus 0.25, 0.05 tick, 1.29 $ per contract-leg


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "paper.db"


@pytest.fixture
def opened() -> Iterator[list[Store]]:
    stores: list[Store] = []
    yield stores
    for store in stores:
        store.close()


def statuses(broker: PaperBroker) -> list[tuple[str, OrderStatus]]:
    return [(u.order_id, u.status) for u in broker.drain_updates()]


def test_it_is_a_broker(broker: PaperBroker) -> None:
    typed: Broker = broker
    assert typed.name == "paper"


def test_submit_accepts_but_does_not_fill(broker: PaperBroker) -> None:
    broker.submit(make_order())
    [update] = broker.drain_updates()
    assert (update.status, update.at, update.fill) == (OrderStatus.WORKING, T0, None)
    assert broker.order_status("O-1") is OrderStatus.WORKING
    assert broker.fills_for("O-1") == ()
    assert broker.drain_updates() == []


def test_marketable_limit_fills_at_the_model_price(broker: PaperBroker) -> None:
    broker.submit(make_order(limit=2.50, contracts=2))
    broker.drain_updates()
    broker.on_market(T0)
    [update] = broker.drain_updates()
    # sold 5.10 - 0.05 = 5.05, bought 2.375 + 0.0375 = 2.4125: 2.6375 -> 2.60, better than 2.50
    # fees: 2 contracts x 2 legs x (0.65 + 0.60 + 0.04) = 5.16
    assert update.status is OrderStatus.FILLED
    assert update.at == T0
    fill = update.fill
    assert fill is not None
    assert (fill.fill_id, fill.order_id, fill.at, fill.contracts) == ("O-1-F1", "O-1", T0, 2)
    assert fill.price == 2.60
    assert fill.leg_prices == pytest.approx((5.05, 2.4125), abs=1e-12)
    assert fill.commission == 5.16
    assert broker.order_status("O-1") is OrderStatus.FILLED
    assert broker.fills_for("O-1") == (fill,)


@pytest.mark.parametrize(
    ("model", "net"),
    [("mid", 2.70), ("natural", 2.55), ("mid_plus", 2.60)],  # test_fill_model works these out
)
def test_each_fill_model(quotes: FakeQuotes, model: str, net: float) -> None:
    broker = PaperBroker(quotes, ExecutionParams(fill_model=model))
    broker.submit(make_order(limit=2.00))
    broker.on_market(T0)
    [fill] = broker.fills_for("O-1")
    assert fill.price == net


def test_a_limit_equal_to_the_net_fills(broker: PaperBroker) -> None:
    broker.submit(make_order(limit=2.60))
    broker.on_market(T0)
    assert broker.order_status("O-1") is OrderStatus.FILLED


def test_limit_not_reached_stays_working_then_fills_when_quotes_move(
    broker: PaperBroker, quotes: FakeQuotes
) -> None:
    broker.submit(make_order(limit=2.75))
    broker.on_market(T0)  # the market gives 2.60 < 2.75
    assert statuses(broker) == [("O-1", OrderStatus.WORKING)]
    assert broker.order_status("O-1") is OrderStatus.WORKING
    # the short put richens: sold 5.50 - 0.05 = 5.45, bought 2.45 + 0.025 = 2.475: 2.975 -> 2.95
    quotes.spread(T1, (5.40, 5.60), (2.40, 2.50))
    broker.on_market(T1)
    [update] = broker.drain_updates()
    assert (update.status, update.at) == (OrderStatus.FILLED, T1)
    assert update.fill is not None
    assert update.fill.price == 2.95
    assert update.fill.commission == 2.58  # 1 contract x 2 legs x 1.29


def test_a_limit_never_reached_expires_after_its_time_in_force(
    broker: PaperBroker, quotes: FakeQuotes
) -> None:
    broker.submit(make_order(limit=3.00, expires_in=timedelta(minutes=1)))
    broker.on_market(T0)
    quotes.spread(T1, (5.00, 5.20), (2.30, 2.45))
    broker.on_market(T1)  # exactly at expires_at: still in force, still 2.60 < 3.00
    assert broker.order_status("O-1") is OrderStatus.WORKING
    quotes.spread(T2, (9.00, 9.20), (2.30, 2.45))  # would fill, but too late
    broker.on_market(T2)
    updates = broker.drain_updates()
    assert [u.status for u in updates] == [OrderStatus.WORKING, OrderStatus.EXPIRED]
    assert updates[-1].at == T2
    assert "time in force ended at 2024-03-04T10:01:00-05:00" in updates[-1].detail
    assert broker.fills_for("O-1") == ()
    broker.on_market(T2 + timedelta(minutes=1))
    assert broker.drain_updates() == []


def test_closing_debit_fills_when_it_pays_no_more_than_the_limit(quotes: FakeQuotes) -> None:
    quotes.spread(T1, (3.00, 3.20), (1.10, 1.20))
    # bought 3.10 + 0.05 = 3.15, sold 1.15 - 0.025 = 1.125: -2.025 -> -2.05 (pays the tick)
    stingy = PaperBroker(quotes, ExecutionParams())
    stingy.submit(make_order("C-1", limit=-2.00, legs=CLOSE_LEGS))
    stingy.on_market(T1)
    assert stingy.order_status("C-1") is OrderStatus.WORKING  # -2.05 < -2.00: would pay too much
    willing = PaperBroker(quotes, ExecutionParams())
    willing.submit(make_order("C-1", limit=-2.10, legs=CLOSE_LEGS))
    willing.on_market(T1)
    [fill] = willing.fills_for("C-1")
    assert fill.price == -2.05
    assert fill.leg_prices == pytest.approx((3.15, 1.125), abs=1e-12)


def test_submit_is_idempotent(broker: PaperBroker) -> None:
    order = make_order()
    broker.submit(order)
    broker.submit(order)
    broker.on_market(T0)
    broker.submit(order)  # after the fill too
    broker.submit(replace(order, limit_price=1.00))  # the id decides, not the content
    broker.on_market(T0)
    assert statuses(broker) == [("O-1", OrderStatus.WORKING), ("O-1", OrderStatus.FILLED)]
    assert len(broker.fills_for("O-1")) == 1


def test_cancel_a_working_order(broker: PaperBroker) -> None:
    broker.submit(make_order(limit=3.00))
    broker.on_market(T0)
    broker.cancel("O-1", at=T1)
    updates = broker.drain_updates()
    assert [(u.status, u.at) for u in updates] == [(OrderStatus.WORKING, T0), (OrderStatus.CANCELLED, T1)]
    broker.cancel("O-1")  # final already
    broker.cancel("nobody")  # unknown
    broker.on_market(T0)
    assert broker.drain_updates() == []
    assert broker.order_status("O-1") is OrderStatus.CANCELLED
    assert broker.order_status("nobody") is None


def test_cancel_without_a_time_uses_the_last_market_moment(broker: PaperBroker, quotes: FakeQuotes) -> None:
    broker.submit(make_order(limit=3.00))
    quotes.spread(T1, (5.00, 5.20), (2.30, 2.45))
    broker.on_market(T1)
    broker.cancel("O-1")
    assert broker.drain_updates()[-1].at == T1


def test_cancel_of_a_filled_order_does_nothing(broker: PaperBroker) -> None:
    broker.submit(make_order())
    broker.on_market(T0)
    broker.drain_updates()
    broker.cancel("O-1")
    assert broker.drain_updates() == []
    assert broker.order_status("O-1") is OrderStatus.FILLED


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"contracts": 0}, "contracts=0"),
        ({"legs": ()}, "legs=()"),
        ({"limit_price": math.nan}, "limit_price=nan"),
        ({"limit_price": math.inf}, "limit_price=inf"),
        ({"expires_at": datetime(2024, 3, 4, 10, 5)}, "expires_at=datetime.datetime(2024, 3, 4, 10, 5)"),  # noqa: DTZ001
        ({"order_id": ""}, "order_id=''"),
        ({"legs": (replace(OPEN_LEGS[0], ratio=0), OPEN_LEGS[1])}, "legs[0].ratio=0"),
    ],
)
def test_bad_order_is_rejected_naming_the_field(
    broker: PaperBroker, changes: dict[str, object], named: str
) -> None:
    order = replace(make_order(), **changes)
    broker.submit(order)
    [update] = broker.drain_updates()
    assert update.status is OrderStatus.REJECTED
    assert named in update.detail
    assert broker.order_status(order.order_id) is OrderStatus.REJECTED
    broker.on_market(T0)
    broker.submit(order)
    assert broker.drain_updates() == []
    assert broker.fills_for(order.order_id) == ()


@pytest.mark.parametrize(
    "short",
    [(math.nan, 5.20), (5.00, math.nan), (5.30, 5.20), (-1.0, 5.20)],  # NaN, crossed, negative bid
)
def test_no_fill_on_an_unusable_quote(quotes: FakeQuotes, short: Quote) -> None:
    quotes.spread(T1, short, (2.30, 2.45))
    broker = PaperBroker(quotes, ExecutionParams())
    broker.submit(make_order(limit=-100.0))
    broker.on_market(T1)
    assert broker.order_status("O-1") is OrderStatus.WORKING
    assert broker.fills_for("O-1") == ()


def test_no_fill_without_a_quote(broker: PaperBroker, quotes: FakeQuotes) -> None:
    broker.submit(make_order(limit=-100.0))
    broker.on_market(T1)  # nothing is quoted at T1
    quotes.put(T2, SHORT, 5.00, 5.20)  # only one leg quoted
    broker.on_market(T2)
    assert statuses(broker) == [("O-1", OrderStatus.WORKING)]


def test_orders_are_worked_in_the_order_they_arrived(broker: PaperBroker) -> None:
    broker.submit(make_order("b"))
    broker.submit(make_order("a"))
    broker.drain_updates()
    broker.on_market(T0)
    assert statuses(broker) == [("b", OrderStatus.FILLED), ("a", OrderStatus.FILLED)]


def test_a_naive_moment_is_refused(broker: PaperBroker) -> None:
    with pytest.raises(InputError, match="moment"):
        broker.on_market(datetime(2024, 3, 4, 10, 0))  # noqa: DTZ001


def test_same_inputs_same_updates(quotes: FakeQuotes) -> None:
    def run() -> list[object]:
        broker = PaperBroker(quotes, ExecutionParams())
        broker.submit(make_order("x", limit=2.50))
        broker.submit(make_order("y", limit=2.90))
        broker.on_market(T0)
        broker.on_market(T0 + timedelta(minutes=10))
        return list(broker.drain_updates())

    assert run() == run()


# --- persistence --------------------------------------------------------------------------------


def test_a_new_broker_on_the_same_store_remembers_and_keeps_working(
    quotes: FakeQuotes, store_path: Path, opened: list[Store]
) -> None:
    first_store = Store(store_path, durable=False)
    opened.append(first_store)
    first = PaperBroker(quotes, ExecutionParams(), store=first_store)
    first.submit(make_order("filled", limit=2.50))
    first.submit(make_order("resting", limit=2.75))
    first.submit(make_order("bad", contracts=0))
    first.on_market(T0)
    fill = first.fills_for("filled")
    assert len(fill) == 1
    first_store.close()
    opened.clear()

    # the terminal crashed; the "outside" broker's memory is the store file
    second_store = Store(store_path, durable=False)
    opened.append(second_store)
    second = PaperBroker(quotes, ExecutionParams(), store=second_store)
    assert second.order_status("filled") is OrderStatus.FILLED
    assert second.fills_for("filled") == fill
    assert second.order_status("resting") is OrderStatus.WORKING
    assert second.order_status("bad") is OrderStatus.REJECTED
    assert second.order_status("never-sent") is None
    assert second.drain_updates() == []  # the update queue is not kept

    second.submit(make_order("filled"))  # a resend after the crash is recognised
    quotes.spread(T1, (5.40, 5.60), (2.40, 2.50))  # now 2.95 >= 2.75
    second.on_market(T1)
    assert statuses(second) == [("resting", OrderStatus.FILLED)]
    resting_fill = second.fills_for("resting")
    assert [f.price for f in resting_fill] == [2.95]

    third = PaperBroker(quotes, ExecutionParams(), store=second_store)
    assert third.order_status("resting") is OrderStatus.FILLED
    assert third.fills_for("resting") == resting_fill
    record = third.record("resting")
    assert record is not None
    assert record.order == make_order("resting", limit=2.75)
    assert (record.updated_at, record.detail) == (T1, "filled 1 at 2.95")


def test_stored_rows_are_one_per_order_and_fill(
    quotes: FakeQuotes, store_path: Path, opened: list[Store]
) -> None:
    store = Store(store_path, durable=False)
    opened.append(store)
    broker = PaperBroker(quotes, ExecutionParams(), store=store)
    broker.submit(make_order("A", limit=3.00))
    broker.submit(make_order("B"))
    broker.on_market(T0)
    broker.cancel("A", at=T1)
    rows = list(store.db.query("SELECT order_id, status, updated_utc FROM paper_orders ORDER BY rowid"))
    assert rows == [
        {"order_id": "A", "status": "cancelled", "updated_utc": "2024-03-04T15:01:00.000000+00:00"},
        {"order_id": "B", "status": "filled", "updated_utc": "2024-03-04T15:00:00.000000+00:00"},
    ]
    fills = list(store.db.query("SELECT fill_id, order_id FROM paper_fills"))
    assert fills == [{"fill_id": "B-F1", "order_id": "B"}]


def test_a_rejected_order_with_naive_times_is_kept_in_memory_only(
    quotes: FakeQuotes, store_path: Path, opened: list[Store]
) -> None:
    store = Store(store_path, durable=False)
    opened.append(store)
    broker = PaperBroker(quotes, ExecutionParams(), store=store)
    naive = replace(make_order("naive"), expires_at=datetime(2024, 3, 4, 10, 5))  # noqa: DTZ001
    broker.submit(naive)
    assert broker.order_status("naive") is OrderStatus.REJECTED
    assert list(store.db.query("SELECT * FROM paper_orders")) == []
