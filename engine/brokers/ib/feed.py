"""The live market from Interactive Brokers, behind the same MarketFeed protocol as a replay.

What it subscribes to (kept small: IB accounts have 100 market data lines by default, and
ib_async throttles requests under IB's 50 per second):

* the index (SPX) and the VIX family (VIX, VIX9D, VIX3M) as index quotes;
* the option chain's listing from ``reqSecDefOptParams`` on the index: IB lists SPX (AM-settled
  monthlies) and SPXW (PM-settled weeklies and dailies) as separate trading classes, and each
  expiry is kept with its class (engine.calendar.expiration_of tells its settlement);
* for the *target* expiry only (the one the strategy would trade today: engine.strategy.spreads.
  select_expiry over the listed ones) and the expiries of open positions (`watch`), the strikes
  within `ChainPlan`'s band around the index, nearest first, up to `max_lines`; those are qualified
  (contract details) and streamed with generic ticks 100, 101, 106 (volume, open interest, IV).

Not entitled to live data (IB 354 / 10089 / 10167)? The feed asks for delayed data (type 3) and says
so: `delayed` is True, and every slice it builds is still flagged quoted but the connection's messages
and the status bar say "delayed". Chains come out in the same columnar ChainSlice as modelled ones,
flagged QUOTED, priced with our kernels (engine.data.quoted) with IB's model Greeks beside them.

The daily history the strategy's indicators run on is given (the bundled or stored history up to the
previous session); `live_history()` appends today's bar from the index quotes (SPX and VIX family
open/high/low/last; the series IB does not stream, SKEW, VVIX and the put/call ratios, carry the
previous session's value, as a trader reading them intraday would).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
from ib_async import IB, Contract, OptionChain, Ticker

from engine import calendar
from engine.brokers.base import Quote
from engine.brokers.ib.connection import IbConnection, TimedMessage
from engine.brokers.ib.contracts import (
    ContractBook,
    contract_key,
    expiry_of,
    index_contract,
    leg_key,
    option_contract,
    qualified_only,
)
from engine.config import UnderlyingParams
from engine.data import rates
from engine.data.history import MarketHistory
from engine.data.quoted import quoted_leg, quoted_slice
from engine.errors import InputError
from engine.model import ChainSlice, ComboLeg, DataSource, Expiration, Leg, Right, SideQuotes
from engine.strategy.spreads import select_expiry

log = logging.getLogger(__name__)

GENERIC_TICKS = "100,101,106"  # option volume, open interest, implied volatility
VIX_FAMILY = ("VIX", "VIX9D", "VIX3M")
LIVE, DELAYED = 1, 3
NOT_ENTITLED = {354, 10089, 10167, 10168}
SPOT_WAIT_S = 5.0
INDEX_PREFIXES = (("VIX", "vix"), ("VIX9D", "vix9d"), ("VIX3M", "vix3m"))
QUOTES_WAIT_S = 2.0  # some far strikes may never be quoted: do not wait longer


@dataclass(frozen=True, slots=True)
class ChainPlan:
    """Which options to stream: the out-of-the-money side of each strike in a band around the index.

    One line per strike (puts at and below the index, calls above, as a trader's OTM chain shows
    them; credit spreads are sold out of the money), nearest the index first, at most `max_lines`.
    """

    band_below: float = 0.15  # strikes down to 15 % under the index (where short puts live)
    band_above: float = 0.05
    max_lines: int = 90  # of the account's 100, leaving room for the indices


Clock = Callable[[], datetime]


class IbFeed:
    """Live quotes and chains from IB (module doc)."""

    source = DataSource.QUOTED

    def __init__(self, connection: IbConnection, contracts: ContractBook, history: MarketHistory,
                 params: UnderlyingParams, now: Clock, plan: ChainPlan | None = None,
                 underlying: str = "SPX") -> None:
        self.connection = connection
        self.contracts = contracts
        self.base_history = history
        self.history = history
        self.params = params
        self.now = now
        self.plan = plan or ChainPlan()
        self.underlying = underlying
        self.chains = IbChains(self)
        self.data_type = LIVE
        self.listed: dict[Expiration, tuple[float, ...]] = {}  # expiry -> strikes IB lists
        self.targets: list[Expiration] = []
        self._watched: set[Expiration] = set()
        self._watched_legs: set[ComboLeg] = set()
        self._index: dict[str, Ticker] = {}
        self._options: dict[tuple[str, date, float, str], Ticker] = {}
        self._underlying_con_id = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscribing = asyncio.Lock()  # one subscription round at a time
        connection.on_ready.append(self._on_ready)
        connection.on_message.append(self._on_message)

    @property
    def ib(self) -> IB:
        """Return the connection's ib_async client."""
        return self.connection.ib

    @property
    def delayed(self) -> bool:
        """Return True when IB sends delayed quotes (not entitled to live data)."""
        tickers = list(self._index.values()) + list(self._options.values())
        return self.data_type != LIVE or any(t.marketDataType in (3, 4) for t in tickers)

    # --- subscribing --------------------------------------------------------------------------

    async def _on_ready(self, connection: IbConnection, reconnected: bool) -> None:
        """Subscribe (again: a reconnect leaves ib_async with no subscription at all)."""
        async with self._subscribing:
            self._index.clear()
            self._options.clear()
            await self.subscribe()

    async def subscribe(self) -> None:
        """Stream the indices, discover the chain and stream the target expiries' strikes."""
        self.ib.reqMarketDataType(self.data_type)
        await self._subscribe_indices()
        spot = await self._wait_for_spot()
        await self._discover_chain()
        self.targets = self._target_expiries()
        await self._subscribe_options(spot)

    async def _subscribe_indices(self) -> None:
        wanted = [index_contract(symbol) for symbol in (self.underlying, *VIX_FAMILY)]
        for contract in qualified_only(await self.ib.qualifyContractsAsync(*wanted)):
            if contract.symbol == self.underlying:
                self._underlying_con_id = contract.conId
            self._index[contract.symbol] = self.ib.reqMktData(contract, "", False, False)

    async def _wait_for_spot(self) -> float:
        waited = 0.0
        while not math.isfinite(self.spot()) and waited < SPOT_WAIT_S:
            await asyncio.sleep(0.02)
            waited += 0.02
        return self.spot()

    async def _discover_chain(self) -> None:
        if not self._underlying_con_id:
            return
        found = await self.ib.reqSecDefOptParamsAsync(self.underlying, "", "IND", self._underlying_con_id)
        by_class: dict[str, OptionChain] = {}
        for chain in found:  # one entry per exchange and class: prefer SMART's
            if chain.tradingClass not in by_class or chain.exchange == "SMART":
                by_class[chain.tradingClass] = chain
        listed: dict[Expiration, tuple[float, ...]] = {}
        for trading_class, chain in by_class.items():
            strikes = tuple(sorted(float(k) for k in chain.strikes))
            for text in chain.expirations:
                listed[calendar.expiration_of(expiry_of(text), trading_class)] = strikes
        self.listed = listed

    def _target_expiries(self) -> list[Expiration]:
        today = self.now().astimezone(calendar.MARKET_TZ).date()
        alive = [e for e in self.listed if e.settles_at > self.now()]
        chosen = select_expiry(alive, today, self.params)
        targets = [] if chosen is None else [chosen]
        watched = [e for e in self._watched if e in self.listed and e not in targets]
        targets += sorted(watched, key=lambda e: (e.settles_at, e.trading_class))
        return targets

    def watch(self, legs: Sequence[ComboLeg]) -> None:
        """Stream these legs (open positions, whatever their moneyness) from the next subscription on."""
        for leg in legs:
            self._watched.add(calendar.expiration_of(leg.expiry, leg.trading_class))
            self._watched_legs.add(replace(leg, ratio=-1))

    async def stream(self, legs: Sequence[ComboLeg]) -> None:
        """Stream these legs now if they are not (an order's legs outside the band): the walk needs them."""
        self.watch(legs)
        missing = [leg for leg in legs if leg_key(self.underlying, leg) not in self._options]
        if missing and self.connection.connected:
            await self._stream_contracts([option_contract(self.underlying, leg) for leg in missing])

    def strikes_for(self, expiration: Expiration, spot: float) -> list[float]:
        """Return the listed strikes of an expiry to stream: inside the band, nearest the index first."""
        listed = self.listed.get(expiration, ())
        low, high = spot * (1 - self.plan.band_below), spot * (1 + self.plan.band_above)
        inside = [k for k in listed if low <= k <= high]
        per_expiry = max(1, self.plan.max_lines // max(1, len(self.targets)))
        return sorted(sorted(inside, key=lambda k: abs(k - spot))[:per_expiry])

    @staticmethod
    def otm_right(strike: float, spot: float) -> Right:
        """Return the out-of-the-money right streamed for a strike: a put at or below the index."""
        return Right.PUT if strike <= spot else Right.CALL

    async def _subscribe_options(self, spot: float) -> None:
        if not math.isfinite(spot):
            return
        wanted: list[Contract] = []
        for expiration in self.targets:
            for strike in self.strikes_for(expiration, spot):
                leg = ComboLeg(self.otm_right(strike, spot), strike, expiration.expiry, -1,
                               expiration.trading_class)
                wanted.append(option_contract(self.underlying, leg))
        wanted += [option_contract(self.underlying, leg) for leg in sorted(self._watched_legs, key=str)]
        await self._stream_contracts(wanted)

    async def _stream_contracts(self, wanted: Sequence[Contract]) -> None:
        """Qualify the options not streamed yet and subscribe to them; wait for their first quotes."""
        unique = {contract_key(c): c for c in wanted if contract_key(c) not in self._options}
        qualified = qualified_only(await self.ib.qualifyContractsAsync(*unique.values()))
        self.contracts.add(qualified)
        for contract in qualified:
            self._options[contract_key(contract)] = self.ib.reqMktData(contract, GENERIC_TICKS, False, False)
        await self._wait_for_quotes()

    async def _wait_for_quotes(self) -> None:
        """Give the first quotes up to QUOTES_WAIT_S to arrive, so the first chain is not empty."""
        waited = 0.0
        def waiting() -> bool:
            return any(not math.isfinite(_quote_of(t)[1]) for t in self._options.values())

        while waited < QUOTES_WAIT_S and waiting():
            await asyncio.sleep(0.02)
            waited += 0.02

    def _on_message(self, timed: TimedMessage) -> None:
        """Not entitled to live data: ask for delayed data and subscribe again."""
        if timed.message.code in NOT_ENTITLED and self.data_type == LIVE and self.connection.connected:
            self.data_type = DELAYED
            loop = self.connection.loop
            if loop is not None:
                task = loop.create_task(self._resubscribe())
                self._tasks.add(task)  # held: the loop keeps only a weak reference to its tasks
                task.add_done_callback(self._tasks.discard)

    async def _resubscribe(self) -> None:
        """Give back every line (TWS counts them against the account's 100) and subscribe anew.

        It waits for a subscription under way (the 354 arrives while the first one is still going).
        """
        async with self._subscribing:
            for ticker in [*self._index.values(), *self._options.values()]:
                if ticker.contract is not None:
                    self.ib.cancelMktData(ticker.contract)
            self._index.clear()
            self._options.clear()
            await self.subscribe()

    # --- reading ------------------------------------------------------------------------------

    def spot(self) -> float:
        """Return the index's last price (its close before the first trade), NaN when not known."""
        ticker = self._index.get(self.underlying)
        return _price_of(ticker) if ticker is not None else math.nan

    def index_level(self, symbol: str) -> float:
        """Return an index's last price (VIX, VIX9D, VIX3M or the underlying), NaN when not known."""
        ticker = self._index.get(symbol)
        return _price_of(ticker) if ticker is not None else math.nan

    @property
    def streamed_lines(self) -> int:
        """Return how many market data lines the feed holds."""
        return len(self._index) + len(self._options)

    def sessions(self, first: date, last: date) -> list[date]:
        """Return the exchange's sessions between two dates, inclusive."""
        return calendar.sessions_between(first, last)

    def slice_at(self, moment: datetime, expiration: Expiration, strikes: Sequence[float]) -> ChainSlice:
        """Return the latest quotes of some strikes of a streamed expiry, priced at `moment`."""
        wanted = np.array(sorted(set(float(k) for k in strikes)), dtype=np.float64)
        calls = self._columns(expiration, wanted, "C")
        puts = self._columns(expiration, wanted, "P")
        day = moment.astimezone(calendar.MARKET_TZ).date()
        return quoted_slice(self.underlying, expiration, moment, self.spot(), rates.risk_free_rate(day),
                            rates.dividend_yield(day), wanted, calls[:2], puts[:2],
                            open_interest=(calls[2], puts[2]), venue=(calls[3], puts[3]))

    def streamed_strikes(self, expiration: Expiration) -> list[float]:
        """Return the strikes of an expiry that are streamed (either right)."""
        wanted = (expiration.trading_class, expiration.expiry)
        return sorted({key[2] for key in self._options if key[:2] == wanted})

    def _columns(self, expiration: Expiration, strikes: np.ndarray,
                 right: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, SideQuotes]:
        tickers = [self._options.get((expiration.trading_class, expiration.expiry, float(k), right))
                   for k in strikes]
        bid = np.array([_quote_of(t)[0] for t in tickers])
        ask = np.array([_quote_of(t)[1] for t in tickers])
        oi = np.array([_open_interest(t, right) for t in tickers])
        return bid, ask, oi, _venue_side(tickers, bid, ask, oi)

    def quote_legs(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Leg, ...] | None:
        """Return each leg quoted now (bid, ask, mid, our IV and Greeks), None if one is not streamed."""
        if not math.isfinite(self.spot()):
            return None  # no index price yet (just reconnected): nothing can be priced
        out = []
        for leg in legs:
            expiration = calendar.expiration_of(leg.expiry, leg.trading_class)
            if expiration.settles_at <= moment:
                return None
            chain = self.slice_at(moment, expiration, [leg.strike])
            side = chain.calls if leg.right is Right.CALL else chain.puts
            if not math.isfinite(float(side.mid[0])):
                return None
            out.append(quoted_leg(leg, side, 0))
        return tuple(out)

    def leg_quotes(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Quote, ...] | None:
        """Return (bid, ask) per leg from the stream, None when a leg is not streamed or quoted."""
        quotes = []
        for leg in legs:
            bid, ask = _quote_of(self._options.get(leg_key(self.underlying, leg)))
            if not (math.isfinite(bid) and math.isfinite(ask)):
                return None
            quotes.append((bid, ask))
        return tuple(quotes)

    def settlement_value(self, expiration: Expiration) -> float | None:
        """Return None: IB settles expiring positions itself, and reports them as position changes."""
        return None

    # --- today's bar --------------------------------------------------------------------------

    def live_history(self, day: date) -> MarketHistory:
        """Return the given history (up to the session before `day`) with `day`'s bar from the indices.

        A day that is not a session (a weekend, a holiday) or is already in the history adds nothing.
        """
        if not calendar.is_session(day) or day <= self.base_history.last_date:
            self.history = self.base_history
            return self.history
        bar: dict[str, float] = {}
        for symbol, prefix in ((self.underlying, "spx"), *INDEX_PREFIXES):
            ticker = self._index.get(symbol)
            last = self.index_level(symbol)
            if ticker is None or not math.isfinite(last):
                continue
            bar[f"{prefix}_close"] = last
            for name in ("open", "high", "low"):
                value = float(getattr(ticker, name))
                bar[f"{prefix}_{name}"] = value if math.isfinite(value) and value > 0 else last
        if "spx_close" not in bar:
            raise InputError("spot", self.underlying, f"has no live price yet: the {day} bar cannot be made")
        self.history = self.base_history.with_bar(day, bar, carry=True)
        return self.history


class IbChains:
    """The feed's chains as the entry evaluator asks for them (engine.data.feed.CloseChains)."""

    def __init__(self, feed: IbFeed) -> None:
        self.feed = feed

    def expirations(self, day: date) -> tuple[Expiration, ...]:
        """Return the streamed expiries (the target one and those of open positions)."""
        return tuple(self.feed.targets)

    def slice_at(self, day: date, expiration: Expiration) -> ChainSlice:
        """Return the streamed strikes of one expiry, priced now."""
        feed = self.feed
        return feed.slice_at(feed.now(), expiration, feed.streamed_strikes(expiration))


def _finite_positive(value: float | None) -> float:
    return float(value) if value is not None and math.isfinite(value) and value >= 0 else math.nan


def _price_of(ticker: Ticker) -> float:
    last = _finite_positive(ticker.last)
    return last if math.isfinite(last) and last > 0 else _finite_positive(ticker.close)


def _quote_of(ticker: Ticker | None) -> tuple[float, float]:
    """Return (bid, ask), NaN for IB's -1 'no quote' and for a missing ticker."""
    if ticker is None:
        return math.nan, math.nan
    return _finite_positive(ticker.bid), _finite_positive(ticker.ask)


def _open_interest(ticker: Ticker | None, right: str) -> float:
    if ticker is None:
        return math.nan
    return _finite_positive(ticker.callOpenInterest if right == "C" else ticker.putOpenInterest)


def _venue_side(tickers: Sequence[Ticker | None], bid: np.ndarray, ask: np.ndarray,
                oi: np.ndarray) -> SideQuotes:
    """Return IB's own model IV and Greeks per strike (NaN where IB sent none)."""
    def column(name: str) -> np.ndarray:
        values = []
        for ticker in tickers:
            greeks = None if ticker is None else ticker.modelGreeks
            value = None if greeks is None else getattr(greeks, name)
            values.append(float(value) if value is not None and math.isfinite(value) else math.nan)
        return np.array(values, dtype=np.float64)

    mid = (bid + ask) / 2.0
    return SideQuotes(bid, ask, mid, column("impliedVol"), column("delta"), column("gamma"), column("theta"),
                      column("vega"), open_interest=oi)
