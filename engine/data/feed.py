"""Market feeds: where a TradingSession reads the market, replay or live, behind one interface.

`MarketFeed` is what the session needs: the daily history the strategy's indicators run on, the
chains at a session's close (for the entry evaluation), quotes of given option legs at any moment
(to re-check an approval, to mark positions, and for the paper broker to fill against) and the
settlement value of an expiry once it is fixed. A feed over recorded or imported quoted chains,
and the live IB feed, implement the same protocol; nothing else in the session changes.

`ModelledFeed` replays the bundled history with modelled chains (engine.data.chain_model): the
close of each session, and the 10:00-11:00 entry window from the session's opening prints.

Settlement values (what a position held to expiry is cash-settled at): AM-settled SPX monthlies
use the session's SPX open as a stand-in for the Special Opening Quotation (the SOQ is computed
from each component's opening trade; the published index open is close to it but not the same
number, and the SOQ series is not bundled); PM-settled SPXW use the SPX close. Both are labelled
as modelled wherever a settlement is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

import numpy as np

from engine import calendar
from engine.brokers.base import Quote
from engine.data.chain_model import ModelledChainSource
from engine.data.history import MarketHistory
from engine.errors import InputError
from engine.model import ChainSlice, ComboLeg, DataSource, Expiration, Leg, Right, Settlement, SideQuotes

SLICE_CACHE_SIZE = 64  # slices kept per moment: every open position's expiry, quoted twice a day


class CloseChains(Protocol):
    """The chains at a session's close, as the entry evaluator asks for them."""

    def expirations(self, day: date) -> tuple[Expiration, ...]:
        """Return the expirations listed at `day`'s close."""
        ...

    def slice_at(self, day: date, expiration: Expiration) -> ChainSlice:
        """Return one expiry's quotes at `day`'s close."""
        ...


class MarketFeed(Protocol):
    """The market as a TradingSession sees it (module doc)."""

    underlying: str
    source: DataSource
    history: MarketHistory

    @property
    def chains(self) -> CloseChains:
        """Return the chains at a session's close (read-only: each feed has its own kind)."""
        ...

    def sessions(self, first: date, last: date) -> list[date]:
        """Return the sessions with data between two dates, inclusive."""
        ...

    def slice_at(self, moment: datetime, expiration: Expiration, strikes: Sequence[float]) -> ChainSlice:
        """Return the quotes of some strikes of one expiry at `moment` (all with IV and Greeks)."""
        ...

    def quote_legs(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Leg, ...] | None:
        """Return each leg quoted at `moment` (bid, ask, mid, IV, Greeks), or None if unquoted."""
        ...

    def leg_quotes(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Quote, ...] | None:
        """Return (bid, ask) per leg at `moment`: the paper broker's view of the market."""
        ...

    def settlement_value(self, expiration: Expiration) -> float | None:
        """Return the value an expiry settles at, None while it is not yet known."""
        ...


def _pick(side: SideQuotes, index: int) -> tuple[float, ...]:
    return tuple(float(getattr(side, name)[index]) for name in ("bid", "ask", "mid", "iv", "delta", "gamma",
                                                                 "theta", "vega"))


class ModelledFeed:
    """Replay the bundled history with modelled chains (module doc)."""

    source = DataSource.MODELLED

    def __init__(self, history: MarketHistory, underlying: str = "SPX") -> None:
        if underlying != "SPX":
            raise InputError("underlying", underlying, "the bundled history models SPX only")
        self.underlying = underlying
        self.history = history
        self.chains = ModelledChainSource(history)
        self._cache_moment: datetime | None = None
        self._slices: dict[tuple[date, str, tuple[float, ...]], ChainSlice] = {}

    def sessions(self, first: date, last: date) -> list[date]:
        """Return the history's sessions between two dates, inclusive."""
        return [day for day in self.history.dates if first <= day <= last]

    def _slice(self, moment: datetime, expiration: Expiration, strikes: tuple[float, ...]) -> ChainSlice:
        if moment != self._cache_moment or len(self._slices) >= SLICE_CACHE_SIZE:
            self._cache_moment, self._slices = moment, {}
        key = (expiration.expiry, expiration.trading_class, strikes)
        found = self._slices.get(key)
        if found is None:
            found = self.chains.slice_at_moment(moment, expiration, np.array(strikes))
            self._slices[key] = found
        return found

    def slice_at(self, moment: datetime, expiration: Expiration, strikes: Sequence[float]) -> ChainSlice:
        """Return the modelled quotes of some strikes of one expiry at `moment`."""
        return self._slice(moment, expiration, tuple(sorted(set(strikes))))

    def quote_legs(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Leg, ...] | None:
        """Return each leg quoted at `moment` from the modelled chain; None once a leg has expired."""
        quoted = []
        for leg in legs:
            expiration = calendar.expiration_of(leg.expiry, leg.trading_class)
            if expiration.settles_at <= moment:
                return None
            strikes = tuple(sorted({x.strike for x in legs if x.expiry == leg.expiry}))
            chain = self._slice(moment, expiration, strikes)
            index = strikes.index(leg.strike)
            side = chain.calls if leg.right is Right.CALL else chain.puts
            bid, ask, mid, iv, delta, gamma, theta, vega = _pick(side, index)
            quoted.append(Leg(leg.right, leg.strike, leg.expiry, leg.ratio, bid, ask, mid, iv, delta, gamma,
                              theta, vega, leg.trading_class))
        return tuple(quoted)

    def leg_quotes(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Quote, ...] | None:
        """Return (bid, ask) per leg at `moment` (the paper broker's market)."""
        quoted = self.quote_legs(moment, legs)
        return None if quoted is None else tuple((leg.bid, leg.ask) for leg in quoted)

    def settlement_value(self, expiration: Expiration) -> float | None:
        """Return SPX's open (AM, the SOQ's stand-in) or close (PM) of the expiry day (module doc)."""
        return history_settlement(self.history, expiration)


def history_settlement(history: MarketHistory, expiration: Expiration) -> float | None:
    """Return the history's SPX open (AM: the SOQ's stand-in) or close (PM) of an expiry day, or None."""
    day = expiration.expiry
    if day > history.last_date or not calendar.is_session(day):
        return None
    column = "spx_open" if expiration.settlement is Settlement.AM else "spx_close"
    value = float(history.column(column)[history.row_of(day)])
    return value if math.isfinite(value) else None
