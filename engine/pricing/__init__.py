"""Option pricing core: prices, Greeks, implied vol, multi-leg structures and probabilities.

Everything works on numpy arrays (scalars broadcast) and runs in numba kernels that release the
GIL and use both cores. Importing this package compiles nothing; the first call of each kernel
loads it from numba's disk cache (``python -m engine.pricing.warmup`` fills it) or compiles it.

Units, per option and without contract multiplier: time in years; rates, yields and vols
annualised decimals (0.05 = 5%); theta per calendar day; vega and rho per percentage point.
Rights: True / 1 / +1 = call, False / 0 / -1 = put.

Main entry points:

* ``bsm_price``, ``bsm_greeks``, ``black76_price``, ``black76_greeks`` (checked, broadcasting)
  and the ``*_into`` variants (unchecked, preallocated outputs) for hot paths;
* ``implied_vol``, ``black76_implied_vol`` -> (vol, ``IVReason`` codes);
* ``Legs`` and ``vertical``, ``iron_condor``, ``broken_wing_butterfly``, ``calendar``;
  ``net_credit``, ``net_greeks``, ``max_profit``, ``max_loss``, ``breakevens``, ``expiry_pnl``,
  ``pnl_at``, ``calendar_profile``;
* ``prob_profit_at_expiry``, ``prob_touch``, ``prob_finish_beyond``, ``prob_below``;
* ``warm_kernels``.
"""

from engine.pricing.cache import ensure_fresh_cache
from engine.pricing.iv import (
    IVReason,
    black76_implied_vol,
    black76_implied_vol_into,
    implied_vol,
    implied_vol_into,
    price_bounds,
)
from engine.pricing.kernels import (
    Greeks,
    black76_greeks,
    black76_greeks_into,
    black76_price,
    black76_price_into,
    bsm_greeks,
    bsm_greeks_into,
    bsm_price,
    bsm_price_into,
    count_invalid,
    empty_greeks,
)
from engine.pricing.probability import (
    prob_below,
    prob_finish_beyond,
    prob_profit_at_expiry,
    prob_touch,
)
from engine.pricing.structures import (
    CalendarProfile,
    Legs,
    breakevens,
    broken_wing_butterfly,
    calendar,
    calendar_profile,
    expiry_payoff,
    expiry_pnl,
    iron_condor,
    max_loss,
    max_profit,
    net_credit,
    net_greeks,
    pnl_at,
    vertical,
)

ensure_fresh_cache()


def warm_kernels() -> float:
    """Compile (or load from numba's cache) every pricing kernel; return the seconds it took."""
    # imported here so that ``python -m engine.pricing.warmup`` does not import itself twice
    from engine.pricing.warmup import warm_kernels as warm

    return warm()


__all__ = [
    "CalendarProfile",
    "Greeks",
    "IVReason",
    "Legs",
    "black76_greeks",
    "black76_greeks_into",
    "black76_implied_vol",
    "black76_implied_vol_into",
    "black76_price",
    "black76_price_into",
    "breakevens",
    "broken_wing_butterfly",
    "bsm_greeks",
    "bsm_greeks_into",
    "bsm_price",
    "bsm_price_into",
    "calendar",
    "calendar_profile",
    "count_invalid",
    "empty_greeks",
    "expiry_payoff",
    "expiry_pnl",
    "implied_vol",
    "implied_vol_into",
    "iron_condor",
    "max_loss",
    "max_profit",
    "net_credit",
    "net_greeks",
    "pnl_at",
    "price_bounds",
    "prob_below",
    "prob_finish_beyond",
    "prob_profit_at_expiry",
    "prob_touch",
    "vertical",
    "warm_kernels",
]
