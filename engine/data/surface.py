"""The volatility surface behind modelled SPX chains, built from the VIX family and SKEW.

The model, and why
------------------
1. **Term structure.** VIX9D, VIX and VIX3M are variance-swap vols at 9, 30 and 93 calendar
   days. Their total variances w = (v/100)^2 T are interpolated linearly in T (flat vol before
   the first point and after the last), with w forced non-decreasing so the surface has no
   calendar arbitrage. Before VIX3M (2009-09) and VIX9D (2011-01) exist, the curve uses what
   there is; before both, a flat VIX term structure.
2. **Smile.** In standardised moneyness x = ln(K/F) / (sigma_atm sqrt(T)), a smooth hyperbola
   s(x) = 1 - b x + k (sqrt(x^2 + D^2) - D),  k = (P + C) / 2,  b = (P - C) / 2,  D = 1,
   clipped to [0.6, 3.0]; sigma(K) = sigma_atm s(x). Far in the put wing the vol rises with
   slope P per unit of x, far in the call wing it moves with slope C = -0.02 (flat to slightly
   falling), and the two join smoothly through the money. Standardising by sigma_atm sqrt(T)
   makes the skew flatter in strike terms when vol is high or the expiry far, as observed.
3. **Skew from SKEW.** Cboe's SKEW = 100 - 10 x (risk-neutral skewness of 30-day returns). The
   put-wing slope is P = 0.34 + 0.008 (SKEW - 145), clipped to [0.12, 0.50]. Calibrated by hand
   to the usual SPX 30-day picture at SKEW ~145 and VIX ~13 (2024): 25-delta put about 1.2x
   ATM, 10-delta put about 1.55x, 25-delta call about 0.92x, ATM about 0.80x VIX. A missing
   SKEW uses 130 (about its long-run middle) and says so.
4. **ATM level.** A VIX is the fair variance of the whole smile, not the ATM vol. For each term
   point, sigma_atm is solved so that replicating a variance swap with this model's own OTM
   options (Carr-Madan, the VIX white paper's integral) gives back the observed index. So the
   modelled chain, run through Cboe's formula, reproduces the VIX it came from.

What it is not: a fit to real SPX quotes. It has no event bumps, no smile dynamics beyond what
the indices carry and no intraday shape. Everything priced off it is flagged modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.errors import InputError
from engine.model import FloatArray
from engine.pricing import black76_price

TERM_DAYS = {"vix9d": 9, "vix": 30, "vix3m": 93}
DEFAULT_SKEW = 130.0
CALL_WING_SLOPE = -0.02
SMILE_ROUNDING = 1.0  # D: how wide the turn through the money is, in units of x
SMILE_FLOOR, SMILE_CAP = 0.6, 3.0
_REPLICATION_X = np.linspace(-12.0, 8.0, 801)  # standardised strikes for the VS integral


def put_wing_slope(skew_index: float) -> float:
    """Return the far put-wing slope P for a Cboe SKEW value (see the module docstring)."""
    return float(np.clip(0.34 + 0.008 * (skew_index - 145.0), 0.12, 0.50))


def smile_factor(x: FloatArray, put_slope: float) -> FloatArray:
    """Return s(x), the vol multiple of ATM at standardised moneyness x."""
    curvature = (put_slope + CALL_WING_SLOPE) / 2.0
    tilt = (put_slope - CALL_WING_SLOPE) / 2.0
    hyperbola = np.sqrt(x * x + SMILE_ROUNDING**2) - SMILE_ROUNDING
    return np.clip(1.0 - tilt * x + curvature * hyperbola, SMILE_FLOOR, SMILE_CAP)


def _replicated_vol(atm: float, t: float, beta: float) -> float:
    """Return the variance-swap vol that this model's smile implies (forward measure)."""
    scale = atm * math.sqrt(t)
    strikes = np.exp(_REPLICATION_X * scale)  # forward = 1
    vols = atm * smile_factor(_REPLICATION_X, beta)
    is_call = strikes >= 1.0
    otm = black76_price(is_call, np.ones_like(strikes), strikes, np.full_like(strikes, t), 0.0, vols)
    integrand = otm / (strikes * strikes)
    variance = 2.0 / t * float(np.trapezoid(integrand, strikes))
    return math.sqrt(max(variance, 0.0))


def atm_from_variance_swap(vs_vol: float, t: float, beta: float) -> float:
    """Solve sigma_atm so the model smile replicates the variance-swap vol `vs_vol`.

    The replicated vol is almost proportional to sigma_atm, so one fixed-point step lands within
    ~1e-3 and secant steps finish to double precision in two or three more evaluations.
    """
    a0 = vs_vol
    f0 = _replicated_vol(a0, t, beta) - vs_vol
    a1 = vs_vol * a0 / (f0 + vs_vol)
    for _ in range(8):
        f1 = _replicated_vol(a1, t, beta) - vs_vol
        if f1 == 0.0 or f1 == f0 or abs(f1) <= 1e-15 * vs_vol:
            break
        a0, a1, f0 = a1, a1 - f1 * (a1 - a0) / (f1 - f0), f1
    return a1


@dataclass(frozen=True, slots=True)
class VolSurface:
    """A modelled implied-vol surface: ATM term structure plus a SKEW-driven smile."""

    tenors: FloatArray  # years, ascending
    total_variance_atm: FloatArray  # sigma_atm^2 T at each tenor
    beta: float  # the put-wing slope P of the smile
    skew_used: float
    skew_was_missing: bool

    def atm_vol(self, t: float) -> float:
        """Return the ATM vol at time t (years): linear in total variance, flat at the ends."""
        if t <= 0.0:
            raise InputError("time_to_expiry", t, "must be > 0 (years)")
        tenors, w = self.tenors, self.total_variance_atm
        if t <= tenors[0]:
            return math.sqrt(w[0] / tenors[0])
        if t >= tenors[-1]:
            return math.sqrt(w[-1] / tenors[-1])
        return math.sqrt(float(np.interp(t, tenors, w)) / t)

    def vols(self, strikes: FloatArray, forward: float, t: float) -> FloatArray:
        """Return the implied vols of `strikes` for one expiry (time t, forward F)."""
        atm = self.atm_vol(t)
        x = np.log(strikes / forward) / (atm * math.sqrt(t))
        return atm * smile_factor(x, self.beta)


def build_surface(vix: float, vix9d: float, vix3m: float, skew_index: float) -> VolSurface:
    """Build the surface from index levels (vol points); NaN for an index not published."""
    if not (math.isfinite(vix) and vix > 0):
        raise InputError("vix", vix, "must be a positive number: the surface needs VIX")
    skew_missing = not math.isfinite(skew_index)
    skew_used = DEFAULT_SKEW if skew_missing else skew_index
    beta = put_wing_slope(skew_used)
    points = [
        (TERM_DAYS[name] / 365.0, level)
        for name, level in (("vix9d", vix9d), ("vix", vix), ("vix3m", vix3m))
        if math.isfinite(level) and level > 0
    ]
    tenors = np.array([t for t, _ in points])
    atm = np.array([atm_from_variance_swap(level / 100.0, t, beta) for t, level in points])
    total = np.maximum.accumulate(atm * atm * tenors)  # no calendar arbitrage
    return VolSurface(tenors, total, beta, skew_used, skew_missing)
