"""The whole IB path on ib_async's real client against the fake TWS scripted with the 2015-01-16 close.

connect -> chain discovered (SPX and SPXW told apart) -> target expiry's strikes qualified and
streamed -> the strategy signals on IB's quotes -> the trader approves -> at the next entry window
a BAG limit order leaves with the right legs, ratios, actions and IB-signed limit -> the limit walks
from mid towards natural every 10 s -> TWS fills it -> the fill (leg prices, IB's commissions) and
the position are in the journal.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engine import calendar
from engine.brokers.ib.positions import check_positions
from engine.data.history import MarketHistory
from engine.desk import Desk
from engine.model import CandidateStatus, DataSource, OrderStatus, Right
from engine.model.desk import CandidateEdit
from tests.engine.brokers.ib.ib_rig import (
    CANDIDATE,
    ORDER,
    POSITION,
    SIGNAL_DAY,
    IbRig,
    entry_moment,
    open_rig,
)
from tests.fake_tws.model_world import ModelWorld, script_model_day
from tests.fake_tws.server import FakeTws
from tests.waiting import until

pytestmark = pytest.mark.timeout(60)


async def signal_and_approve(rig: IbRig) -> None:
    """Run the signal day's close on IB quotes and approve the candidate it makes."""
    rig.session.run_step(rig.close_step())
    candidate = rig.journal.candidate(CANDIDATE)
    assert candidate is not None, rig.journal.log_tail(5)
    Desk(rig.session).approve(CandidateEdit(CANDIDATE))
    assert rig.journal.candidate(CANDIDATE).status is CandidateStatus.APPROVED


def bag_credit_threshold(world: ModelWorld, rig: IbRig, steps: int) -> float:
    """Return the credit the fake accepts: `steps` walk steps under the start price."""
    order = rig.journal.order(ORDER).order
    mid = sum(-leg.ratio * sum(rig.feed.leg_quotes(rig.clock.now(), [leg])[0]) / 2 for leg in order.legs)
    start = math.ceil(round(mid / 0.05, 9)) * 0.05
    return round(start - steps * 0.05, 2)


def test_connect_chain_quotes_signal_approve_bag_walk_fill_position(history: MarketHistory,
                                                                     tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            world = script_model_day(tws, history, SIGNAL_DAY)
            rig = await open_rig(tws.port, history, tmp_path / "live.sqlite", world_close(world))
            # chain: the target expiry is the 2015-02-20 SPX monthly (AM), told apart from SPXW
            targets = [(e.expiry.isoformat(), e.trading_class) for e in rig.feed.targets]
            assert targets == [("2015-02-20", "SPX")]
            classes = {e.trading_class for e in rig.feed.listed}
            assert classes == {"SPX", "SPXW"}
            assert rig.feed.streamed_lines <= 100
            chain = rig.feed.chains.slice_at(SIGNAL_DAY, rig.feed.targets[0])
            assert chain.source is DataSource.QUOTED
            modelled = world.slices[rig.feed.targets[0]]
            k = int(list(modelled.strikes).index(1885.0))
            j = int(list(chain.strikes).index(1885.0))
            assert (chain.puts.bid[j], chain.puts.ask[j]) == (modelled.puts.bid[k], modelled.puts.ask[k])
            # our kernels, same yardstick (5 s more to expiry than the model's 16:00 close: 1e-6 of IV)
            assert chain.puts.iv[j] == pytest.approx(modelled.puts.iv[k], abs=1e-5)
            assert chain.venue is not None
            assert math.isfinite(chain.venue[1].delta[j])  # IB's Greeks beside ours

            await signal_and_approve(rig)
            legs = rig.journal.candidate(CANDIDATE).structure.legs
            assert [(leg.strike, leg.right, leg.quantity) for leg in legs] == [
                (1885.0, Right.PUT, -1), (1835.0, Right.PUT, 1)]

            # the entry window: the order is journaled, then placed as a BAG
            tws.fill_rule = lambda placed: None
            rig.clock.advance_to(entry_moment())
            rig.session.run_step(rig.session.step_at(entry_moment()))  # the morning step sends it
            await rig.broker.settle()
            await until_placed(tws, 1)
            first = tws.placements[0]
            expiry = "20150220"
            assert (first.sec_type, first.symbol) == ("BAG", "SPX")
            assert [(leg.con_id, leg.ratio, leg.action) for leg in first.legs] == [
                (world.con_id("SPX", legs[0].expiry, 1885.0, "P"), 1, "SELL"),
                (world.con_id("SPX", legs[1].expiry, 1835.0, "P"), 1, "BUY")]
            assert expiry == legs[0].expiry.strftime("%Y%m%d")
            sent = (first.action, first.order_type, first.tif, first.order_ref)
            assert sent == ("BUY", "LMT", "DAY", ORDER)
            order = rig.journal.order(ORDER).order
            assert first.total_quantity == order.contracts
            start = bag_credit_threshold(world, rig, 0)
            assert first.lmt_price == pytest.approx(-start)  # a credit is a negative BAG price at IB
            assert first.lmt_price < 0

            # walked: every 10 s the credit asked drops 0.05 until TWS fills at 3 steps under mid
            target = bag_credit_threshold(world, rig, 3)
            tws.fill_rule = lambda placed: placed.lmt_price if placed.lmt_price >= -target - 1e-9 else None
            moment = entry_moment()
            for _ in range(10):
                moment += timedelta(seconds=10)
                await rig.work(moment)
                if rig.journal.order(ORDER).status is OrderStatus.FILLED:
                    break
            asked = [-p.lmt_price for p in tws.placements if p.order_ref == ORDER]
            assert asked == pytest.approx([start, start - 0.05, start - 0.10, start - 0.15])
            assert len({p.order_id for p in tws.placements}) == 1  # modified, never a second order
            natural = order.limit_price
            assert min(asked) >= natural - 1e-9  # never past natural

            entry = rig.journal.order(ORDER)
            assert entry.status is OrderStatus.FILLED
            fills = rig.journal.fills_of([ORDER])
            assert len(fills) == 1
            fill = fills[0]
            assert fill.price == pytest.approx(target)
            assert fill.price == pytest.approx(fill.leg_prices[0] - fill.leg_prices[1])
            assert fill.commission == pytest.approx(sum(e.commission for e in tws.executions
                                                        if e.order_ref == ORDER))
            assert fill.commission > 0
            positions = rig.journal.positions("open")
            assert [p.position.position_id for p in positions] == [POSITION]
            assert positions[0].position.contracts == order.contracts
            assert positions[0].position.entry_credit == pytest.approx(target)
            # IB's positions (pushed as the fill happened) add up to the journal's, option by option
            await until(lambda: len(rig.connection.ib.positions()) == 2, "IB's position updates")
            assert check_positions(rig.connection, rig.journal) == []
            await rig.close()

    asyncio.run(scenario())


async def until_placed(tws: FakeTws, count: int) -> None:
    """Wait until the fake has received `count` placeOrder messages."""
    for _ in range(500):
        if len(tws.placements) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(tws.placements)} placeOrder received, expected {count}")


def world_close(world: ModelWorld) -> datetime:
    """Return the signal day's close moment, a few seconds before, as the live clock would read it."""
    return calendar.session_close(world.day) - timedelta(seconds=5)
