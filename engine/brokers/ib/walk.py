"""Price walking: a combo limit starts at the mid and steps towards the natural until it fills.

Prices are in the engine's sign (a credit > 0, a debit < 0), so for us a higher net is always the
better one and walking always goes *down*:

    price(k) = max(mid - k * step, floor),   floor = max(natural, the order's own limit)

* The start is the mid of the legs' current quotes on the combo tick, rounded towards us (a 1.52
  credit starts at 1.55, a 0.82 debit at 0.80): the first ask is never worse than the mid.
* Never past the natural: the natural is already marketable, going further only gives money away.
  The floor is rounded *up* to the tick, so it is on the natural or a little better.
* Never past the trader's limit: the session sends its orders limited at the natural of the moment
  of the decision; a trader's own (edited) limit is the floor when it is better than the natural,
  and a limit better than the mid is asked as it is, without walking.
* Each step is taken after `interval_s` seconds of the session's clock (engine.brokers.ib.broker
  steps on `on_market`); the mid and natural are read again at every step, so the walk follows
  the market.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engine.brokers.base import Quote
from engine.brokers.fill_model import leg_fill_price, usable_quote
from engine.config import ExecutionParams
from engine.errors import InputError
from engine.model import ComboLeg

PRICE_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class WalkParams:
    """How a limit walks: points per step, seconds between steps, the combo tick."""

    step: float = 0.05
    interval_s: float = 10.0
    tick: float = 0.05

    def __post_init__(self) -> None:
        """Raise InputError naming a field out of range."""
        if not (math.isfinite(self.tick) and self.tick > 0):
            raise InputError("tick", self.tick, "must be a finite number > 0")
        if not (math.isfinite(self.step) and self.step >= self.tick - PRICE_EPSILON):
            raise InputError("walk_step", self.step, f"must be at least the combo tick {self.tick}")
        if not (math.isfinite(self.interval_s) and self.interval_s > 0):
            raise InputError("walk_interval_s", self.interval_s, "must be > 0 seconds")


@dataclass(frozen=True, slots=True)
class ComboMarket:
    """A combo's mid and natural nets (engine sign) from its legs' quotes."""

    mid: float
    natural: float


def combo_market(quotes: Sequence[Quote], legs: Sequence[ComboLeg]) -> ComboMarket | None:
    """Return the combo's mid and natural, None when a leg has no usable quote."""
    if len(quotes) != len(legs) or not all(usable_quote(bid, ask) for bid, ask in quotes):
        return None
    mid = sum(-leg.ratio * (bid + ask) / 2.0 for (bid, ask), leg in zip(quotes, legs, strict=True))
    natural = sum(-leg.ratio * leg_fill_price(bid, ask, leg.ratio, "natural", 0.0)
                  for (bid, ask), leg in zip(quotes, legs, strict=True))
    return ComboMarket(mid, natural)


def _on_tick(price: float, tick: float, up: bool) -> float:
    """Return `price` on the tick, rounded up (towards us) or down, float noise removed."""
    units = round(price / tick, 9)
    return round((math.ceil(units) if up else math.floor(units)) * tick, 10) + 0.0


def start_price(market: ComboMarket, limit: float, params: WalkParams) -> float:
    """Return the first price asked: the mid on the tick (towards us), or a better limit as it is."""
    mid = _on_tick(market.mid, params.tick, up=True)
    return max(mid, limit)


def floor_price(market: ComboMarket, limit: float, params: WalkParams) -> float:
    """Return the worst price the walk may reach: the natural (on the tick, towards us) or the limit."""
    return max(_on_tick(market.natural, params.tick, up=True), limit)


def walked_price(market: ComboMarket, limit: float, steps: int, params: WalkParams) -> float:
    """Return the price after `steps` steps from the mid, never below the floor (module doc)."""
    if steps < 0:
        raise InputError("steps", steps, "must be >= 0")
    start = start_price(market, limit, params)
    return max(round(start - steps * params.step, 10) + 0.0, min(start, floor_price(market, limit, params)))


def next_price(market: ComboMarket, limit: float, steps: int, current: float | None,
               params: WalkParams) -> float:
    """Return the price of walk step `steps` when `current` is asked now: the walk's own price or one
    step under `current`, whichever is lower (a walk taken over after a restart steps on from the
    limit TWS holds), never under the floor and never back up."""
    walked = walked_price(market, limit, steps, params)
    if current is None:
        return walked
    lower = min(walked, round(current - params.step, 10) + 0.0)
    return max(lower, min(current, floor_price(market, limit, params)))


def walk_params_of(execution: ExecutionParams) -> WalkParams:
    """Return the walk settings of the [execution] config section."""
    return WalkParams(execution.walk_step, execution.walk_interval_s, execution.combo_tick)
