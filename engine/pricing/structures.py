"""Multi-leg option structures on arrays: prices, Greeks, payoff, P&L curves, max profit/loss.

A ``Legs`` value holds a batch of structures of one shape: arrays of ``(n_structures, n_legs)``
(one structure is ``n_structures == 1``). All figures are per one structure unit (one contract of
each leg times its quantity), with no contract multiplier; multiply by 100 for SPX yourself.

Sign conventions:

* ``quantity`` is signed: + long, - short; ratios are allowed (2 for a butterfly body).
* ``net_credit`` > 0 means the structure is opened for a credit (money received). It is
  ``-sum(quantity * leg price)``.
* P&L = value of the legs + net_credit, so a credit spread's P&L at expiry is its credit when
  everything expires worthless.
* ``max_profit`` is the largest P&L, ``max_loss`` the largest amount that can be lost (a
  positive number, ``-min P&L``); either is ``inf`` when unbounded.

Single-expiry structures get exact max profit/loss and breakevens from the piecewise-linear
expiry payoff (kinks at the strikes, linear beyond them). Structures with several expiries
(calendars) are evaluated at the front expiry on a price grid instead, see ``calendar_profile``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import InputError
from engine.pricing.inputs import FloatArray
from engine.pricing.kernels import Greeks, bsm_greeks, bsm_price

CALL = 1
PUT = -1


@dataclass(frozen=True, slots=True)
class Legs:
    """A batch of structures: arrays of shape (n_structures, n_legs).

    ``right`` +1 call / -1 put (int8); ``strike``; signed ``quantity``; ``expiry`` in years from
    now for each leg; ``vol`` the leg's volatility (used wherever a leg is valued by BSM).
    """

    right: np.ndarray
    strike: FloatArray
    quantity: FloatArray
    expiry: FloatArray
    vol: FloatArray

    @staticmethod
    def build(
        right: object, strike: object, quantity: object, expiry: object, vol: object
    ) -> Legs:
        """Return Legs from per-leg values; the last axis is the leg, the rest broadcast."""
        floats = (np.asarray(v, dtype=np.float64) for v in (strike, quantity, expiry, vol))
        arrays = [np.atleast_2d(a) for a in np.broadcast_arrays(np.asarray(right), *floats)]
        rights = arrays[0].astype(np.int8)
        strike_, quantity_, expiry_, vol_ = (np.ascontiguousarray(a) for a in arrays[1:])
        _check_legs(
            [
                ("right", arrays[0], np.abs(arrays[0]) == 1, "must be +1 (call) or -1 (put)"),
                ("strike", strike_, (strike_ > 0) & np.isfinite(strike_), "must be > 0"),
                ("quantity", quantity_, np.isfinite(quantity_), "must be finite"),
                ("expiry", expiry_, np.isfinite(expiry_), "must be finite (years)"),
                ("vol", vol_, (vol_ >= 0) & np.isfinite(vol_), "must be >= 0 and finite"),
            ]
        )
        return Legs(rights, strike_, quantity_, expiry_, vol_)

    @property
    def single_expiry(self) -> np.ndarray:
        """Return, per structure, whether all legs expire together."""
        return np.asarray(np.all(self.expiry == self.expiry[:, :1], axis=1), dtype=bool)


def _check_legs(rules: list[tuple[str, np.ndarray, np.ndarray, str]]) -> None:
    """Raise InputError at the first leg value that breaks its rule ((structure, leg) index)."""
    for name, values, ok, allowed in rules:
        bad = np.argwhere(~ok)
        if bad.size:
            where = tuple(int(i) for i in bad[0])
            raise InputError(name, values[where].item(), allowed, f"(structure, leg) {where}")


def _stack(*columns: object) -> np.ndarray:
    """Return per-leg values stacked on a last axis after broadcasting the columns."""
    return np.stack(np.broadcast_arrays(*(np.asarray(c, dtype=np.float64) for c in columns)), -1)


def vertical(
    right: int, short_strike: object, long_strike: object, t: object, vol: object,
    quantity: object = 1.0,
) -> Legs:
    """Return a vertical spread: short ``short_strike``, long ``long_strike``, same expiry.

    A put credit spread has short_strike > long_strike; a call credit spread the reverse.
    ``vol`` may be one value (per structure) or a (short, long) pair on the last axis.
    """
    strikes = _stack(short_strike, long_strike)
    sizes = _stack(-np.asarray(quantity, dtype=np.float64), quantity)
    return Legs.build(right, strikes, sizes, np.asarray(t)[..., None], _leg_vol(vol, 2))


def iron_condor(
    put_long: object, put_short: object, call_short: object, call_long: object, t: object,
    vol: object, quantity: object = 1.0,
) -> Legs:
    """Return an iron condor: a put credit spread plus a call credit spread, one expiry.

    Legs in strike order: long put, short put, short call, long call.
    """
    strikes = _stack(put_long, put_short, call_short, call_long)
    q = np.asarray(quantity, dtype=np.float64)
    sizes = _stack(q, -q, -q, q)
    rights = np.array([PUT, PUT, CALL, CALL], dtype=np.int8)
    return Legs.build(rights, strikes, sizes, np.asarray(t)[..., None], _leg_vol(vol, 4))


def broken_wing_butterfly(
    right: int, lower: object, middle: object, upper: object, t: object, vol: object,
    quantity: object = 1.0,
) -> Legs:
    """Return a butterfly: long 1 ``lower``, short 2 ``middle``, long 1 ``upper`` (one expiry).

    Wings of unequal width make it "broken"; a put BWB with the wider wing below is usually
    opened for a credit. A negative quantity sells the whole structure.
    """
    strikes = _stack(lower, middle, upper)
    q = np.asarray(quantity, dtype=np.float64)
    sizes = _stack(q, -2.0 * q, q)
    return Legs.build(right, strikes, sizes, np.asarray(t)[..., None], _leg_vol(vol, 3))


def calendar(
    right: int, strike: object, front_t: object, back_t: object, front_vol: object,
    back_vol: object, quantity: object = 1.0,
) -> Legs:
    """Return a calendar: short the front expiry, long the back expiry, same strike."""
    q = np.asarray(quantity, dtype=np.float64)
    return Legs.build(
        right, _stack(strike, strike), _stack(-q, q), _stack(front_t, back_t),
        _stack(front_vol, back_vol),
    )


def _leg_vol(vol: object, n_legs: int) -> np.ndarray:
    values = np.asarray(vol, dtype=np.float64)
    if values.ndim and values.shape[-1] == n_legs:
        return values
    return values[..., None]


# ------------------------------------------------------------------------ model value and Greeks


def _leg_axis(values: object, legs: Legs) -> np.ndarray:
    """Return market inputs shaped to broadcast against (n_structures, n_legs)."""
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(array.shape + (1,) * (2 - array.ndim)) if array.ndim < 2 else array


def net_greeks(legs: Legs, spot: object, rate: object, div_yield: object) -> Greeks:
    """Return the structure's value and Greeks now: sum of quantity x leg figure, per structure.

    ``price`` here is the position value (negative for a credit structure, = -net_credit).
    ``spot``, ``rate`` and ``div_yield`` are scalars or one per structure.
    """
    per_leg = bsm_greeks(
        legs.right, _leg_axis(spot, legs), legs.strike, legs.expiry, _leg_axis(rate, legs),
        _leg_axis(div_yield, legs), legs.vol,
    )
    return Greeks(*(np.sum(legs.quantity * g, axis=-1) for g in per_leg))


def net_credit(legs: Legs, spot: object, rate: object, div_yield: object) -> FloatArray:
    """Return the model net credit per structure (> 0: opened for a credit)."""
    price = bsm_price(
        legs.right, _leg_axis(spot, legs), legs.strike, legs.expiry, _leg_axis(rate, legs),
        _leg_axis(div_yield, legs), legs.vol,
    )
    return np.asarray(-np.sum(legs.quantity * price, axis=-1))


# ------------------------------------------------------------------------------ expiry payoff


def _intrinsic(right: np.ndarray, strike: np.ndarray, price: np.ndarray) -> np.ndarray:
    value: np.ndarray = np.maximum(right * (price - strike), 0.0)
    return value


def expiry_payoff(legs: Legs, prices: object) -> FloatArray:
    """Return the legs' value at expiry over a price grid: shape (n_structures, n_prices).

    Every leg is taken at intrinsic value, so this is the expiry payoff of single-expiry
    structures (without the credit; see ``expiry_pnl``).
    """
    grid = np.asarray(prices, dtype=np.float64).reshape(1, 1, -1)
    value = _intrinsic(legs.right[..., None], legs.strike[..., None], grid)
    return np.asarray(np.sum(legs.quantity[..., None] * value, axis=1))


def expiry_pnl(legs: Legs, prices: object, credit: object) -> FloatArray:
    """Return P&L at expiry over a price grid: payoff + net credit, (n_structures, n_prices)."""
    return expiry_payoff(legs, prices) + np.asarray(credit, dtype=np.float64).reshape(-1, 1)


def _knots(legs: Legs) -> np.ndarray:
    """Return 0 and the sorted strikes of each structure: (n_structures, n_legs + 1)."""
    zeros = np.zeros((legs.strike.shape[0], 1))
    return np.concatenate([zeros, np.sort(legs.strike, axis=1)], axis=1)


def _pnl_at_knots(legs: Legs, credit: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (knots, P&L at knots, slope beyond the last strike) of single-expiry structures."""
    knots = _knots(legs)
    value = _intrinsic(legs.right[:, :, None], legs.strike[:, :, None], knots[:, None, :])
    pnl = np.sum(legs.quantity[:, :, None] * value, axis=1)
    pnl = pnl + np.asarray(credit, dtype=np.float64).reshape(-1, 1)
    tail_slope = np.sum(np.where(legs.right == CALL, legs.quantity, 0.0), axis=1)
    return knots, pnl, tail_slope


def _require_single_expiry(legs: Legs, what: str) -> None:
    if not np.all(legs.single_expiry):
        bad = int(np.flatnonzero(~legs.single_expiry)[0])
        raise InputError(
            "legs", "several expiries", f"{what} needs one expiry; use calendar_profile",
            f"structure {bad}",
        )


def max_profit(legs: Legs, credit: object) -> FloatArray:
    """Return the largest P&L at expiry per structure (inf if unbounded); single expiry only."""
    _require_single_expiry(legs, "max_profit")
    _, pnl, tail_slope = _pnl_at_knots(legs, credit)
    return np.where(tail_slope > 0.0, np.inf, np.max(pnl, axis=1))


def max_loss(legs: Legs, credit: object) -> FloatArray:
    """Return the largest loss at expiry per structure as a positive amount (inf if unbounded)."""
    _require_single_expiry(legs, "max_loss")
    _, pnl, tail_slope = _pnl_at_knots(legs, credit)
    return np.where(tail_slope < 0.0, np.inf, -np.min(pnl, axis=1))


def breakevens(legs: Legs, credit: object) -> FloatArray:
    """Return the expiry prices where P&L crosses zero: (n_structures, n_legs + 1), NaN-padded.

    Exact: the expiry P&L is linear between strikes. A flat stretch at exactly zero reports its
    left end. Single expiry only (calendars: ``calendar_profile``).
    """
    _require_single_expiry(legs, "breakevens")
    knots, pnl, tail_slope = _pnl_at_knots(legs, credit)
    left, right = pnl[:, :-1], pnl[:, 1:]
    x0, x1 = knots[:, :-1], knots[:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = np.where(left * right < 0.0, x0 - left * (x1 - x0) / (right - left), np.nan)
        tail = knots[:, -1] - pnl[:, -1] / tail_slope
    tail_ok = (pnl[:, -1] * tail_slope < 0.0)[:, None]
    previous = np.concatenate([np.full((pnl.shape[0], 1), np.nan), pnl[:, :-1]], axis=1)
    at_knot = np.where((pnl == 0.0) & (previous != 0.0), knots, np.nan)
    found = np.concatenate([crossing, at_knot, np.where(tail_ok, tail[:, None], np.nan)], 1)
    found = np.sort(found, axis=1)  # NaN sorts last
    width = legs.strike.shape[1] + 1
    return np.asarray(found[:, :width])


# ------------------------------------------------------------------------- P&L before expiry


def pnl_at(
    legs: Legs, prices: object, elapsed: float, rate: object, div_yield: object, credit: object
) -> FloatArray:
    """Return theoretical P&L after ``elapsed`` years over a price grid: (n_structures, n_prices).

    Each leg's time left is its expiry minus ``elapsed``; legs still alive are valued by BSM with
    their own vol, legs expired by then at intrinsic. At the last expiry this is the expiry P&L.
    """
    grid = np.asarray(prices, dtype=np.float64).reshape(1, 1, -1)
    left = (legs.expiry - elapsed)[..., None]
    alive = left > 0.0
    model = bsm_price(
        legs.right[..., None], grid, legs.strike[..., None], np.where(alive, left, 1.0),
        _leg_axis(rate, legs)[..., None], _leg_axis(div_yield, legs)[..., None],
        legs.vol[..., None],
    )
    value = np.where(alive, model, _intrinsic(legs.right[..., None], legs.strike[..., None], grid))
    total = np.sum(legs.quantity[..., None] * value, axis=1)
    return np.asarray(total + np.asarray(credit, dtype=np.float64).reshape(-1, 1))


@dataclass(frozen=True, slots=True)
class CalendarProfile:
    """P&L of multi-expiry structures at the front expiry, found on a price grid.

    ``grid`` (n_prices,), ``pnl`` (n_structures, n_prices), ``max_profit`` and ``max_loss``
    over the grid (not the whole half-line), ``breakevens`` (n_structures, k), NaN-padded.
    """

    grid: FloatArray
    pnl: FloatArray
    max_profit: FloatArray
    max_loss: FloatArray
    breakevens: FloatArray


def calendar_profile(
    legs: Legs, spot: float, rate: float, div_yield: float, credit: object,
    grid_points: int = 4001, width: float = 6.0,
) -> CalendarProfile:
    """Return the P&L at the front expiry of (calendar-like) structures, evaluated numerically.

    Legs expiring at the front expiry are at intrinsic; later legs are valued by BSM with their
    own vol and the time they have left. The P&L is computed on a log-spaced grid of
    ``grid_points`` prices covering ``width`` standard deviations of the longest leg around
    ``spot``; breakevens are where it changes sign, refined by linear interpolation between
    grid points (error ~ (grid step)^2 x curvature). Max profit/loss are the extremes on the grid.
    """
    front = float(np.min(legs.expiry))
    spread = width * float(np.max(legs.vol * np.sqrt(legs.expiry)))
    grid = spot * np.exp(np.linspace(-spread, spread, grid_points))
    pnl = pnl_at(legs, grid, front, rate, div_yield, credit)
    left, right = pnl[:, :-1], pnl[:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = grid[:-1] - left * (grid[1:] - grid[:-1]) / (right - left)
    sign_change = (left * right < 0.0) | ((left == 0.0) & (right != 0.0))
    found = np.sort(np.where(sign_change, cross, np.nan), axis=1)
    count = max(int(np.max(np.sum(sign_change, axis=1), initial=0)), 1)
    return CalendarProfile(
        grid, pnl, np.max(pnl, axis=1), -np.min(pnl, axis=1), found[:, :count]
    )
