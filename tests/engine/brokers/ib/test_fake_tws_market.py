"""ib_async's real client against the fake TWS: contracts, option chains, market data.

Each test runs its own event loop and server on a free loopback port (``harness.run``).
"""

from __future__ import annotations

import math

import pytest
from ib_async import IB, Contract, Index, Option, Ticker

from tests.fake_tws.harness import connect, run, settle
from tests.fake_tws.instruments import OPTION_MARKET_RULE
from tests.fake_tws.server import FakeContract, FakeTws
from tests.waiting import until

pytestmark = pytest.mark.timeout(20)

SPX_ID = 416904
EXPIRY = "20150130"
MONTHLY = "20150220"


def list_spx(tws: FakeTws) -> None:
    """SPX, SPXW weeklies for two expiries and SPX monthlies for one, on three strikes."""
    tws.add_index("SPX", SPX_ID)
    tws.list_chain("SPX", "SPXW", [EXPIRY, MONTHLY], [1990.0, 2000.0, 2010.0])
    tws.list_chain("SPX", "SPX", [MONTHLY], [1990.0, 2000.0])


def spxw_put(strike: float, expiry: str = EXPIRY) -> Option:
    """An SPXW put as a caller describes it before qualifying."""
    return Option("SPX", expiry, strike, "P", "SMART", tradingClass="SPXW")


def listed(tws: FakeTws, strike: float, right: str = "P", trading_class: str = "SPXW") -> FakeContract:
    """The listed option of ``trading_class`` at ``strike`` expiring ``EXPIRY`` (or the monthly)."""
    expiry = EXPIRY if trading_class == "SPXW" else MONTHLY
    return next(
        c
        for c in tws.catalog.contracts.values()
        if (c.trading_class, c.expiry, c.strike, c.right) == (trading_class, expiry, strike, right)
    )


def record_tick_types(ticker: Ticker) -> list[int]:
    """The tick types of every tick the ticker receives from now on (it keeps only the last batch)."""
    seen: list[int] = []
    ticker.updateEvent += lambda updated: seen.extend(tick.tickType for tick in updated.ticks)
    return seen


async def qualified_put(ib: IB, strike: float) -> Option:
    """An SPXW put qualified through the fake (its conId filled in)."""
    option = spxw_put(strike)
    assert await ib.qualifyContractsAsync(option) == [option]
    return option


# --- contracts ---------------------------------------------------------------------------------------


def test_index_and_options_qualify_with_their_listed_con_ids() -> None:
    """Index('SPX','CBOE') and an SPXW put qualify; SPX and SPXW on one expiry are told apart."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            spx = Index("SPX", "CBOE")
            weekly = Option("SPX", MONTHLY, 2000, "P", "SMART", tradingClass="SPXW")
            monthly = Option("SPX", MONTHLY, 2000, "P", "SMART", tradingClass="SPX")
            assert await ib.qualifyContractsAsync(spx, weekly, monthly) == [spx, weekly, monthly]
            assert spx.conId == SPX_ID
            assert spx.secType == "IND"
            assert weekly.conId != monthly.conId
            assert (weekly.tradingClass, weekly.localSymbol) == ("SPXW", "SPXW  150220P02000000")
            assert (monthly.tradingClass, monthly.localSymbol) == ("SPX", "SPX   150220P02000000")
            assert weekly.multiplier == "100"
            assert weekly.exchange == "SMART"
            ib.disconnect()

    run(scenario())


def test_without_a_trading_class_both_classes_match() -> None:
    """TWS matches empty fields to anything: a put without trading class has two listings."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            details = await ib.reqContractDetailsAsync(Option("SPX", MONTHLY, 2000, "P", "SMART"))
            assert sorted(d.contract.tradingClass for d in details if d.contract) == ["SPX", "SPXW"]
            assert {d.underConId for d in details} == {SPX_ID}
            assert {d.minTick for d in details} == {0.05}
            ib.disconnect()

    run(scenario())


def test_a_contract_month_matches_every_expiry_in_it() -> None:
    """A 6-digit expiry is a month: every SPXW put of January 2015 (3 strikes, one expiry)."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            month = Option("SPX", "201501", 0.0, "P", "SMART", tradingClass="SPXW")
            details = await ib.reqContractDetailsAsync(month)
            contracts = [d.contract for d in details if d.contract]
            assert sorted(c.strike for c in contracts) == [1990.0, 2000.0, 2010.0]
            assert {c.lastTradeDateOrContractMonth for c in contracts} == {EXPIRY}
            ib.disconnect()

    run(scenario())


def test_an_unknown_strike_is_error_200_and_qualifies_to_nothing() -> None:
    """No listing at 2005: error 200 reaches errorEvent for that request; qualify gives None."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            errors: list[tuple[int, int, str]] = []
            ib.errorEvent += lambda req_id, code, message, contract: errors.append((req_id, code, message))
            missing = spxw_put(2005.0)
            assert await ib.qualifyContractsAsync(missing) == [None]
            assert missing.conId == 0
            assert [(code, message) for _, code, message in errors] == [
                (200, "No security definition has been found for the request")
            ]
            request_id = int(tws.requests(9)[-1][2])
            assert errors[0][0] == request_id
            ib.disconnect()

    run(scenario())


def test_option_parameters_come_per_trading_class() -> None:
    """reqSecDefOptParams: one chain for SPX and one for SPXW, each with its own expiries/strikes."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            chains = await ib.reqSecDefOptParamsAsync("SPX", "", "IND", SPX_ID)
            by_class = {chain.tradingClass: chain for chain in chains}
            assert set(by_class) == {"SPX", "SPXW"}
            assert by_class["SPXW"].expirations == [EXPIRY, MONTHLY]
            assert by_class["SPXW"].strikes == [1990.0, 2000.0, 2010.0]
            assert by_class["SPX"].expirations == [MONTHLY]
            assert by_class["SPX"].strikes == [1990.0, 2000.0]
            assert {(c.exchange, str(c.underlyingConId), c.multiplier) for c in chains} == {
                ("SMART", str(SPX_ID), "100")
            }
            ib.disconnect()

    run(scenario())


def test_the_market_rule_of_an_option_gives_its_price_increments() -> None:
    """contractDetails name the market rule; reqMarketRule gives 0.05 below $3 and 0.10 above."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            [details] = await ib.reqContractDetailsAsync(spxw_put(2000.0))
            rule_ids = {int(rule) for rule in details.marketRuleIds.split(",")}
            assert rule_ids == {OPTION_MARKET_RULE}
            increments = await ib.reqMarketRuleAsync(OPTION_MARKET_RULE)
            assert increments is not None
            assert [(i.lowEdge, i.increment) for i in increments] == [(0.0, 0.05), (3.0, 0.10)]
            ib.disconnect()

    run(scenario())


# --- market data -------------------------------------------------------------------------------------


def test_an_option_ticker_gets_the_quote_greeks_and_open_interest() -> None:
    """Bid, ask, sizes, bid/ask/model computations, open interest (101) and IV (106) arrive."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(
                put.conId, 3.0, 3.2, 3.1, iv=0.18, delta=-0.31, gamma=0.012, vega=1.25, theta=-0.52,
                underlying=2019.5, open_interest=4321, bid_size=7, ask_size=9,
            )
            ticker = ib.reqMktData(put, "100,101,106")
            await until(lambda: ticker.modelGreeks is not None and ticker.impliedVolatility == 0.18, "ticks")
            assert (ticker.bid, ticker.bidSize, ticker.ask, ticker.askSize) == (3.0, 7, 3.2, 9)
            assert ticker.last == 3.1
            model = ticker.modelGreeks
            assert model is not None
            assert (model.impliedVol, model.delta, model.gamma, model.vega, model.theta) == (
                0.18, -0.31, 0.012, 1.25, -0.52,
            )
            assert model.optPrice == pytest.approx(3.1)
            assert model.undPrice == 2019.5
            assert ticker.bidGreeks is not None
            assert ticker.bidGreeks.optPrice == 3.0
            assert ticker.askGreeks is not None
            assert ticker.askGreeks.optPrice == 3.2
            assert ticker.putOpenInterest == 4321
            assert ticker.minTick == 0.05
            assert ticker.marketDataType == 1
            assert tws.subscriptions() == [put.conId]
            ib.disconnect()

    run(scenario())


def test_a_second_quote_updates_the_ticker_and_a_cancel_stops_it() -> None:
    """set_quote pushes at once to the subscription; after cancelMktData nothing more arrives."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(put.conId, 3.0, 3.2, iv=0.18, delta=-0.31, underlying=2019.5)
            ticker = ib.reqMktData(put)
            await until(lambda: ticker.bid == 3.0, "the first quote")
            tws.set_quote(put.conId, 2.8, 3.0, iv=0.19, delta=-0.29, underlying=2022.0)
            await until(lambda: ticker.bid == 2.8, "the second quote")
            await settle(ib)
            assert ticker.ask == 3.0
            assert ticker.modelGreeks is not None
            assert (ticker.modelGreeks.delta, ticker.modelGreeks.undPrice) == (-0.29, 2022.0)
            assert ib.cancelMktData(put)
            await settle(ib)
            assert tws.subscriptions() == []
            tws.set_quote(put.conId, 1.0, 1.2)
            await settle(ib)
            assert (ticker.bid, ticker.ask) == (2.8, 3.0)
            ib.disconnect()

    run(scenario())


def test_only_changed_ticks_are_pushed() -> None:
    """A new ask alone sends the ask (and the computations it moves), not the bid again."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(put.conId, 3.0, 3.2)
            ticker = ib.reqMktData(put)
            await until(lambda: ticker.ask == 3.2, "the first quote")
            seen = record_tick_types(ticker)
            tws.set_quote(put.conId, 3.0, 3.3)
            await settle(ib)
            assert seen == [2]
            assert ticker.ask == 3.3
            ib.disconnect()

    run(scenario())


def test_the_index_quote_moves_the_underlying_price_of_its_options() -> None:
    """An option quoted without underlying takes the SPX last; a new SPX last is pushed to it."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(SPX_ID, None, None, 2019.5)
            tws.set_quote(put.conId, 3.0, 3.2, iv=0.18, delta=-0.31)
            ticker = ib.reqMktData(put)
            await until(lambda: ticker.modelGreeks is not None, "the computations")
            assert ticker.modelGreeks is not None
            assert ticker.modelGreeks.undPrice == 2019.5
            tws.set_quote(SPX_ID, None, None, 2011.0)
            await until(lambda: ticker.modelGreeks and ticker.modelGreeks.undPrice == 2011.0, "the SPX move")
            ib.disconnect()

    run(scenario())


def test_an_index_ticker_gets_its_last_price() -> None:
    """An index has no bid or ask: only the last price arrives."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            spx = Index("SPX", "CBOE")
            await ib.qualifyContractsAsync(spx)
            tws.set_quote(SPX_ID, None, None, 2019.5)
            ticker = ib.reqMktData(spx)
            await until(lambda: ticker.last == 2019.5, "the index level")
            assert math.isnan(ticker.bid)
            assert ticker.modelGreeks is None
            ib.disconnect()

    run(scenario())


def test_a_snapshot_is_answered_and_leaves_no_subscription() -> None:
    """reqTickers (snapshots) completes with the quote; nothing stays subscribed."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(put.conId, 3.0, 3.2)
            [ticker] = await ib.reqTickersAsync(put)
            assert (ticker.bid, ticker.ask) == (3.0, 3.2)
            assert tws.subscriptions() == []
            ib.disconnect()

    run(scenario())


def test_market_data_of_an_unknown_contract_is_error_200() -> None:
    """reqMktData for an unlisted contract id: error 200 for the ticker's request id."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            errors: list[tuple[int, int]] = []
            ib.errorEvent += lambda req_id, code, message, contract: errors.append((req_id, code))
            ib.reqMktData(Contract(conId=123, secType="OPT", symbol="SPX", exchange="SMART"))
            await until(lambda: errors, "the error")
            assert errors[0][1] == 200
            assert tws.subscriptions() == []
            ib.disconnect()

    run(scenario())


# --- entitlement -------------------------------------------------------------------------------------


def test_without_entitlement_delayed_data_is_served_as_delayed() -> None:
    """entitled False, reqMarketDataType(3): marketDataType 3 and the delayed tick types arrive."""

    async def scenario() -> None:
        async with FakeTws(entitled=False) as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(put.conId, 3.0, 3.2, iv=0.18, delta=-0.31, underlying=2019.5)
            ib.reqMarketDataType(3)
            ticker = ib.reqMktData(put)
            seen = record_tick_types(ticker)
            await until(lambda: ticker.modelGreeks is not None, "delayed computations")
            assert ticker.marketDataType == 3
            assert (ticker.bid, ticker.ask) == (3.0, 3.2)
            assert set(seen) == {66, 67}
            assert ticker.modelGreeks is not None
            assert ticker.modelGreeks.delta == -0.31
            tws.set_quote(put.conId, 2.9, 3.1, iv=0.18, delta=-0.30, underlying=2019.5)
            await until(lambda: ticker.bid == 2.9, "a delayed update")
            ib.disconnect()

    run(scenario())


def test_a_live_request_without_entitlement_is_error_354() -> None:
    """entitled False and live data asked for: error 354 for the ticker's request, no subscription."""

    async def scenario() -> None:
        async with FakeTws(entitled=False) as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(put.conId, 3.0, 3.2)
            errors: list[tuple[int, int, str]] = []
            ib.errorEvent += lambda req_id, code, message, contract: errors.append((req_id, code, message))
            ticker: Ticker = ib.reqMktData(put)
            await until(lambda: errors, "the error")
            request_id = int(tws.requests(1)[-1][2])
            assert errors[0][:2] == (request_id, 354)
            assert errors[0][2].startswith("Requested market data is not subscribed")
            await settle(ib)
            assert math.isnan(ticker.bid)
            assert tws.subscriptions() == []
            ib.disconnect()

    run(scenario())


def test_with_entitlement_a_delayed_request_gets_live_data() -> None:
    """Asking for delayed data while entitled is answered with live data (marketDataType 1)."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            list_spx(tws)
            ib = await connect(tws)
            put = await qualified_put(ib, 2000.0)
            tws.set_quote(put.conId, 3.0, 3.2)
            ib.reqMarketDataType(3)
            ticker = ib.reqMktData(put)
            seen = record_tick_types(ticker)
            await until(lambda: ticker.bid == 3.0, "the quote")
            await settle(ib)
            assert ticker.marketDataType == 1
            assert set(seen) == {1, 2}
            ib.disconnect()

    run(scenario())
