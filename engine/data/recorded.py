"""Replaying recorded chains: what a live feed saw, read back at its real timestamps.

A recorder (engine.brokers.ib.recorder) stores chain snapshots in the store (engine.store
``save_chain``), flagged RECORDED, each at the moment it was taken. `RecordedFeed` serves them
behind the MarketFeed protocol, so a TradingSession replays a recorded day like a modelled one:

* at any moment it shows the *last snapshot taken at or before* that moment, never a later one (a
  replay sees nothing after its own clock); before the first snapshot there is nothing (None, or
  an InputError naming the moment for a chain asked for outright);
* a strike or expiry the snapshot does not hold is not quoted (NaN), never interpolated;
* the daily history for the indicators is given, as for any feed; settlement values come from it
  (AM: the SPX open, PM: the close, as the modelled feed; labelled modelled there).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

from engine import calendar
from engine.brokers.base import Quote
from engine.data.feed import history_settlement
from engine.data.history import MarketHistory
from engine.data.quoted import quoted_leg
from engine.errors import InputError
from engine.model import (
    Chain,
    ChainSlice,
    ComboLeg,
    DataSource,
    Expiration,
    Leg,
    Right,
    SideQuotes,
)
from engine.store import QUOTE_FIELDS, Store


class RecordedFeed:
    """Recorded chains from the store, at their real timestamps (module doc)."""

    source = DataSource.RECORDED

    def __init__(self, store: Store, history: MarketHistory, underlying: str = "SPX") -> None:
        self.store = store
        self.history = history
        self.underlying = underlying
        self.times = store.chain_times(underlying, DataSource.RECORDED)
        self.chains = RecordedChains(self)
        self._cached: tuple[datetime, Chain] | None = None

    def chain_at(self, moment: datetime) -> Chain | None:
        """Return the last snapshot taken at or before `moment`, None before the first."""
        i = bisect.bisect_right(self.times, moment) - 1
        if i < 0:
            return None
        taken = self.times[i]
        if self._cached is None or self._cached[0] != taken:
            self._cached = (taken, self.store.load_chain(self.underlying, taken, DataSource.RECORDED))
        return self._cached[1]

    def sessions(self, first: date, last: date) -> list[date]:
        """Return the sessions with recordings between two dates, inclusive."""
        days = sorted({t.astimezone(calendar.MARKET_TZ).date() for t in self.times})
        return [day for day in days if first <= day <= last]

    def slice_of(self, moment: datetime, expiration: Expiration) -> ChainSlice | None:
        """Return the whole recorded slice of one expiry as of `moment`, None when none was recorded."""
        chain = self.chain_at(moment)
        if chain is None:
            return None
        wanted = (expiration.expiry, expiration.trading_class)
        for found in chain.slices:
            if (found.expiry, found.expiration.trading_class) == wanted:
                return found
        return None

    def slice_at(self, moment: datetime, expiration: Expiration, strikes: Sequence[float]) -> ChainSlice:
        """Return the recorded quotes of some strikes of one expiry as of `moment` (NaN where not held)."""
        found = self.slice_of(moment, expiration)
        if found is None:
            raise InputError("moment", moment.isoformat(),
                             f"has no recorded {self.underlying} {expiration.expiry} chain at or before it")
        return _subset(found, sorted({float(k) for k in strikes}))

    def quote_legs(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Leg, ...] | None:
        """Return each leg as recorded at or before `moment`, None if one is not held or expired."""
        out = []
        for leg in legs:
            expiration = calendar.expiration_of(leg.expiry, leg.trading_class)
            found = None if expiration.settles_at <= moment else self.slice_of(moment, expiration)
            if found is None:
                return None
            side = _subset(found, [leg.strike])
            quotes = side.calls if leg.right is Right.CALL else side.puts
            quoted = quoted_leg(leg, quotes, 0)
            if not math.isfinite(quoted.mid):
                return None
            out.append(quoted)
        return tuple(out)

    def leg_quotes(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Quote, ...] | None:
        """Return (bid, ask) per leg as recorded at or before `moment`."""
        quoted = self.quote_legs(moment, legs)
        return None if quoted is None else tuple((leg.bid, leg.ask) for leg in quoted)

    def settlement_value(self, expiration: Expiration) -> float | None:
        """Return the history's SPX open (AM) or close (PM) of the expiry day, None when not in it."""
        return history_settlement(self.history, expiration)


class RecordedChains:
    """The recorded chains at a session's close, as the entry evaluator asks for them."""

    def __init__(self, feed: RecordedFeed) -> None:
        self.feed = feed

    def expirations(self, day: date) -> tuple[Expiration, ...]:
        """Return the expiries of the last snapshot taken by `day`'s close."""
        chain = self.feed.chain_at(calendar.session_close(day))
        return () if chain is None else tuple(s.expiration for s in chain.slices)

    def slice_at(self, day: date, expiration: Expiration) -> ChainSlice:
        """Return one expiry's whole recorded slice as of `day`'s close."""
        found = self.feed.slice_of(calendar.session_close(day), expiration)
        if found is None:
            why = f"has no recorded {expiration.expiry} chain by the close"
            raise InputError("date", day.isoformat(), why)
        return found


def _subset(chain: ChainSlice, strikes: Sequence[float]) -> ChainSlice:
    """Return `chain` restricted to `strikes` (NaN rows for strikes it does not hold)."""
    index = {float(k): i for i, k in enumerate(chain.strikes)}
    rows = [index.get(float(k), -1) for k in strikes]

    def side(quotes: SideQuotes) -> SideQuotes:
        columns = []
        for name in QUOTE_FIELDS:
            values = getattr(quotes, name)
            columns.append(np.array([values[r] if r >= 0 else np.nan for r in rows], dtype=np.float64))
        return SideQuotes(*columns)

    return ChainSlice(chain.underlying, chain.expiration, chain.as_of, chain.spot, chain.forward, chain.rate,
                      chain.dividend_yield, chain.time_to_expiry, np.array(strikes, dtype=np.float64),
                      side(chain.calls), side(chain.puts), chain.source)
