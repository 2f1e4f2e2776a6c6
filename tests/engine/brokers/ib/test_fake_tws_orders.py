"""ib_async's real client against the fake TWS: combo orders, modify, fill, cancel, reconnect.

The order path is run at server versions 176 and 178: placeOrder and openOrder lose ``faProfile``
at 177 and executions gain ``pendingPriceRevision`` at 178.
"""

from __future__ import annotations

import asyncio

import pytest
from ib_async import IB, ComboLeg, Contract, LimitOrder, Option, Trade

from tests.fake_tws.harness import connect, run, settle
from tests.fake_tws.server import BAG_CON_ID, PAPER_ACCOUNT, FakeTws, PlacedLeg, PlacedOrder
from tests.waiting import until

pytestmark = pytest.mark.timeout(20)

VERSIONS = pytest.mark.parametrize("server_version", [176, 178])
SPX_ID = 416904
EXPIRY = "20150130"
SHORT_ID, LONG_ID, FAR_ID = 601, 602, 603
"""The short 2000 put, the long 1990 put and a 1980 put, listed under these ids."""


def list_puts(tws: FakeTws) -> None:
    """SPX and three SPXW puts with fixed contract ids."""
    tws.add_index("SPX", SPX_ID)
    for con_id, strike in ((SHORT_ID, 2000.0), (LONG_ID, 1990.0), (FAR_ID, 1980.0)):
        tws.list_option("SPX", EXPIRY, strike, "P", "SPXW", con_id=con_id)


def put_spread() -> Contract:
    """Sell the 2000 put, buy the 1990 put: the combo a credit spread is opened with."""
    legs = [
        ComboLeg(conId=SHORT_ID, ratio=1, action="SELL", exchange="SMART"),
        ComboLeg(conId=LONG_ID, ratio=1, action="BUY", exchange="SMART"),
    ]
    return Contract(secType="BAG", symbol="SPX", exchange="SMART", currency="USD", comboLegs=legs)


def credit_order(price: float = -1.50, quantity: float = 2, order_ref: str = "O-test") -> LimitOrder:
    """Buy the combo at a negative limit: a credit of ``-price`` per spread."""
    return LimitOrder("BUY", quantity, price, orderRef=order_ref, tif="DAY")


def fill_at_limit(order: PlacedOrder) -> float | None:
    """A fill rule: every order fills at its limit as placed."""
    return order.lmt_price


async def place(ib: IB, tws: FakeTws, order: LimitOrder | None = None) -> Trade:
    """Place the put spread and wait until the fake has acknowledged it."""
    trade = ib.placeOrder(put_spread(), order or credit_order())
    await until(lambda: trade.orderStatus.status not in ("PendingSubmit", ""), "the order acknowledgement")
    return trade


async def drop_and_wait(ib: IB, tws: FakeTws) -> None:
    """Cut the connection from the fake's side and wait until the client has noticed."""
    dropped = asyncio.Event()
    ib.disconnectedEvent += dropped.set
    tws.drop_connections()
    await asyncio.wait_for(dropped.wait(), 2.0)


# --- placing -----------------------------------------------------------------------------------------


@VERSIONS
def test_a_combo_order_arrives_with_its_legs_and_limit(server_version: int) -> None:
    """The fake parses the BAG order exactly: legs, ratios, actions, negative limit, reference."""

    async def scenario() -> None:
        async with FakeTws(server_version=server_version) as tws:
            list_puts(tws)
            ib = await connect(tws, client_id=4)
            trade = await place(ib, tws)
            [placed] = tws.placements
            assert placed.order_id == trade.order.orderId
            assert (placed.client_id, placed.server_version) == (4, server_version)
            contract = (placed.sec_type, placed.symbol, placed.exchange, placed.currency)
            assert contract == ("BAG", "SPX", "SMART", "USD")
            assert placed.legs == (
                PlacedLeg(SHORT_ID, 1, "SELL", "SMART"),
                PlacedLeg(LONG_ID, 1, "BUY", "SMART"),
            )
            assert (placed.action, placed.total_quantity, placed.order_type) == ("BUY", 2.0, "LMT")
            assert placed.lmt_price == -1.50
            assert (placed.tif, placed.order_ref, placed.transmit) == ("DAY", "O-test", True)
            assert ("faProfile" in placed.named) is (server_version < 177)
            assert placed.raw[0] == "3"
            assert trade.orderStatus.status == "Submitted"
            assert trade.order.permId == tws.orders[placed.order_id].perm_id
            assert tws.orders[placed.order_id].status == "Submitted"
            assert tws.failures == []
            ib.disconnect()

    run(scenario())


@VERSIONS
def test_placing_the_same_order_again_modifies_it(server_version: int) -> None:
    """A second placeOrder with the live order's id is a modification: 2 placements, new price."""

    async def scenario() -> None:
        async with FakeTws(server_version=server_version) as tws:
            list_puts(tws)
            ib = await connect(tws)
            trade = await place(ib, tws)
            trade.order.lmtPrice = -1.45
            ib.placeOrder(trade.contract, trade.order)
            await until(lambda: trade.log[-1].message == "Modified", "the modification acknowledgement")
            order_id = trade.order.orderId
            assert [p.order_id for p in tws.placements] == [order_id, order_id]
            assert [p.lmt_price for p in tws.placements] == [-1.50, -1.45]
            assert tws.orders[order_id].placed.lmt_price == -1.45
            assert tws.orders[order_id].status == "Submitted"
            assert len(ib.trades()) == 1
            assert trade.order.lmtPrice == -1.45
            ib.disconnect()

    run(scenario())


@VERSIONS
def test_the_fill_rule_is_asked_again_when_the_order_is_modified(server_version: int) -> None:
    """A rule that fills from a 1.45 credit down: the 1.50 order rests, its walk to 1.45 fills."""

    def fill_from_145(order: PlacedOrder) -> float | None:
        limit = order.lmt_price
        return limit if limit is not None and limit >= -1.45 else None

    async def scenario() -> None:
        async with FakeTws(server_version=server_version, fill_rule=fill_from_145) as tws:
            list_puts(tws)
            ib = await connect(tws)
            trade = await place(ib, tws)
            await settle(ib)
            assert trade.orderStatus.status == "Submitted"
            trade.order.lmtPrice = -1.45
            ib.placeOrder(trade.contract, trade.order)
            await until(lambda: trade.orderStatus.status == "Filled", "the fill after the modification")
            assert trade.orderStatus.avgFillPrice == -1.45
            assert [p.lmt_price for p in tws.placements] == [-1.50, -1.45]
            ib.disconnect()

    run(scenario())


def test_an_order_with_an_unlisted_leg_is_rejected_with_error_200() -> None:
    """A leg nobody listed: error 200 for the order id, and ib_async cancels the trade."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_puts(tws)
            ib = await connect(tws)
            bag = put_spread()
            bag.comboLegs[1].conId = 999
            trade = ib.placeOrder(bag, credit_order())
            await until(lambda: trade.orderStatus.status == "Cancelled", "the rejection")
            assert trade.log[-1].errorCode == 200
            assert tws.placements == []
            assert tws.orders == {}
            ib.disconnect()

    run(scenario())


# --- filling -----------------------------------------------------------------------------------------


@VERSIONS
def test_the_fill_rule_fills_the_combo_with_leg_executions_and_commissions(server_version: int) -> None:
    """Filled at the limit: leg fills (SLD/BOT) with 1.29 per contract, the BAG fill, positions."""

    async def scenario() -> None:
        async with FakeTws(server_version=server_version, fill_rule=fill_at_limit) as tws:
            list_puts(tws)
            tws.set_quote(SHORT_ID, 3.0, 3.2)
            tws.set_quote(LONG_ID, 1.5, 1.7)
            ib = await connect(tws)
            trade = ib.placeOrder(put_spread(), credit_order())
            await until(lambda: trade.orderStatus.status == "Filled", "the fill")
            await until(lambda: all(f.commissionReport.execId for f in trade.fills), "the commissions")
            status = trade.orderStatus
            assert (status.filled, status.remaining, status.avgFillPrice) == (2.0, 0.0, -1.50)
            by_contract = {fill.contract.conId: fill for fill in trade.fills}
            assert set(by_contract) == {SHORT_ID, LONG_ID, BAG_CON_ID}
            short, long_, bag = by_contract[SHORT_ID], by_contract[LONG_ID], by_contract[BAG_CON_ID]
            assert (short.execution.side, short.execution.shares) == ("SLD", 2.0)
            assert (long_.execution.side, long_.execution.shares) == ("BOT", 2.0)
            assert (bag.execution.side, bag.execution.price) == ("BOT", -1.50)
            assert long_.execution.price - short.execution.price == pytest.approx(-1.50)
            assert short.commissionReport.commission == pytest.approx(2 * 1.29)
            assert long_.commissionReport.commission == pytest.approx(2 * 1.29)
            assert bag.commissionReport.commission == 0.0
            assert {fill.execution.orderRef for fill in trade.fills} == {"O-test"}
            assert len({fill.execution.execId for fill in trade.fills}) == 3
            spread = {(SHORT_ID, -2.0), (LONG_ID, 2.0)}
            assert {(p.contract.conId, p.position) for p in ib.positions()} == spread
            assert {(c.con_id, q) for c, q, _ in tws.positions} == spread
            assert tws.orders[trade.order.orderId].status == "Filled"
            assert tws.failures == []
            ib.disconnect()

    run(scenario())


def test_a_fill_on_demand_uses_the_given_leg_prices_and_can_be_partial() -> None:
    """fill(order, net, leg_prices, quantity): one spread then the other; average cost per contract."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_puts(tws)
            ib = await connect(tws)
            trade = await place(ib, tws)
            order_id = trade.order.orderId
            tws.fill(order_id, -1.50, leg_prices=[3.10, 1.60], quantity=1)
            await until(lambda: trade.orderStatus.filled == 1.0, "the partial fill")
            assert trade.orderStatus.status == "Submitted"
            assert trade.orderStatus.remaining == 1.0
            tws.fill(order_id, -1.40, leg_prices=[3.00, 1.60])
            await until(lambda: trade.orderStatus.status == "Filled", "the rest")
            assert trade.orderStatus.avgFillPrice == pytest.approx(-1.45)
            short_fills = [f for f in trade.fills if f.contract.conId == SHORT_ID]
            assert [f.execution.price for f in short_fills] == [3.10, 3.00]
            assert short_fills[-1].execution.cumQty == 2.0
            assert short_fills[-1].execution.avgPrice == pytest.approx(3.05)
            [(_, quantity, average_cost)] = [p for p in tws.positions if p[0].con_id == SHORT_ID]
            assert quantity == -2.0
            assert average_cost == pytest.approx(305.0)
            ib.disconnect()

    run(scenario())


def test_leg_prices_that_miss_the_net_are_refused() -> None:
    """Leg prices must add up to the combo's net price (bought legs plus, sold legs minus)."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_puts(tws)
            ib = await connect(tws)
            trade = await place(ib, tws)
            with pytest.raises(ValueError, match="add up to"):
                tws.fill(trade.order.orderId, -1.50, leg_prices=[3.10, 1.50])
            assert tws.executions == []
            ib.disconnect()

    run(scenario())


def test_a_single_option_order_fills_and_moves_the_position() -> None:
    """A plain option order: one execution with its commission; closing it empties the position."""

    async def scenario() -> None:
        async with FakeTws(fill_rule=fill_at_limit) as tws:
            list_puts(tws)
            tws.positions.append((tws.catalog.get(FAR_ID), 3.0, 80.0))
            ib = await connect(tws)
            assert {(p.contract.conId, p.position) for p in ib.positions()} == {(FAR_ID, 3.0)}
            put = Option("SPX", EXPIRY, 1980, "P", "SMART", tradingClass="SPXW")
            await ib.qualifyContractsAsync(put)
            trade = ib.placeOrder(put, LimitOrder("SELL", 3, 0.95, orderRef="close"))
            await until(lambda: trade.orderStatus.status == "Filled", "the fill")
            await until(lambda: trade.fills and trade.fills[0].commissionReport.execId, "the commission")
            [fill] = trade.fills
            assert (fill.execution.side, fill.execution.shares, fill.execution.price) == ("SLD", 3.0, 0.95)
            assert fill.commissionReport.commission == pytest.approx(3 * 1.29)
            assert tws.positions == []
            await until(lambda: not ib.positions(), "the closed position")
            ib.disconnect()

    run(scenario())


# --- cancelling --------------------------------------------------------------------------------------


@VERSIONS
def test_a_cancelled_order_ends_cancelled_with_error_202(server_version: int) -> None:
    """cancelOrder: orderStatus Cancelled and error 202 for the order id."""

    async def scenario() -> None:
        async with FakeTws(server_version=server_version) as tws:
            list_puts(tws)
            ib = await connect(tws)
            errors: list[tuple[int, int, str]] = []
            ib.errorEvent += lambda req_id, code, message, contract: errors.append((req_id, code, message))
            trade = await place(ib, tws)
            ib.cancelOrder(trade.order)
            await until(lambda: errors, "the cancel confirmation")
            await settle(ib)
            order_id = trade.order.orderId
            assert trade.orderStatus.status == "Cancelled"
            assert errors == [(order_id, 202, "Order Canceled - reason:")]
            assert tws.orders[order_id].status == "Cancelled"
            assert ib.openTrades() == []
            ib.disconnect()

    run(scenario())


def test_a_global_cancel_cancels_every_live_order() -> None:
    """reqGlobalCancel: both resting orders end cancelled; the filled one stays filled."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_puts(tws)
            ib = await connect(tws)
            resting = [await place(ib, tws, credit_order(order_ref=f"O-{n}")) for n in range(2)]
            filled = await place(ib, tws, credit_order(order_ref="O-filled"))
            tws.fill(filled.order.orderId, -1.50)
            await until(lambda: filled.orderStatus.status == "Filled", "the fill")
            ib.reqGlobalCancel()  # type: ignore[no-untyped-call]  # ib_async leaves it unannotated
            await until(lambda: all(t.orderStatus.status == "Cancelled" for t in resting), "the cancels")
            statuses = {order.placed.order_ref: order.status for order in tws.orders.values()}
            assert statuses == {"O-0": "Cancelled", "O-1": "Cancelled", "O-filled": "Filled"}
            assert filled.orderStatus.status == "Filled"
            ib.disconnect()

    run(scenario())


def test_cancelling_a_filled_order_is_refused_with_10148() -> None:
    """An order already filled cannot be cancelled: error 10148, the fill stands."""

    async def scenario() -> None:
        async with FakeTws(fill_rule=fill_at_limit) as tws:
            list_puts(tws)
            ib = await connect(tws)
            trade = ib.placeOrder(put_spread(), credit_order())
            await until(lambda: trade.orderStatus.status == "Filled", "the fill")
            codes: list[int] = []
            ib.errorEvent += lambda req_id, code, message, contract: codes.append(code)
            ib.cancelOrder(trade.order)
            await until(lambda: codes, "the refusal")
            assert codes == [10148]
            assert tws.orders[trade.order.orderId].status == "Filled"
            ib.disconnect()

    run(scenario())


# --- reconnecting ------------------------------------------------------------------------------------


@VERSIONS
def test_after_a_reconnect_the_resting_order_and_earlier_fills_come_back(server_version: int) -> None:
    """A new client with the same id sees its resting order (with orderRef), the filled one and
    its fills with commissions, without placing anything again; new order ids are above the old."""

    async def scenario() -> None:
        async with FakeTws(server_version=server_version) as tws:
            list_puts(tws)
            first = await connect(tws, client_id=7)
            filled = await place(first, tws, credit_order(order_ref="O-filled"))
            tws.fill(filled.order.orderId, -1.50, leg_prices=[3.10, 1.60])
            resting = await place(first, tws, credit_order(price=-1.80, order_ref="O-resting"))
            await until(lambda: len(filled.fills) == 3, "the fills")
            await drop_and_wait(first, tws)

            second = await connect(tws, client_id=7)
            [open_trade] = second.openTrades()
            assert open_trade.order.orderId == resting.order.orderId
            assert open_trade.order.orderRef == "O-resting"
            assert open_trade.order.lmtPrice == -1.80
            assert open_trade.order.account == PAPER_ACCOUNT
            assert open_trade.orderStatus.status == "Submitted"
            assert [leg.conId for leg in open_trade.contract.comboLegs] == [SHORT_ID, LONG_ID]
            assert len(tws.placements) == 2
            fills = second.fills()
            assert {f.execution.execId for f in fills} == {f.execution.execId for f in filled.fills}
            assert sum(f.commissionReport.commission for f in fills) == pytest.approx(4 * 1.29)
            [done] = [t for t in second.trades() if t.orderStatus.status == "Filled"]
            assert done.order.orderRef == "O-filled"
            assert len(done.fills) == 3
            assert second.client.getReqId() > resting.order.orderId
            second.disconnect()

    run(scenario())


def test_a_fill_while_disconnected_is_found_after_the_reconnect() -> None:
    """The order fills while no client is connected; the reconnected client sees it filled."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_puts(tws)
            first = await connect(tws, client_id=2)
            trade = await place(first, tws)
            await drop_and_wait(first, tws)
            tws.fill(trade.order.orderId, -1.50)

            second = await connect(tws, client_id=2)
            assert second.openTrades() == []
            [done] = second.trades()
            assert (done.orderStatus.status, done.order.orderRef) == ("Filled", "O-test")
            assert {f.contract.conId for f in second.fills()} == {SHORT_ID, LONG_ID, BAG_CON_ID}
            assert {(p.contract.conId, p.position) for p in second.positions()} == {
                (SHORT_ID, -2.0), (LONG_ID, 2.0)
            }
            second.disconnect()

    run(scenario())


def test_another_client_sees_the_order_only_among_all_open_orders() -> None:
    """reqOpenOrders gives a client its own orders; reqAllOpenOrders those of every client."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_puts(tws)
            owner = await connect(tws, client_id=1)
            trade = await place(owner, tws)
            other = await connect(tws, client_id=9)
            assert other.openTrades() == []
            every = await other.reqAllOpenOrdersAsync()
            assert [t.order.orderId for t in every] == [trade.order.orderId]
            assert every[0].order.clientId == 1
            owner.disconnect()
            other.disconnect()

    run(scenario())
