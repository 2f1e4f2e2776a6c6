"""Implied volatility of one option in normalised Black form (numba, scalar).

Everything is reduced to one problem: an out-of-the-money call on the forward, normalised by
sqrt(F K) times the discount factor, with log-moneyness ``x = ln(F/K) <= 0`` and total volatility
``s = sigma * sqrt(T)``::

    b(x, s) = e^{x/2} N(h + t) - e^{-x/2} N(h - t),   h = x / s,  t = s / 2,   0 < b < e^{x/2}

In-the-money prices are moved out of the money with put-call parity in price space (where the
subtraction is exact for prices within a factor 2), and puts become calls by the symmetry
``x -> -x``. The two tails of ``b`` are written with the Mills ratio ``R`` (see ``special``) so
that they keep full relative accuracy however small they get:

    b(s)         = b'(s) * D,   D = R(-h - t) - R(t - h)      (exact for any s)
    b_max - b(s) = b'(s) * E,   E = R(h + t) + R(t - h)       (no cancellation when h + t >= 0)
    b'(s)        = exp(-(h^2 + t^2) / 2) / sqrt(2 pi)         (the normalised vega)

The root is found with Householder's third-order method on ``ln b - ln beta`` when the target
is in the lower half of its range and on ``ln(b_max - beta) - ln(b_max - b)`` in the upper half,
so the objective is smooth and nearly linear where ``b`` itself is exponentially flat. The
iterates stay inside a bracket that shrinks each step; a step that leaves it is replaced by
bisection, so convergence does not depend on the starting point. The starting point comes from
the inflection point ``s_c = sqrt(2|x|)``: the tangent there above it (a lower bound, ``b`` being
concave), an asymptotic inversion of ``ln b ~ -x^2 / (2 s^2)`` below it, and the tail
approximation ``b_max - b ~ 2 cosh(x/2) N(-s/2)`` near the upper bound. The ideas follow
P. Jaeckel, "Let's be rational" (2015); the code, guesses and expansions are our own.
"""

from __future__ import annotations

import math

import numpy as np

from engine.pricing.special import inline_jit, mills, ncdf, norm_ppf_rough_log, scalar_jit

_LN_SQRT_2PI = 0.9189385332046728
_SQRT_PI_OVER_2 = 1.2533141373155003  # R(0)
_EPS = 2.220446049250313e-16
_INF = math.inf
# D is summed as a Taylor series in t when t (1 + z) = t + |x|/2 is below this: there the plain
# difference of two Mills ratios would cancel (relative error ~ eps / (t (1 + z)) in s, so at most
# ~5 eps here); 6 terms reach 1e-17 at t = 0.1.
_SERIES_LIMIT = 0.1
_SERIES_TERMS = 6
_INV_ODD_FACTORIALS = tuple(1.0 / math.factorial(2 * k + 1) for k in range(_SERIES_TERMS))
_MAX_ITER = 60
# Stop when a step is this small relative to s: the last (applied) third-order step then leaves
# an error far below it.
_STEP_TOL = 1e-13
_FINAL_STEP = 1e-4

OK = 0
NO_PRICE = 1
BELOW_INTRINSIC = 2
ABOVE_UPPER_BOUND = 3
EXPIRED = 4
NOT_CONVERGED = 5


@inline_jit
def _d_series(z: float, t: float) -> float:
    """Return R(z - t) - R(z + t) by its Taylor series in t (for t (1 + z) < 0.1).

    D = 2 sum_k t^(2k+1) / (2k+1)! * M_(2k+1)(z), with M_n(z) = (-1)^n R^(n)(z) from the
    recurrence M_(n+1) = n M_(n-1) - z M_n, M_0 = R(z), M_1 = 1 - z R(z).
    """
    m_prev = mills(z)
    m_cur = 1.0 - z * m_prev
    t2 = t * t
    power = t
    total = 0.0
    for k in range(_SERIES_TERMS):
        n = 2 * k + 1
        term = power * _INV_ODD_FACTORIALS[k] * m_cur
        total += term
        if abs(term) <= 1e-17 * total:
            break
        # advance two steps of the recurrence: M_n -> M_(n+1) -> M_(n+2)
        m_next = n * m_prev - z * m_cur
        m_prev = m_cur
        m_cur = (n + 1) * m_prev - z * m_next
        m_prev = m_next
        power *= t2
    return 2.0 * total


@inline_jit
def _householder_step(
    f: float, fprime: float, lam: float, h: float, s: float
) -> tuple[float, bool]:
    """Return (step, third_order) for an objective f = +-ln(g) with (ln g)' = lam.

    g is b or b_max - b. Both share g''/g' = b''/b' and g'''/g' = b'''/b', known in closed form,
    so the ratios f''/f' and f'''/f' need no further special functions.
    """
    h2s = h * h / s
    rho2 = h2s - 0.25 * s  # b''/b' = x^2/s^3 - s/4
    rho3 = rho2 * rho2 - 3.0 * h2s / s - 0.25  # b'''/b'
    ratio2 = rho2 - lam
    ratio3 = rho3 - 3.0 * lam * rho2 + 2.0 * lam * lam
    nu = -f / fprime
    den = 1.0 + nu * (ratio2 + ratio3 * nu / 6.0)
    step = nu * (1.0 + 0.5 * ratio2 * nu) / den
    # Far from the root the higher-order terms can point the wrong way; Newton is safer there.
    third_order = den > 0.0 and step * nu > 0.0
    return (step if third_order else nu), third_order


@inline_jit
def _lower_objective(x: float, s: float, ln_beta: float) -> tuple[float, float, float]:
    """Return (f, f', lam) for f = ln b(s) - ln beta, where lam = b'/b."""
    h = x / s
    t = 0.5 * s
    ln_vega = -0.5 * (h * h + t * t) - _LN_SQRT_2PI
    series = t * (1.0 - h) < _SERIES_LIMIT
    if series or h + t <= 0.0:
        d = _d_series(-h, t) if series else mills(-h - t) - mills(t - h)
        lam = 1.0 / d
        f = ln_vega + math.log(d) - ln_beta
    else:
        # above the inflection point and t > 0.09: b >= ~0.07 b_max, no harmful cancellation
        half = 0.5 * x
        b = math.exp(half) * ncdf(h + t) - math.exp(-half) * ncdf(h - t)
        lam = math.exp(ln_vega) / b
        f = math.log(b) - ln_beta
    return f, lam, lam


@inline_jit
def _upper_objective(x: float, s: float, ln_cstar: float) -> tuple[float, float, float]:
    """Return (f, f', lam) for f = ln(b_max - beta) - ln(b_max - b(s)), lam = ln(b_max - b)'."""
    h = x / s
    t = 0.5 * s
    ln_vega = -0.5 * (h * h + t * t) - _LN_SQRT_2PI
    if h + t >= 0.0:
        e = mills(h + t) + mills(t - h)
        lam = -1.0 / e
        f = ln_cstar - ln_vega - math.log(e)
    else:
        half = 0.5 * x
        c = math.exp(half) * ncdf(-(h + t)) + math.exp(-half) * ncdf(h - t)
        lam = -math.exp(ln_vega) / c
        f = ln_cstar - math.log(c)
    return f, -lam, lam


@inline_jit
def _low_guess(x: float, s_c: float, d_c: float, drop: float) -> float:
    """Return a guess for s < s_c where ln b is ``drop`` below its value at s_c.

    Model ln b(s) = ln b_c - x^2/2 (u - u_c) - kappa/2 ln(u / u_c) with u = 1/s^2: the x^2 term
    is exact as s -> 0 and kappa makes the slope at s_c exact ((ln b)' = 1/D). In v = ln(u/u_c)
    the model is convex and increasing, so Newton from the smaller of the two one-term roots
    (which lies above the root) approaches it from above without overshooting.
    """
    a = -0.25 * x  # x^2/2 * u_c
    kappa = s_c / d_c + 0.5 * x
    kappa = kappa if kappa > 0.0 else 0.0
    v = math.log(1.0 + drop / a)
    if kappa * v > 2.0 * drop:
        v = 2.0 * drop / kappa
    for _ in range(2):
        grow = math.exp(v)
        v -= (a * (grow - 1.0) + 0.5 * kappa * v - drop) / (a * grow + 0.5 * kappa)
    return s_c * math.exp(-0.5 * v)


@scalar_jit
def _start(
    x: float, ln_beta: float, ln_cstar: float, use_lower: bool
) -> tuple[float, float, float]:
    """Return (initial s, lower bracket, upper bracket) for the normalised problem."""
    s_c = np.sqrt(-2.0 * x)
    ln_vega_c = 0.5 * x - _LN_SQRT_2PI  # at s_c: h = -t, h^2 + t^2 = |x|
    d_c = _SQRT_PI_OVER_2 - mills(s_c)
    ln_b_c = ln_vega_c + math.log(d_c)  # -inf when x == 0
    if ln_beta < ln_b_c:
        # Below the inflection point b is convex with b(0) = 0, so the chord to s_c gives a
        # lower bound; far below, ln b ~ ln b_c - x^2/2 (1/s^2 - 1/s_c^2) is the better guess.
        chord = s_c * math.exp(ln_beta - ln_b_c)
        asymptotic = _low_guess(x, s_c, d_c, ln_b_c - ln_beta)
        return (asymptotic if asymptotic > chord else chord), chord, s_c
    # above it, b is concave: the tangent at s_c reaches beta at a lower bound of the root
    tangent = s_c + math.exp(ln_beta - ln_vega_c) - d_c
    guess = tangent if tangent > s_c else s_c
    if not use_lower:
        # near the upper bound b_max - b ~ 2 cosh(x/2) N(-s/2)
        ln_cosh2 = math.log(math.exp(0.5 * x) + math.exp(-0.5 * x))
        tail = -2.0 * norm_ppf_rough_log(ln_cstar - ln_cosh2)
        guess = tail if tail > guess else guess
    return guess, s_c, _INF


@scalar_jit
def solve_normalised(
    x: float, ln_beta: float, ln_cstar: float, use_lower: bool
) -> tuple[float, int, bool]:
    """Return (s, iterations, converged): the total volatility with b(x, s) = beta, for x <= 0.

    ``ln_beta`` is the log of the normalised out-of-the-money price and ``ln_cstar`` the log of
    its distance to the upper bound ``e^{x/2}``; both come from price space, so neither loses
    precision when the other is close to the bound. ``use_lower`` (beta <= b_max / 2) picks the
    objective; ``ln_cstar`` is only read when it is False.
    """
    s, lo, hi = _start(x, ln_beta, ln_cstar, use_lower)
    for iteration in range(1, _MAX_ITER + 1):
        if use_lower:
            f, fprime, lam = _lower_objective(x, s, ln_beta)
        else:
            f, fprime, lam = _upper_objective(x, s, ln_cstar)
        if f == 0.0:
            return s, iteration, True
        if f > 0.0:
            hi = s if s < hi else hi
        else:
            lo = s if s > lo else lo
        step, third_order = _householder_step(f, fprime, lam, x / s, s)
        size = abs(step)
        nxt = s + step
        inside = nxt > lo and nxt < hi  # also false for NaN
        # A fourth-order step this small leaves an error of order (1e-6)^4 s: no need to check.
        if size <= _STEP_TOL * s or (third_order and inside and size <= _FINAL_STEP * s):
            return nxt, iteration, True
        if not inside:
            nxt = 0.5 * (lo + hi) if hi < _INF else 2.0 * (s if s > lo else lo)
        if hi - lo <= 4.0 * _EPS * lo:  # (false while hi is still inf)
            return nxt, iteration, True
        s = nxt
    return s, _MAX_ITER, False


@inline_jit
def _log_ratio(numerator: float, denominator: float) -> float:
    """Return ln(numerator / denominator), one log unless the quotient could be subnormal."""
    if numerator > 1e-290 * denominator:
        return math.log(numerator / denominator)
    return math.log(numerator) - math.log(denominator)


@scalar_jit
def implied_total_vol(
    is_call: bool, price: float, fwd_pv: float, strike_pv: float
) -> tuple[float, int]:
    """Return (s, reason) for one option given discounted forward and strike.

    ``fwd_pv`` is F e^{-rT} (= S e^{-qT} under BSM), ``strike_pv`` is K e^{-rT}. The bounds are
    checked in price space: ``max(w (fwd_pv - strike_pv), 0) < price < (fwd_pv | strike_pv)``.
    """
    if not price > 0.0:
        return math.nan, NO_PRICE
    intrinsic = fwd_pv - strike_pv if is_call else strike_pv - fwd_pv
    intrinsic = intrinsic if intrinsic > 0.0 else 0.0
    upper = fwd_pv if is_call else strike_pv
    if price <= intrinsic:
        return math.nan, BELOW_INTRINSIC
    if price >= upper:
        return math.nan, ABOVE_UPPER_BOUND
    log_moneyness = math.log(fwd_pv / strike_pv)
    half = 0.5 * log_moneyness  # ln sqrt(fwd_pv * strike_pv) = ln strike_pv + half
    otm = price - intrinsic  # exact when the two are within a factor 2 (Sterbenz)
    room = upper - price
    use_lower = otm <= room
    ln_beta = _log_ratio(otm, strike_pv) - half
    ln_cstar = 0.0 if use_lower else _log_ratio(room, strike_pv) - half
    s, _, converged = solve_normalised(-abs(log_moneyness), ln_beta, ln_cstar, use_lower)
    return (s, OK) if converged else (math.nan, NOT_CONVERGED)
