"""How the paper broker prices a fill: per-leg prices, the combo's net, the tick, the fees.

Prices are index points per option (legs) or per unit of the combo (net), with the engine's sign
convention: the net is positive for a credit received and negative for a debit paid.

* **Leg price.** Each leg fills at its mid moved against the trader by `f` times its bid-ask
  width: a sold leg receives ``mid - f*width``, a bought leg pays ``mid + f*width``, never below 0.
  ``f`` is 0 for "mid", 0.5 for "natural" (sell at the bid, buy at the ask) and the configured
  `slippage_fraction` (0..0.5) for "mid_plus".
* **Net.** The combo's net per unit is ``sum(-ratio * leg_price)`` (selling receives, buying
  pays), then floored to the combo tick: a credit gets smaller, a debit larger in magnitude.
  Exchanges only accept complex orders on the tick, and rounding in the trader's favour would
  flatter every backtest by up to a tick per trade.
* **Fees.** Dollars per contract per leg (commission + exchange + regulatory), on every fill.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from engine.config import ExecutionParams
from engine.errors import InputError
from engine.model import ComboLeg

FillModel = Literal["mid", "natural", "mid_plus"]
FILL_MODELS: tuple[str, ...] = ("mid", "natural", "mid_plus")
Quote = tuple[float, float]  # (bid, ask) of one option, points


def _fraction(model: str, slippage_fraction: float) -> float:
    """Return the share of the bid-ask width a leg gives up under `model`."""
    if model == "mid":
        return 0.0
    if model == "natural":
        return 0.5
    if model == "mid_plus":
        if not 0.0 <= slippage_fraction <= 0.5:
            raise InputError("slippage_fraction", slippage_fraction, "must be in [0, 0.5]")
        return slippage_fraction
    raise InputError("fill_model", model, f"must be one of {', '.join(FILL_MODELS)}")


def leg_fill_price(bid: float, ask: float, ratio: int, model: str, slippage_fraction: float) -> float:
    """Return the per-option price one leg fills at (module doc): sold legs below mid, bought above."""
    if ratio == 0:
        raise InputError("ratio", ratio, "must be non-zero (+ buy, - sell)")
    f = _fraction(model, slippage_fraction)
    mid = (bid + ask) / 2.0
    width = ask - bid
    price = mid - f * width if ratio < 0 else mid + f * width
    return max(price, 0.0)


def usable_quote(bid: float, ask: float) -> bool:
    """Return True when a (bid, ask) can be traded against: finite, bid >= 0, ask >= bid."""
    return math.isfinite(bid) and math.isfinite(ask) and 0.0 <= bid <= ask


def floor_to_tick(price: float, tick: float) -> float:
    """Return `price` floored to a multiple of `tick` (a credit down, a debit up in magnitude).

    The quotient is rounded to 9 decimals first so that a price already on the tick stays put
    (2.45 / 0.05 is 48.99999999999999 in floating point, which a bare floor would turn into 2.40).
    """
    if not (math.isfinite(tick) and tick > 0.0):
        raise InputError("tick", tick, "must be a finite number > 0")
    if not math.isfinite(price):
        raise InputError("price", price, "must be finite")
    steps = math.floor(round(price / tick, 9))
    return round(steps * tick, 10)  # drop the float noise of steps * tick (52 * 0.05)


def round_limit(price: float, tick: float) -> float:
    """Return a limit price on the tick, rounded against the trader (floored, as a fill is)."""
    return floor_to_tick(price, tick)


def combo_fill_price(
    quotes: Sequence[Quote], legs: Sequence[ComboLeg], model: str, fraction: float, tick: float
) -> tuple[float, tuple[float, ...]] | None:
    """Return (net price per unit on the tick, per-leg prices), or None when a leg has no usable quote.

    `quotes` are (bid, ask) per leg in the order of `legs`. The leg prices are the model's
    unrounded prices; only the net is floored to the tick, so they can differ from it by less
    than one tick.
    """
    if len(quotes) != len(legs):
        raise InputError("quotes", len(quotes), f"must give one (bid, ask) per leg ({len(legs)} legs)")
    if not all(usable_quote(bid, ask) for bid, ask in quotes):
        return None
    leg_prices = tuple(
        leg_fill_price(bid, ask, leg.ratio, model, fraction)
        for (bid, ask), leg in zip(quotes, legs, strict=True)
    )
    net = sum(-leg.ratio * price for leg, price in zip(legs, leg_prices, strict=True))
    return floor_to_tick(net, tick), leg_prices


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """What a fill costs: dollars per contract per leg, commission and fees apart."""

    commission_per_contract: float = 0.65
    exchange_fee_per_contract: float = 0.60
    regulatory_fee_per_contract: float = 0.04

    @classmethod
    def from_params(cls, execution: ExecutionParams) -> FeeSchedule:
        """Return the schedule the [execution] settings describe."""
        return cls(
            execution.commission_per_contract,
            execution.exchange_fee_per_contract,
            execution.regulatory_fee_per_contract,
        )

    @property
    def per_contract_leg(self) -> float:
        """Return dollars charged per contract per leg, everything included."""
        return (
            self.commission_per_contract + self.exchange_fee_per_contract + self.regulatory_fee_per_contract
        )

    def for_fill(self, contracts: int, legs_count: int) -> float:
        """Return the dollars a fill of `contracts` units of a `legs_count`-leg combo costs."""
        if contracts < 0 or legs_count < 0:
            raise InputError("contracts, legs_count", (contracts, legs_count), "must be >= 0")
        # rounded to a millionth of a dollar: drops float noise (2 * 1.29 = 2.5800000000000005)
        return round(contracts * legs_count * self.per_contract_leg, 6)
