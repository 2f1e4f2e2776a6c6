"""Quoted chains: bid/ask columns from a venue, priced with our own kernels into the columnar ChainSlice.

A live (IB) or recorded chain arrives as bids and asks per strike. Its IV and Greeks are computed
here exactly as the modelled chain's are (engine.data.chain_model): IV from the mid with the
Black-Scholes-Merton solver, Greeks at that IV, on the same spot, rate and dividend yield, to the
settlement moment (ACT/365). So a quoted chain and a modelled one are judged by one yardstick; a
venue's own Greeks (IB's model) travel beside ours in ``ChainSlice.venue`` for comparison.

Missing quotes (no bid/ask yet, IB's -1 for "none", a crossed market) are NaN; an option whose mid
has no IV (below intrinsic, zero bid and ask) has NaN IV and Greeks, and the strategy skips it.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from engine import calendar
from engine.errors import InputError
from engine.model import ChainSlice, ComboLeg, DataSource, Expiration, FloatArray, Leg, SideQuotes
from engine.pricing import bsm_greeks, implied_vol


def quoted_leg(leg: ComboLeg, side: SideQuotes, index: int) -> Leg:
    """Return one leg as quoted in row `index` of a chain side (bid, ask, mid, IV, Greeks)."""
    def at(column: FloatArray) -> float:
        return float(column[index])

    return Leg(leg.right, leg.strike, leg.expiry, leg.ratio, at(side.bid), at(side.ask), at(side.mid),
               at(side.iv), at(side.delta), at(side.gamma), at(side.theta), at(side.vega), leg.trading_class)


def clean_quotes(bid: FloatArray, ask: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (bid, ask) with unusable pairs (negative, non-finite, crossed) set to NaN."""
    bid, ask = np.asarray(bid, dtype=np.float64), np.asarray(ask, dtype=np.float64)
    bad = ~(np.isfinite(bid) & np.isfinite(ask) & (bid >= 0.0) & (ask >= bid))
    return np.where(bad, np.nan, bid), np.where(bad, np.nan, ask)


def priced_side(is_call: bool, spot: float, strikes: FloatArray, t: float, rate: float, dividend_yield: float,
                bid: FloatArray, ask: FloatArray, open_interest: FloatArray | None = None) -> SideQuotes:
    """Return one side's quotes with IV from the mid and Greeks at that IV (module doc)."""
    n = len(strikes)
    bid, ask = clean_quotes(bid, ask)
    mid = (bid + ask) / 2.0
    rights = np.full(n, is_call)
    spot_a, t_a = np.full(n, spot), np.full(n, t)
    quoted = np.isfinite(mid)
    iv = np.full(n, np.nan)
    if quoted.any():
        solved, _reason = implied_vol(np.where(quoted, mid, 0.0), rights, spot_a, strikes, t_a, rate,
                                      dividend_yield)
        iv = np.where(quoted, solved, np.nan)
    valid = np.isfinite(iv)
    greeks = bsm_greeks(rights, spot_a, strikes, t_a, rate, dividend_yield, np.where(valid, iv, 0.0))
    oi = np.full(n, np.nan) if open_interest is None else np.asarray(open_interest, dtype=np.float64)
    delta, gamma, theta, vega = (np.where(valid, getattr(greeks, name), np.nan)
                                 for name in ("delta", "gamma", "theta", "vega"))
    return SideQuotes(bid, ask, mid, iv, delta, gamma, theta, vega, oi)


def quoted_slice(underlying: str, expiration: Expiration, as_of: datetime, spot: float, rate: float,
                 dividend_yield: float, strikes: FloatArray, calls: tuple[FloatArray, FloatArray],
                 puts: tuple[FloatArray, FloatArray], source: DataSource = DataSource.QUOTED,
                 open_interest: tuple[FloatArray, FloatArray] | None = None,
                 venue: tuple[SideQuotes, SideQuotes] | None = None) -> ChainSlice:
    """Return one expiry's quoted chain as a ChainSlice: `calls` and `puts` are (bid, ask) columns."""
    if not (math.isfinite(spot) and spot > 0):
        raise InputError("spot", spot, f"must be a price > 0 to price the {expiration.expiry} chain")
    t = calendar.year_fraction(as_of, expiration.settles_at)
    if t <= 0:
        raise InputError("expiration", expiration.expiry.isoformat(), f"has expired by {as_of.isoformat()}")
    strikes = np.asarray(strikes, dtype=np.float64)
    call_oi, put_oi = open_interest if open_interest is not None else (None, None)
    forward = spot * math.exp((rate - dividend_yield) * t)
    return ChainSlice(underlying, expiration, as_of, spot, forward, rate, dividend_yield, t, strikes,
                      priced_side(True, spot, strikes, t, rate, dividend_yield, *calls, call_oi),
                      priced_side(False, spot, strikes, t, rate, dividend_yield, *puts, put_oi),
                      source, venue)
