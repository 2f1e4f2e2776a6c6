"""Spread construction (002 §5): pick the expiry and strikes, build the structure off the chain.

Everything works on the chain's columns: the short strike is ``np.argmin`` over the delta
column, the other strikes are found with ``np.searchsorted`` on the strike column. No loop over
options in Python.

Conventions shared by every builder:

* A builder returns a `Structure` or a `NoSpread` whose ``reason`` starts with 002 §5.2's
  "No suitable strikes for entry" and names the strike and what was wrong with it.
* Short strike: the listed strike whose delta is closest to the target. Strikes without a
  delta (no IV) are never chosen. On an exact tie the strike further out of the money wins
  (the safer of the two).
* Every leg needs a valid quote: finite bid and ask, ``0 <= bid <= ask``, ``ask > 0``, a
  positive mid and finite IV and Greeks (the risk manager's Greek caps need them).
* Bid/ask quality (002 §5.2, "mid-market spread < 20% of premium"), checked **per leg**, as
  002's step 6 says ("both strikes ... have acceptable bid/ask spreads"): ``(ask - bid) / mid``
  must be strictly below ``max_bid_ask_pct_of_premium`` %. A check on the whole spread
  (natural width / net credit) would reject most 45-DTE spreads: two legs' widths against a
  credit that is only the difference of their prices.
* Credits: ``credit_mid = -sum(quantity x mid)``, ``credit_natural = -sum(quantity x price
  at which that leg trades at the touch)`` (sell at the bid, buy at the ask).
* Max profit, max loss and breakevens at expiry come from engine.pricing.structures at the
  mid credit. Net Greeks are ``sum(quantity x leg Greek)``, per option unit (engine.pricing
  units: theta per day, vega per vol point); times ``multiplier`` for dollars.
* Probability of profit: probability that the P&L at expiry is > 0 at the mid credit, under
  a lognormal price with the risk-neutral drift (rate - dividend yield), from the chain's spot
  over its time to expiry. Volatility: the short strike's IV for verticals and butterflies
  (the skew-aware choice: the short strike is where the trade is lost); an iron condor takes
  each side's short-strike IV for the tail on that side.
* Leg order: verticals list the short leg first (as 002 §9.2 logs them); iron condors and
  butterflies list legs by ascending strike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from engine.config import UnderlyingParams
from engine.errors import InputError
from engine.model import ChainSlice, Expiration, Leg, Right, SideQuotes, Structure, StructureKind
from engine.pricing import Legs, breakevens, max_loss, max_profit, prob_below, prob_profit_at_expiry

NO_STRIKES = "No suitable strikes for entry"
DEFAULT_MAX_BID_ASK_PCT = 20.0  # 002 §5.2 and UnderlyingParams.max_bid_ask_pct_of_premium's default

# 002 §11.2: (VIX below this, short put delta). The last band has no upper edge: above 35 the
# Crisis regime halts entries anyway, so a spread built there (e.g. to show it) keeps -0.12.
VIX_ADJUSTED_DELTAS: tuple[tuple[float, float], ...] = ((18.0, -0.16), (25.0, -0.14), (math.inf, -0.12))

_STRIKE_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class NoSpread:
    """Why no structure was built, in words for the log and the candidates panel."""

    reason: str


# ----------------------------------------------------------------------------- expiry and delta


def select_expiry(
    expirations: Iterable[Expiration], day: date, params: UnderlyingParams
) -> Expiration | None:
    """Return the expiry nearest ``target_dte`` within [min_dte_entry, max_dte_entry], or None.

    DTE counts calendar days from ``day``. On a tie the earlier expiry wins (less time in the
    trade); None when nothing is listed inside the window.
    """
    today = day.date() if isinstance(day, datetime) else day
    window = [
        e for e in expirations if params.min_dte_entry <= (e.expiry - today).days <= params.max_dte_entry
    ]
    if not window:
        return None
    return min(window, key=lambda e: (abs((e.expiry - today).days - params.target_dte), e.settles_at))


def target_short_delta(params: UnderlyingParams, vix: float | None = None) -> float:
    """Return the short put delta to aim for: ``target_delta``, or 002 §11.2's VIX table.

    With ``vix_adjusted_delta`` on, the table replaces ``target_delta``: VIX < 18 -> -0.16,
    18 <= VIX < 25 -> -0.14, VIX >= 25 -> -0.12 (also above 35; see VIX_ADJUSTED_DELTAS).
    Each band includes its lower edge. Raise InputError when the table needs a VIX and none
    (or NaN) is given: the delta is never guessed.
    """
    if not params.vix_adjusted_delta:
        return params.target_delta
    if vix is None or not math.isfinite(vix) or vix <= 0:
        raise InputError("vix", vix, "VIX-adjusted delta (002 §11.2) needs today's VIX (> 0)")
    return next(delta for below, delta in VIX_ADJUSTED_DELTAS if vix < below)


# ----------------------------------------------------------------------------- strikes on arrays


def _side(chain_slice: ChainSlice, right: Right) -> SideQuotes:
    return chain_slice.calls if right is Right.CALL else chain_slice.puts


def strike_nearest_delta(chain_slice: ChainSlice, right: Right, target: float) -> int | None:
    """Return the index of the strike whose delta is closest to ``target`` (None: no deltas).

    Ties go to the strike further out of the money: the lower put, the higher call.
    """
    if not (-1.0 < target < 0.0 if right is Right.PUT else 0.0 < target < 1.0):
        allowed = f"must be inside (-1, 0) for puts, (0, 1) for calls ({right.name.lower()})"
        raise InputError("target delta", target, allowed)
    distance = np.abs(_side(chain_slice, right).delta - target)
    distance = np.where(np.isfinite(distance), distance, np.inf)
    if distance.size == 0 or not np.isfinite(distance).any():
        return None
    if right is Right.PUT:
        return int(np.argmin(distance))
    return int(distance.size - 1 - np.argmin(distance[::-1]))


def listed_strike(strikes: np.ndarray, strike: float) -> int | None:
    """Return the index of ``strike`` in the sorted strike column, or None if it is not listed."""
    index = int(np.searchsorted(strikes, strike - _STRIKE_TOLERANCE))
    if index < strikes.size and abs(float(strikes[index]) - strike) <= _STRIKE_TOLERANCE:
        return index
    return None


def _leg(chain_slice: ChainSlice, right: Right, index: int, quantity: int) -> Leg:
    side = _side(chain_slice, right)
    return Leg(
        right=right,
        strike=float(chain_slice.strikes[index]),
        expiry=chain_slice.expiry,
        quantity=quantity,
        bid=float(side.bid[index]),
        ask=float(side.ask[index]),
        mid=float(side.mid[index]),
        iv=float(side.iv[index]),
        delta=float(side.delta[index]),
        gamma=float(side.gamma[index]),
        theta=float(side.theta[index]),
        vega=float(side.vega[index]),
        trading_class=chain_slice.expiration.trading_class,
    )


def leg_name(leg: Leg) -> str:
    """Return a leg as a trader says it: 'short 5700P', 'long 5650P'."""
    role = "short" if leg.quantity < 0 else "long"
    return f"{role} {leg.strike:g}{'C' if leg.right is Right.CALL else 'P'}"


def quote_problem(leg: Leg, max_bid_ask_pct: float) -> str | None:
    """Return what makes a leg untradeable (no quote, no Greeks, too wide), or None if it is fine."""
    bid, ask, mid = leg.bid, leg.ask, leg.mid
    if not (math.isfinite(bid) and math.isfinite(ask) and 0.0 <= bid <= ask and ask > 0.0):
        return f"{leg_name(leg)} has no valid quote (bid {bid}, ask {ask})"
    if not (math.isfinite(mid) and mid > 0.0):
        return f"{leg_name(leg)} has no valid mid ({mid})"
    greeks = (leg.iv, leg.delta, leg.gamma, leg.theta, leg.vega)
    if not all(math.isfinite(value) for value in greeks):
        return f"{leg_name(leg)} has no IV/Greeks"
    width_pct = (ask - bid) / mid * 100.0
    if width_pct >= max_bid_ask_pct:
        return (
            f"{leg_name(leg)} bid/ask {bid:.2f}/{ask:.2f} is {width_pct:.1f}% of its mid {mid:.2f}"
            f" (must be < {max_bid_ask_pct:g}%)"
        )
    return None


def _no_spread(problem: str) -> NoSpread:
    return NoSpread(f"{NO_STRIKES}: {problem}")


def _short_leg(chain_slice: ChainSlice, right: Right, delta: float, quantity: int = -1) -> Leg | NoSpread:
    index = strike_nearest_delta(chain_slice, right, delta)
    if index is None:
        return _no_spread(f"no {right.name.lower()} has a delta in the {chain_slice.expiry} chain")
    return _leg(chain_slice, right, index, quantity)


def _leg_at(chain_slice: ChainSlice, right: Right, strike: float, quantity: int, role: str) -> Leg | NoSpread:
    index = listed_strike(chain_slice.strikes, strike)
    if index is None:
        return _no_spread(f"{role} strike {strike:g} not listed")
    return _leg(chain_slice, right, index, quantity)


def _tradeable(legs: Sequence[Leg | NoSpread], max_bid_ask_pct: float) -> tuple[Leg, ...] | NoSpread:
    """Return the legs if all are listed and tradeable, else the first problem in the order given."""
    found = tuple(leg for leg in legs if isinstance(leg, Leg))
    if len(found) < len(legs):
        return next(leg for leg in legs if isinstance(leg, NoSpread))
    problems = (quote_problem(leg, max_bid_ask_pct) for leg in found)
    problem = next((p for p in problems if p is not None), None)
    return found if problem is None else _no_spread(problem)


# ----------------------------------------------------------------------------- assembling


@dataclass(frozen=True, slots=True)
class _Figures:
    credit_mid: float
    credit_natural: float
    max_profit: float
    max_loss: float
    breakevens: tuple[float, ...]
    pricing_legs: Legs


def _figures(legs: Sequence[Leg], t: float) -> _Figures:
    """Return credits and the expiry figures of one single-expiry structure."""
    quantity = np.array([leg.quantity for leg in legs], dtype=np.float64)
    mid = np.array([leg.mid for leg in legs])
    touch = np.array([leg.bid if leg.quantity < 0 else leg.ask for leg in legs])
    credit_mid = float(-np.sum(quantity * mid))
    credit_natural = float(-np.sum(quantity * touch))
    pricing_legs = Legs.build(
        np.array([int(leg.right) for leg in legs]),
        np.array([leg.strike for leg in legs]),
        quantity,
        max(t, 0.0),
        np.array([leg.iv for leg in legs]),
    )
    crossings = breakevens(pricing_legs, credit_mid)[0]
    return _Figures(
        credit_mid,
        credit_natural,
        float(max_profit(pricing_legs, credit_mid)[0]),
        float(max_loss(pricing_legs, credit_mid)[0]),
        tuple(float(x) for x in crossings[np.isfinite(crossings)]),
        pricing_legs,
    )


def _structure(
    kind: StructureKind, chain_slice: ChainSlice, legs: Sequence[Leg], figures: _Figures, pop: float,
    multiplier: int,
) -> Structure:
    def net(greek: str) -> float:
        return float(sum(leg.quantity * getattr(leg, greek) for leg in legs))

    return Structure(
        kind=kind,
        underlying=chain_slice.underlying,
        legs=tuple(legs),
        credit_mid=figures.credit_mid,
        credit_natural=figures.credit_natural,
        max_profit=figures.max_profit,
        max_loss=figures.max_loss,
        breakevens=figures.breakevens,
        probability_of_profit=pop,
        delta=net("delta"),
        gamma=net("gamma"),
        theta=net("theta"),
        vega=net("vega"),
        multiplier=multiplier,
    )


def _lognormal_pop(chain_slice: ChainSlice, figures: _Figures, vol: float) -> float:
    """Return P(P&L at expiry > 0) under a lognormal price with one volatility."""
    chance = prob_profit_at_expiry(
        figures.pricing_legs, figures.credit_mid, chain_slice.spot, max(chain_slice.time_to_expiry, 0.0),
        vol, chain_slice.rate, chain_slice.dividend_yield,
    )
    return float(chance[0])


def _finish_below(chain_slice: ChainSlice, level: float, vol: float) -> float:
    chance = prob_below(
        chain_slice.spot, level, max(chain_slice.time_to_expiry, 0.0), vol, chain_slice.rate,
        chain_slice.dividend_yield,
    )
    return float(chance)


def _credit_problem(figures: _Figures) -> NoSpread | None:
    if figures.credit_mid <= 0.0:
        return _no_spread(f"no credit at mid ({figures.credit_mid:.2f})")
    return None


# ----------------------------------------------------------------------------- verticals


def _vertical(
    chain_slice: ChainSlice, right: Right, short_delta: float, width: float, max_bid_ask_pct: float,
    multiplier: int,
) -> Structure | NoSpread:
    short = _short_leg(chain_slice, right, short_delta)
    if isinstance(short, NoSpread):
        return short
    # the long leg sits further out of the money: below a short put, above a short call
    long_strike = short.strike - width if right is Right.PUT else short.strike + width
    long = _leg_at(chain_slice, right, long_strike, +1, "long")
    legs = _tradeable([short, long], max_bid_ask_pct)
    if isinstance(legs, NoSpread):
        return legs
    figures = _figures(legs, chain_slice.time_to_expiry)
    problem = _credit_problem(figures)
    if problem is not None:
        return problem
    kind = StructureKind.PUT_CREDIT_SPREAD if right is Right.PUT else StructureKind.CALL_CREDIT_SPREAD
    pop = _lognormal_pop(chain_slice, figures, short.iv)
    return _structure(kind, chain_slice, legs, figures, pop, multiplier)


def _adjusted_delta(params: UnderlyingParams, vix: float | None) -> float | NoSpread:
    try:
        return target_short_delta(params, vix)
    except InputError as exc:
        return _no_spread(str(exc))


def build_put_credit_spread(
    chain_slice: ChainSlice, params: UnderlyingParams, vix: float | None = None
) -> Structure | NoSpread:
    """Build 002's bull put spread: short the put nearest the target delta, long ``spread_width`` below.

    The target delta is `target_short_delta` (VIX-adjusted when the parameters say so).
    """
    delta = _adjusted_delta(params, vix)
    if isinstance(delta, NoSpread):
        return delta
    return _vertical(
        chain_slice, Right.PUT, delta, params.spread_width, params.max_bid_ask_pct_of_premium,
        params.multiplier,
    )


def build_call_credit_spread(
    chain_slice: ChainSlice, params: UnderlyingParams, vix: float | None = None,
    short_delta: float | None = None,
) -> Structure | NoSpread:
    """Build a bear call spread: short the call nearest ``short_delta``, long ``spread_width`` above.

    ``short_delta`` defaults to the mirror of the put target (+0.16 for -0.16, VIX-adjusted
    when the parameters say so); a negative value is taken as its mirror too.
    """
    if short_delta is None:
        mirrored = _adjusted_delta(params, vix)
        if isinstance(mirrored, NoSpread):
            return mirrored
        short_delta = -mirrored
    return _vertical(
        chain_slice, Right.CALL, abs(short_delta), params.spread_width, params.max_bid_ask_pct_of_premium,
        params.multiplier,
    )


# ----------------------------------------------------------------------------- iron condor


def build_iron_condor(
    chain_slice: ChainSlice, put_delta: float = -0.16, call_delta: float = 0.16, width: float = 50.0,
    *, call_width: float | None = None, max_bid_ask_pct: float = DEFAULT_MAX_BID_ASK_PCT,
    multiplier: int = 100,
) -> Structure | NoSpread:
    """Build an iron condor: a put credit spread plus a call credit spread on one expiry.

    Short put nearest ``put_delta``, long put ``width`` below; short call nearest
    ``call_delta``, long call ``call_width`` (default ``width``) above. Max loss is the wider
    side's width minus the credit (only one side can lose at expiry). POP uses the short
    put's IV for the downside tail and the short call's IV for the upside tail.
    """
    short_put = _short_leg(chain_slice, Right.PUT, -abs(put_delta))
    short_call = _short_leg(chain_slice, Right.CALL, abs(call_delta))
    if isinstance(short_put, NoSpread):
        return short_put
    if isinstance(short_call, NoSpread):
        return short_call
    if short_put.strike >= short_call.strike:
        return _no_spread(f"short put {short_put.strike:g} is not below short call {short_call.strike:g}")
    upper_width = width if call_width is None else call_width
    long_put = _leg_at(chain_slice, Right.PUT, short_put.strike - width, +1, "long put")
    long_call = _leg_at(chain_slice, Right.CALL, short_call.strike + upper_width, +1, "long call")
    legs = _tradeable([long_put, short_put, short_call, long_call], max_bid_ask_pct)
    if isinstance(legs, NoSpread):
        return legs
    figures = _figures(legs, chain_slice.time_to_expiry)
    problem = _credit_problem(figures)
    if problem is not None:
        return problem
    pop = _iron_condor_pop(chain_slice, figures, short_put.iv, short_call.iv)
    return _structure(StructureKind.IRON_CONDOR, chain_slice, legs, figures, pop, multiplier)


def _iron_condor_pop(chain_slice: ChainSlice, figures: _Figures, put_iv: float, call_iv: float) -> float:
    """Return P(lower breakeven < S_T < upper breakeven), each tail at its own side's IV."""
    if len(figures.breakevens) != 2:  # a credit wider than a wing: no two-sided profit zone
        return _lognormal_pop(chain_slice, figures, 0.5 * (put_iv + call_iv))
    lower, upper = figures.breakevens
    pop = _finish_below(chain_slice, upper, call_iv) - _finish_below(chain_slice, lower, put_iv)
    return min(max(pop, 0.0), 1.0)


# ----------------------------------------------------------------------------- broken-wing butterfly


def build_broken_wing_butterfly(
    chain_slice: ChainSlice, short_delta: float = -0.20, near_width: float = 50.0, far_width: float = 100.0,
    *, right: Right = Right.PUT, max_bid_ask_pct: float = DEFAULT_MAX_BID_ASK_PCT, multiplier: int = 100,
) -> Structure | NoSpread:
    """Build a broken-wing butterfly: long 1 near wing, short 2 at the body, long 1 far wing.

    The body is the strike nearest ``short_delta`` (a put delta for a put BWB, a call delta
    for a call BWB; the sign is taken from ``right``). The near wing is ``near_width`` toward
    the money, the far wing ``far_width`` away from it. Put BWB (the default, 004's core):
    long 1 put at body + near_width, short 2 at the body, long 1 put at body - far_width;
    with the lower wing wider, the risk sits below (max loss = far - near - credit) and
    nothing is at risk above when opened for a credit. A debit shows as a negative credit.
    """
    if near_width <= 0 or far_width <= 0:
        raise InputError("wing widths", (near_width, far_width), "must both be > 0 points")
    target = -abs(short_delta) if right is Right.PUT else abs(short_delta)
    body = _short_leg(chain_slice, right, target, quantity=-2)
    if isinstance(body, NoSpread):
        return body
    toward_money = +1.0 if right is Right.PUT else -1.0
    near = _leg_at(chain_slice, right, body.strike + toward_money * near_width, +1, "near wing")
    far = _leg_at(chain_slice, right, body.strike - toward_money * far_width, +1, "far wing")
    ready = _tradeable([body, near, far], max_bid_ask_pct)
    if isinstance(ready, NoSpread):
        return ready
    legs = tuple(sorted(ready, key=lambda leg: leg.strike))
    figures = _figures(legs, chain_slice.time_to_expiry)
    pop = _lognormal_pop(chain_slice, figures, body.iv)
    return _structure(StructureKind.BROKEN_WING_BUTTERFLY, chain_slice, legs, figures, pop, multiplier)


# ----------------------------------------------------------------------------- re-quoting


def requote(structure: Structure, chain_slice: ChainSlice) -> Structure | NoSpread:
    """Return the same legs quoted on `chain_slice`: the approval's re-check on current prices.

    The slice must hold every leg's strike (a slice limited to those strikes is enough). Bid/ask
    quality is not judged here: the trader already chose the trade; the risk manager and the
    limit price decide. POP uses the lognormal model with the short legs' mean IV.
    """
    legs = _tradeable(
        [_leg_at(chain_slice, leg.right, leg.strike, leg.quantity, "leg") for leg in structure.legs],
        math.inf,
    )
    if isinstance(legs, NoSpread):
        return legs
    figures = _figures(legs, chain_slice.time_to_expiry)
    shorts = [leg.iv for leg in legs if leg.quantity < 0 and math.isfinite(leg.iv)]
    vol = float(np.mean(shorts)) if shorts else math.nan
    pop = _lognormal_pop(chain_slice, figures, vol) if math.isfinite(vol) else math.nan
    return _structure(structure.kind, chain_slice, legs, figures, pop, structure.multiplier)
