"""The IB broker on its own against the fake TWS: combos of every shape, signs, cancel, modify, expiry,
the paper/live guard, and the feed's delayed-data fallback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import pytest

from engine import calendar
from engine.brokers.ib.broker import IbBroker
from engine.brokers.ib.connection import IbConnection
from engine.brokers.ib.contracts import ContractBook
from engine.brokers.ib.feed import IbFeed
from engine.brokers.ib.walk import WalkParams
from engine.config import defaults_path, load_settings
from engine.data.history import MarketHistory
from engine.model import ComboLeg, Order, OrderIntent, OrderStatus, OrderUpdate, Right
from engine.model.connection import IbSettings
from tests.engine.brokers.ib.ib_rig import SIGNAL_DAY
from tests.fake_tws.model_world import ModelWorld, script_model_day
from tests.fake_tws.server import FakeTws
from tests.waiting import until

pytestmark = pytest.mark.timeout(60)
EXPIRY = date(2015, 2, 20)
MOMENT = calendar.session_close(SIGNAL_DAY) - timedelta(minutes=1)
WALK = WalkParams(step=0.05, interval_s=10.0, tick=0.05)


def put(strike: float, ratio: int) -> ComboLeg:
    return ComboLeg(Right.PUT, strike, EXPIRY, ratio, "SPX")


def call(strike: float, ratio: int) -> ComboLeg:
    return ComboLeg(Right.CALL, strike, EXPIRY, ratio, "SPX")


def order(order_id: str, legs: Sequence[ComboLeg], limit: float, contracts: int = 1,
          intent: OrderIntent = OrderIntent.OPEN) -> Order:
    expires = MOMENT + timedelta(minutes=30)
    return Order(order_id, "SPX", intent, tuple(legs), contracts, limit, MOMENT, expires)


class Rig:
    """A connection, feed and broker on the fake; the clock is a list the test moves."""

    def __init__(self, tws: FakeTws, history: MarketHistory, settings: IbSettings,
                 confirm: Callable[[Order], bool] | None = None) -> None:
        self.tws = tws
        self.now = [MOMENT]
        self.connection = IbConnection(settings, backoff_s=(0.05,))
        self.contracts = ContractBook()
        params = load_settings(defaults_path()).underlying("SPX")
        known = history.up_to(calendar.previous_session(SIGNAL_DAY))
        self.feed = IbFeed(self.connection, self.contracts, known, params, lambda: self.now[0])
        self.broker = IbBroker(self.connection, self.contracts, self.feed, WALK, confirm_live=confirm)
        self.updates: list[OrderUpdate] = []

    async def market(self, seconds: float = 0.0) -> list[OrderUpdate]:
        """Move the clock, let the broker work, and collect its reports."""
        self.now[0] += timedelta(seconds=seconds)
        self.broker.on_market(self.now[0])
        await self.broker.settle()
        await self.connection.drained()
        await asyncio.sleep(0.05)
        news = self.broker.drain_updates()
        self.updates += news
        return news


async def connected(tws: FakeTws, history: MarketHistory, **settings: bool) -> tuple[Rig, ModelWorld]:
    """Script the 2015-01-16 close on `tws` and connect a rig to it."""
    world = script_model_day(tws, history, SIGNAL_DAY)
    rig = Rig(tws, history, IbSettings(port=tws.port, client_id=9, timeout_s=5.0, **settings))
    await rig.connection.connect()
    return rig, world


def test_iron_condor_and_broken_wing_butterfly_legs_ratios_actions(history: MarketHistory) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            rig, world = await connected(tws, history)
            condor = [put(1850.0, -1), put(1800.0, 1), call(2100.0, -1), call(2150.0, 1)]
            bwb = [put(1900.0, 1), put(1850.0, -2), put(1775.0, 1)]
            rig.broker.submit(order("O-IC", condor, 2.00))
            rig.broker.submit(order("O-BWB", bwb, 0.50))
            await rig.market()
            await until(lambda: len(tws.placements) == 2, "both combos at TWS")
            by_ref = {p.order_ref: p for p in tws.placements}
            ic = by_ref["O-IC"]
            assert [(leg.con_id, leg.ratio, leg.action) for leg in ic.legs] == [
                (world.con_id("SPX", EXPIRY, 1850.0, "P"), 1, "SELL"),
                (world.con_id("SPX", EXPIRY, 1800.0, "P"), 1, "BUY"),
                (world.con_id("SPX", EXPIRY, 2100.0, "C"), 1, "SELL"),
                (world.con_id("SPX", EXPIRY, 2150.0, "C"), 1, "BUY")]
            fly = by_ref["O-BWB"]
            assert [(leg.ratio, leg.action) for leg in fly.legs] == [(1, "BUY"), (2, "SELL"), (1, "BUY")]
            assert ic.lmt_price < 0  # credits are negative BAG prices
            # the condor's 2150 call is outside the streamed band: the broker streams it to walk on it
            assert rig.feed.leg_quotes(rig.now[0], condor) is not None
            await rig.market(10)
            walked = [p.lmt_price for p in tws.placements if p.order_ref == "O-IC"]
            assert walked == [pytest.approx(ic.lmt_price), pytest.approx(ic.lmt_price + 0.05)]
            assert len({p.order_id for p in tws.placements}) == 2  # modified, never placed twice
            await rig.connection.disconnect()

    asyncio.run(scenario())


def test_a_roll_is_one_bag_across_two_expiries(history: MarketHistory) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            rig, world = await connected(tws, history)
            later = date(2015, 3, 20)
            roll = [put(1885.0, 1), put(1835.0, -1),  # close the February spread...
                    ComboLeg(Right.PUT, 1850.0, later, -1, "SPX"),
                    ComboLeg(Right.PUT, 1800.0, later, 1, "SPX")]
            rig.broker.submit(order("R-P-1", roll, 0.10, intent=OrderIntent.ROLL))  # ...for a March one
            await rig.market()
            await until(lambda: tws.placements, "the roll at TWS")
            placed = tws.placements[0]
            assert [(leg.con_id, leg.ratio, leg.action) for leg in placed.legs] == [
                (world.con_id("SPX", EXPIRY, 1885.0, "P"), 1, "BUY"),
                (world.con_id("SPX", EXPIRY, 1835.0, "P"), 1, "SELL"),
                (world.con_id("SPX", later, 1850.0, "P"), 1, "SELL"),
                (world.con_id("SPX", later, 1800.0, "P"), 1, "BUY")]
            assert placed.sec_type == "BAG"
            await rig.connection.disconnect()

    asyncio.run(scenario())


def test_closing_debit_is_a_positive_ib_price_and_fills_as_a_negative_net(history: MarketHistory) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            rig, _ = await connected(tws, history)
            closing = [put(1885.0, 1), put(1835.0, -1)]  # buy back the short put, sell the long one
            rig.broker.submit(order("X-1", closing, -6.0, intent=OrderIntent.CLOSE))
            await rig.market()
            await until(lambda: tws.placements, "the close at TWS")
            placed = tws.placements[0]
            assert placed.lmt_price > 0  # a debit is paid: positive at IB
            assert [(leg.ratio, leg.action) for leg in placed.legs] == [(1, "BUY"), (1, "SELL")]
            tws.fill(placed.order_id, placed.lmt_price)
            news = []
            for _ in range(20):
                news += await rig.market(1)
                if any(u.fill for u in news):
                    break
            fill = next(u.fill for u in news if u.fill is not None)
            assert fill.price == pytest.approx(-placed.lmt_price)  # the engine's net: a debit is negative
            assert fill.price == pytest.approx(fill.leg_prices[1] - fill.leg_prices[0])
            assert fill.commission == pytest.approx(2 * 1.29)
            await rig.connection.disconnect()

    asyncio.run(scenario())


def test_cancel_modify_and_expiry(history: MarketHistory) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            rig, _ = await connected(tws, history)
            spread = [put(1885.0, -1), put(1835.0, 1)]
            rig.broker.submit(order("O-MOD", spread, 4.0))
            rig.broker.submit(order("O-CXL", spread, 4.0))
            rig.broker.submit(order("O-EXP", spread, 4.0))
            await rig.market()
            await until(lambda: len(tws.placements) == 3, "three orders at TWS")
            rig.broker.modify("O-MOD", 5.25)
            rig.broker.cancel("O-CXL")
            await rig.market(1)
            modified = [p for p in tws.placements if p.order_ref == "O-MOD"]
            assert modified[-1].lmt_price == -5.25
            assert len({p.order_id for p in modified}) == 1  # same IB order id
            await until(lambda: rig.broker.order_status("O-CXL") is OrderStatus.CANCELLED, "the cancel")
            await rig.market(60)  # the modified order does not walk any more
            assert [p for p in tws.placements if p.order_ref == "O-MOD"][-1].lmt_price == -5.25
            await rig.market(30 * 60)  # past expires_at: the broker cancels, reported as EXPIRED
            await until(lambda: rig.broker.order_status("O-EXP") is OrderStatus.EXPIRED, "the expiry")
            news = await rig.market(1)
            statuses = {(u.order_id, u.status) for u in rig.updates + news}
            assert ("O-CXL", OrderStatus.CANCELLED) in statuses
            assert ("O-EXP", OrderStatus.EXPIRED) in statuses
            assert ("O-MOD", OrderStatus.EXPIRED) in statuses
            await rig.connection.disconnect()

    asyncio.run(scenario())


def test_live_account_needs_the_setting_and_a_confirmation_per_order(history: MarketHistory) -> None:
    async def scenario() -> None:
        spread = [put(1885.0, -1), put(1835.0, 1)]
        async with FakeTws(account="U7654321") as tws:  # a live account id
            rig, _ = await connected(tws, history)
            assert not rig.connection.paper
            rig.broker.submit(order("O-LIVE", spread, 4.0))
            news = await rig.market()
            assert [(u.status, "not allowed" in u.detail) for u in news] == [(OrderStatus.REJECTED, True)]
            await rig.connection.disconnect()

            asked: list[str] = []

            def confirm(o: Order) -> bool:
                asked.append(o.order_id)
                return o.order_id == "O-YES"

            allowed = Rig(tws, history, IbSettings(port=tws.port, client_id=10, allow_live=True), confirm)
            await allowed.connection.connect()
            allowed.broker.submit(order("O-NO", spread, 4.0))
            allowed.broker.submit(order("O-YES", spread, 4.0))
            news = await allowed.market()
            assert asked == ["O-NO", "O-YES"]
            assert ("O-NO", OrderStatus.REJECTED) in {(u.order_id, u.status) for u in news}
            await until(lambda: any(p.order_ref == "O-YES" for p in tws.placements), "the confirmed order")
            assert [p.order_ref for p in tws.placements] == ["O-YES"]  # nothing else left
            await allowed.connection.disconnect()

    asyncio.run(scenario())


def test_read_only_connection_rejects_orders(history: MarketHistory) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            rig, _ = await connected(tws, history, read_only=True)
            rig.broker.submit(order("O-RO", [put(1885.0, -1), put(1835.0, 1)], 4.0))
            news = await rig.market()
            assert news[0].status is OrderStatus.REJECTED
            assert "read-only" in news[0].detail
            assert tws.placements == []
            await rig.connection.disconnect()

    asyncio.run(scenario())


def test_not_entitled_falls_back_to_delayed_quotes(history: MarketHistory) -> None:
    async def scenario() -> None:
        async with FakeTws(entitled=False) as tws:
            rig, _ = await connected(tws, history)
            short = [put(1885.0, -1)]
            await until(lambda: rig.feed.delayed and rig.feed.leg_quotes(MOMENT, short) is not None,
                        "delayed quotes", patience=15)
            assert any(m.message.code in (354, 10167) for m in rig.connection.messages)
            assert rig.feed.data_type == 3
            await until(lambda: len(tws.subscriptions()) == rig.feed.streamed_lines, "the delayed lines")
            await rig.connection.drained()
            await asyncio.sleep(0.3)  # anything still on its way to the fake has arrived by now
            assert len(tws.subscriptions()) == rig.feed.streamed_lines  # no line held twice
            await rig.connection.disconnect()

    asyncio.run(scenario())
