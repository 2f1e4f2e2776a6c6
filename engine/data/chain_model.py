"""Modelled SPX option chains for any session of the bundled history.

For a day D the chain is built at D's close from what was known then and nothing later:
SPX's close, the VIX family and SKEW on D (SKEW carried forward at most 10 sessions when a day
is missing), and the rate and dividend assumptions of engine.data.rates. It lists the
expirations SPX had that day (engine.calendar's eras), strikes on the grid of the era, prices
each option with Black-Scholes-Merton off the surface of engine.data.surface, and quotes a
bid/ask around that price with the width model below. IV and Greeks are then computed from the
quoted mid with the same kernels a quoted chain goes through, so modelled and quoted chains
are handled identically downstream. Everything is flagged DataSource.MODELLED.

Strike grid (per expiry, around the forward F, with s = ATM vol x sqrt(T)):
  5-point strikes where  -min(3.5 s, 30 %) <= ln(K/F) <= +min(2 s, 12 %) (at least -10 %/+5 %),
  25-point strikes out to -6 s / +3.5 s, 100-point strikes out to -9 s / +5 s (K >= 5 % of F).
SPX has listed 5-point strikes near the money in every era since 1990; the wider wings of
the real listing are thinner here because no strategy of ours trades them.

Width model (dollars, per option; SPX quotes in 0.05 below $3 and 0.10 from $3):
  width = (0.10 + 0.035 x theo) x era x stress, capped at $5 x era,
  era = 1.6 before 2004, 1.3 for 2004-2011, 1.0 from 2012 (SPX markets tightened with
  electronic market making), stress = 1 + max(0, VIX - 20) / 40 (wider in turmoil);
  bid = theo - width / 2 rounded down to the tick (never below 0), ask = theo + width / 2
  rounded up; an option worth less than half a tick is quoted 0 bid / 0.05 ask.
It reproduces the usual SPX picture (a $1 option about 0.10-0.20 wide, a $20 option about
$0.80-1.00) but is a model: no real quote went into it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from engine import calendar
from engine.data import rates
from engine.data.history import MarketHistory
from engine.data.surface import VolSurface, build_surface
from engine.errors import InputError
from engine.model import (
    Chain,
    ChainSlice,
    DataSource,
    Expiration,
    FloatArray,
    SideQuotes,
)
from engine.pricing import bsm_greeks, bsm_price, implied_vol

UNDERLYING = "SPX"
SKEW_CARRY_SESSIONS = 10
SURFACE_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class WidthModel:
    """Parameters of the bid/ask width model (see the module docstring)."""

    base: float = 0.10
    per_dollar: float = 0.035
    cap: float = 5.0
    stress_from_vix: float = 20.0
    stress_span: float = 40.0

    def era_factor(self, day: date) -> float:
        """Return how much wider than today's SPX market the era's quotes were."""
        return 1.6 if day.year < 2004 else 1.3 if day.year < 2012 else 1.0

    def widths(self, theo: FloatArray, vix: float, day: date) -> FloatArray:
        """Return the quoted width of each option from its model value."""
        era = self.era_factor(day)
        stress = 1.0 + max(0.0, vix - self.stress_from_vix) / self.stress_span
        return np.minimum((self.base + self.per_dollar * theo) * era * stress, self.cap * era)


def tick_size(price: FloatArray) -> FloatArray:
    """Return SPX's minimum tick at each price: 0.05 below $3, 0.10 from $3."""
    return np.where(price < 3.0, 0.05, 0.10)


def quote(theo: FloatArray, width: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (bid, ask) on SPX ticks around model values; bid >= 0, bid <= theo <= ask."""
    raw_bid = np.maximum(theo - width / 2.0, 0.0)
    raw_ask = theo + width / 2.0
    # The tick is set by the quote's own level; 1e-9 absorbs float noise on exact multiples.
    bid_tick, ask_tick = tick_size(raw_bid), tick_size(raw_ask)
    bid = np.floor(raw_bid / bid_tick + 1e-9) * bid_tick
    ask = np.maximum(np.ceil(raw_ask / ask_tick - 1e-9) * ask_tick, 0.05)
    return np.round(bid, 2), np.round(ask, 2)


def strike_grid(forward: float, atm_vol: float, t: float) -> FloatArray:
    """Return the listed strikes of one expiry (see the module docstring)."""
    s = atm_vol * math.sqrt(t)
    bands = (
        (5.0, -max(min(3.5 * s, 0.30), 0.10), max(min(2.0 * s, 0.12), 0.05)),
        (25.0, -6.0 * s, 3.5 * s),
        (100.0, -9.0 * s, 5.0 * s),
    )
    strikes: set[float] = set()
    for step, low, high in bands:
        lo = math.ceil(max(forward * math.exp(low), 0.05 * forward) / step) * step
        hi = math.floor(forward * math.exp(high) / step) * step
        strikes.update(np.arange(lo, hi + step / 2, step).tolist())
    return np.array(sorted(k for k in strikes if k > 0), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class MarketInputs:
    """What the model knows at one session's close."""

    day: date
    as_of: datetime
    spot: float
    vix: float
    vix9d: float
    vix3m: float
    skew: float
    rate: float
    dividend_yield: float


class ModelledChainSource:
    """Build modelled SPX chains from a MarketHistory, at a session's close or at any moment.

    Surfaces are cached per set of VIX-family inputs; slices are built on demand, so asking for
    one expiry (or a few strikes of it) costs that much work.

    Intraday moments (the 10:00-11:00 ET entry window) are modelled from the session's opening
    prints: SPX's open, the VIX family's opens (the previous close where an open is missing),
    SKEW as known at the previous close. A daily history holds nothing between the open and the
    close, so the window's chain is the open's; it uses nothing printed after 09:30 that day.
    Before the open a moment sees the previous session's close.
    """

    def __init__(self, history: MarketHistory, widths: WidthModel | None = None) -> None:
        self.history = history
        self.widths = widths or WidthModel()
        self._close = history.column("spx_close")
        self._open = history.column("spx_open")
        self._vix = {name: history.column(f"{name}_close") for name in ("vix", "vix9d", "vix3m")}
        self._vix_open = {name: history.column(f"{name}_open") for name in ("vix", "vix9d", "vix3m")}
        self._skew = history.column("skew")
        self._surfaces: dict[tuple[float | None, ...], VolSurface] = {}

    def _carried_skew(self, row: int) -> float:
        window = self._skew[max(0, row - SKEW_CARRY_SESSIONS) : row + 1]
        known = window[np.isfinite(window)]
        return float(known[-1]) if len(known) else math.nan

    def market_on(self, day: date) -> MarketInputs:
        """Return the inputs known at `day`'s close; raise if VIX is missing that day."""
        row = self.history.row_of(day)
        vix = float(self._vix["vix"][row])
        if not math.isfinite(vix):
            raise InputError("date", day.isoformat(), "has no VIX close: no chain can be modelled")
        return MarketInputs(
            day,
            self.history.close_time(day),
            float(self._close[row]),
            vix,
            float(self._vix["vix9d"][row]),
            float(self._vix["vix3m"][row]),
            self._carried_skew(row),
            rates.risk_free_rate(day),
            rates.dividend_yield(day),
        )

    def _opening(self, name: str, row: int) -> float:
        """Return a VIX-family open, or the previous close when the open was not printed."""
        value = float(self._vix_open[name][row])
        return value if math.isfinite(value) else float(self._vix[name][row - 1]) if row > 0 else math.nan

    def _market_at_open(self, day: date, moment: datetime) -> MarketInputs:
        row = self.history.row_of(day)
        spot, vix = float(self._open[row]), self._opening("vix", row)
        if not (math.isfinite(spot) and math.isfinite(vix)):
            raise InputError("date", day.isoformat(), "has no SPX or VIX open: no chain can be modelled")
        return MarketInputs(
            day, moment, spot, vix, self._opening("vix9d", row), self._opening("vix3m", row),
            self._carried_skew(row - 1) if row > 0 else math.nan,
            rates.risk_free_rate(day), rates.dividend_yield(day),
        )

    def market_at(self, moment: datetime) -> MarketInputs:
        """Return the inputs known at a tz-aware moment (class doc: close, open, or before the open)."""
        if moment.tzinfo is None:
            raise InputError("moment", moment.isoformat(), "must be timezone-aware")
        day = moment.astimezone(calendar.MARKET_TZ).date()
        if calendar.is_session(day) and moment >= self.history.close_time(day):
            return self.market_on(day)
        if calendar.is_session(day) and moment >= calendar.session_open(day):
            return self._market_at_open(day, moment)
        return self.market_on(calendar.previous_session(day))

    def _surface_for(self, m: MarketInputs) -> VolSurface:
        # NaN never equals itself, so missing inputs are keyed as None to let the cache hit.
        inputs = (m.vix, m.vix9d, m.vix3m, m.skew)
        key = tuple(None if math.isnan(x) else x for x in inputs)
        surface = self._surfaces.get(key)
        if surface is None:
            if len(self._surfaces) >= SURFACE_CACHE_SIZE:
                self._surfaces.clear()
            surface = self._surfaces[key] = build_surface(*inputs)
        return surface

    def surface_on(self, day: date) -> VolSurface:
        """Return the modelled vol surface at `day`'s close (cached)."""
        return self._surface_for(self.market_on(day))

    def expirations(self, day: date) -> tuple[Expiration, ...]:
        """Return the SPX expirations listed at `day`'s close."""
        return calendar.listed_expirations(self.market_on(day).as_of)

    def slice_at(self, day: date, expiration: Expiration) -> ChainSlice:
        """Build the modelled quotes of one expiry at `day`'s close."""
        return self.slice_for(self.market_on(day), expiration)

    def slice_at_moment(
        self, moment: datetime, expiration: Expiration, strikes: FloatArray | None = None
    ) -> ChainSlice:
        """Build one expiry's quotes at a moment; `strikes` limits the slice to those strikes.

        Any strike may be asked for (a strike once listed stays listed, even when today's grid
        would not list it); each option is priced exactly as in the full slice.
        """
        return self.slice_for(self.market_at(moment), expiration, strikes)

    def slice_for(
        self, m: MarketInputs, expiration: Expiration, strikes: FloatArray | None = None
    ) -> ChainSlice:
        """Build one expiry's modelled quotes from known inputs (the whole grid unless `strikes`)."""
        t = calendar.year_fraction(m.as_of, expiration.settles_at)
        if t <= 0:
            raise InputError(
                "expiration", expiration.expiry.isoformat(), f"has expired by {m.as_of.isoformat()}"
            )
        forward = m.spot * math.exp((m.rate - m.dividend_yield) * t)
        surface = self._surface_for(m)
        if strikes is None:
            strikes = strike_grid(forward, surface.atm_vol(t), t)
        strikes = np.asarray(strikes, dtype=np.float64)
        vols = surface.vols(strikes, forward, t)
        calls = self._side(True, m, strikes, vols, t)
        puts = self._side(False, m, strikes, vols, t)
        return ChainSlice(
            UNDERLYING, expiration, m.as_of, m.spot, forward, m.rate, m.dividend_yield, t,
            strikes, calls, puts, DataSource.MODELLED,
        )

    def _side(
        self, is_call: bool, m: MarketInputs, strikes: FloatArray, vols: FloatArray, t: float
    ) -> SideQuotes:
        n = len(strikes)
        rights = np.full(n, is_call)
        spot, tt = np.full(n, m.spot), np.full(n, t)
        theo = bsm_price(rights, spot, strikes, tt, m.rate, m.dividend_yield, vols)
        bid, ask = quote(theo, self.widths.widths(theo, m.vix, m.day))
        mid = (bid + ask) / 2.0
        iv, _reason = implied_vol(mid, rights, spot, strikes, tt, m.rate, m.dividend_yield)
        g = bsm_greeks(
            rights, spot, strikes, tt, m.rate, m.dividend_yield, np.where(np.isfinite(iv), iv, 0.0)
        )
        valid = np.isfinite(iv)
        nan = np.full(n, np.nan)
        return SideQuotes(
            bid,
            ask,
            mid,
            iv,
            *(np.where(valid, getattr(g, name), np.nan) for name in ("delta", "gamma", "theta", "vega")),
            open_interest=nan,
        )

    def chain_at(self, day: date) -> Chain:
        """Build every listed expiry at `day`'s close."""
        m = self.market_on(day)
        slices = tuple(self.slice_at(day, e) for e in self.expirations(day))
        return Chain(UNDERLYING, m.as_of, m.spot, DataSource.MODELLED, slices)
