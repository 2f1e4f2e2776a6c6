"""Dropped connections and restarts in the middle of an order: never a second order, nothing lost.

* TWS drops the link while our BAG order rests: the connection comes back by itself, ib_async's
  fresh state is rebuilt from TWS's replay, the walk goes on with the same IB order id, and the fill
  after the reconnect is booked once.
* The order fills while the link is down: the reconnect's execution replay books it, with IB's
  commissions, once.
* The terminal itself restarts (new connection, new broker, same journal): reconciliation finds
  the order at TWS by its reference and sends nothing.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from engine import calendar
from engine.brokers.ib.connection import LinkState
from engine.brokers.ib.positions import check_positions
from engine.data.history import MarketHistory
from engine.desk import Desk
from engine.model import OrderStatus
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
from tests.fake_tws.model_world import script_model_day
from tests.fake_tws.server import FakeTws
from tests.waiting import until

pytestmark = pytest.mark.timeout(60)


async def resting_order(tws: FakeTws, history: MarketHistory, journal: Path) -> IbRig:
    """Signal, approve and send the entry; TWS leaves it resting. Return the rig."""
    script_model_day(tws, history, SIGNAL_DAY)
    tws.fill_rule = lambda placed: None
    before_close = calendar.session_close(SIGNAL_DAY) - timedelta(seconds=5)
    rig = await open_rig(tws.port, history, journal, before_close)
    rig.session.run_step(rig.close_step())
    Desk(rig.session).approve(CandidateEdit(CANDIDATE))
    rig.clock.advance_to(entry_moment())
    rig.session.run_step(rig.session.step_at(entry_moment()))
    await rig.broker.settle()
    await until(lambda: len(tws.placements) == 1, "the BAG order at TWS")
    await rig.work(entry_moment() + timedelta(seconds=1))
    assert rig.journal.order(ORDER).status is OrderStatus.WORKING
    return rig


async def drop_and_reconnect(tws: FakeTws, rig: IbRig) -> None:
    """Cut the link at TWS and wait for the connection to come back by itself."""
    before = rig.connection.reconnects
    assert tws.drop_connections() == 1
    await until(lambda: rig.connection.state is LinkState.RECONNECTING or rig.connection.reconnects > before,
                "the drop to be noticed")
    await until(lambda: rig.connection.reconnects > before and rig.connection.connected, "the reconnect")
    await until(lambda: any(t.order.orderRef == ORDER for t in rig.connection.ib.trades()),
                "TWS to replay the open order")


def order_ids(tws: FakeTws) -> set[int]:
    return {p.order_id for p in tws.placements}


def test_drop_mid_order_reconnects_walks_on_and_fills_once(history: MarketHistory, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            rig = await resting_order(tws, history, tmp_path / "live.sqlite")
            first_id = tws.placements[0].order_id
            await drop_and_reconnect(tws, rig)
            assert any("Lost the connection" in str(m.message) for m in rig.connection.messages)
            assert any("Reconnected" in str(m.message) for m in rig.connection.messages)
            # the walk goes on after the reconnect: same IB order id, a lower credit
            moment = entry_moment() + timedelta(seconds=20)
            await rig.work(moment)
            assert order_ids(tws) == {first_id}
            assert len(tws.placements) == 2
            assert tws.placements[1].lmt_price > tws.placements[0].lmt_price
            assert [o.order.order_id for o in rig.journal.orders()] == [ORDER]
            # quotes are streamed again (ib_async forgot every subscription on the drop)
            assert rig.feed.leg_quotes(moment, rig.journal.order(ORDER).order.legs) is not None
            tws.fill(first_id, tws.placements[-1].lmt_price)
            await until_filled(rig, moment)
            assert len(rig.journal.fills_of([ORDER])) == 1
            assert [p.position_id for p in rig.journal.positions("open")] == [POSITION]
            await rig.close()

    asyncio.run(scenario())


def test_fill_while_disconnected_is_booked_once_after_reconnect(history: MarketHistory,
                                                                 tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            rig = await resting_order(tws, history, tmp_path / "live.sqlite")
            ib_id = tws.placements[0].order_id
            rig.connection.backoff_s = (0.3,)  # long enough to fill while nobody is connected
            tws.drop_connections()
            await until(lambda: tws.client_count == 0, "the client to be gone")
            tws.fill(ib_id, tws.placements[0].lmt_price)
            await until(lambda: rig.connection.reconnects == 1 and rig.connection.connected, "the reconnect")
            await until(lambda: any(f.execution.orderRef == ORDER for f in rig.connection.ib.fills()),
                        "the execution replay")
            await until_filled(rig, entry_moment() + timedelta(seconds=5))
            fills = rig.journal.fills_of([ORDER])
            assert len(fills) == 1
            assert fills[0].commission > 0
            assert fills[0].price == pytest.approx(-tws.placements[0].lmt_price)
            await rig.work(entry_moment() + timedelta(seconds=30))
            assert len(rig.journal.fills_of([ORDER])) == 1  # not booked twice
            assert len(tws.placements) == 1
            await rig.close()

    asyncio.run(scenario())


def test_terminal_restart_mid_order_sends_nothing_again(history: MarketHistory, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            journal = tmp_path / "live.sqlite"
            rig = await resting_order(tws, history, journal)
            placed = len(tws.placements)
            await rig.close()  # the terminal goes away; its order rests at TWS
            again = await open_rig(tws.port, history, journal, entry_moment() + timedelta(seconds=2))
            assert len(tws.placements) == placed  # reconciliation found it by its orderRef
            assert again.journal.order(ORDER).status is OrderStatus.WORKING
            await again.work(entry_moment() + timedelta(seconds=15))  # walks on from TWS's limit
            assert order_ids(tws) == {tws.placements[0].order_id}
            assert tws.placements[-1].lmt_price == pytest.approx(tws.placements[0].lmt_price + 0.05)
            await again.close()

    asyncio.run(scenario())


async def until_filled(rig: IbRig, moment: datetime) -> None:
    """Work the orders until the entry is filled in the journal."""
    for k in range(100):
        await rig.work(moment + timedelta(milliseconds=k))
        if rig.journal.order(ORDER).status is OrderStatus.FILLED:
            return
    raise AssertionError(f"not filled: {rig.journal.order(ORDER)}")


def test_positions_ib_holds_that_the_journal_does_not_are_reported(history: MarketHistory,
                                                                   tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeTws() as tws:
            world = script_model_day(tws, history, SIGNAL_DAY)
            stray = tws.catalog.contracts[world.con_id("SPX", date(2015, 2, 20), 1800.0, "P")]
            tws.positions.append((stray, -3.0, 250.0))  # e.g. sold by hand in TWS
            before_close = calendar.session_close(SIGNAL_DAY) - timedelta(seconds=5)
            rig = await open_rig(tws.port, history, tmp_path / "live.sqlite", before_close)
            found = check_positions(rig.connection, rig.journal)
            assert found == ["SPX 2015-02-20 1800P: IB holds -3, the journal +0"]
            assert "[RECONCILE] position mismatch: SPX 2015-02-20 1800P" in rig.journal.log_tail(1)[0][2]
            await rig.close()

    asyncio.run(scenario())
