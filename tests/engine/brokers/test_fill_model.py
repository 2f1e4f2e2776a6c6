"""The paper broker's fill arithmetic: leg prices per model, the net on the tick, the fees."""

from __future__ import annotations

import math
from datetime import date

import pytest

from engine.brokers.fill_model import (
    FeeSchedule,
    combo_fill_price,
    floor_to_tick,
    leg_fill_price,
    round_limit,
    usable_quote,
)
from engine.config import ExecutionParams
from engine.errors import InputError
from engine.model import ComboLeg, Right

EXPIRY = date(2024, 3, 4)
# the brief's put spread: sell the 1915 put, buy the 1865 put
OPEN = (ComboLeg(Right.PUT, 1915.0, EXPIRY, -1), ComboLeg(Right.PUT, 1865.0, EXPIRY, +1))
OPEN_QUOTES = ((5.00, 5.20), (2.30, 2.45))
# buying it back: the ratios reversed
CLOSE = (ComboLeg(Right.PUT, 1915.0, EXPIRY, +1), ComboLeg(Right.PUT, 1865.0, EXPIRY, -1))
CLOSE_QUOTES = ((3.00, 3.20), (1.10, 1.20))


# --- leg prices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fraction", "ratio", "expected"),
    [
        # bid 5.00 / ask 5.20: mid 5.10, width 0.20
        ("mid", 0.25, -1, 5.10),  # the fraction is ignored by "mid"
        ("mid", 0.25, +1, 5.10),
        ("natural", 0.25, -1, 5.00),  # sell at the bid
        ("natural", 0.25, +1, 5.20),  # buy at the ask
        ("mid_plus", 0.25, -1, 5.05),  # 5.10 - 0.25 * 0.20
        ("mid_plus", 0.25, +1, 5.15),  # 5.10 + 0.25 * 0.20
        ("mid_plus", 0.10, -1, 5.08),  # 5.10 - 0.10 * 0.20
        ("mid_plus", 0.50, +1, 5.20),  # 0.5 is natural
        ("mid_plus", 0.0, -1, 5.10),  # 0 is mid
        ("mid_plus", 0.25, -2, 5.05),  # the ratio's size does not change the per-option price
    ],
)
def test_leg_price_moves_against_the_trader(model: str, fraction: float, ratio: int, expected: float) -> None:
    assert leg_fill_price(5.00, 5.20, ratio, model, fraction) == pytest.approx(expected, abs=1e-12)


def test_leg_price_of_the_bought_wing() -> None:
    # bid 2.30 / ask 2.45: mid 2.375, width 0.15; bought at mid_plus 0.25: 2.375 + 0.0375 = 2.4125
    assert leg_fill_price(2.30, 2.45, +1, "mid_plus", 0.25) == pytest.approx(2.4125, abs=1e-12)


def test_leg_price_is_never_below_zero() -> None:
    # a no-bid option sold at natural: mid 0.05 - 0.5 * 0.10 = 0
    assert leg_fill_price(0.0, 0.10, -1, "natural", 0.25) == 0.0
    assert leg_fill_price(0.0, 0.0, -1, "mid_plus", 0.5) == 0.0


@pytest.mark.parametrize(
    ("model", "fraction", "ratio", "field"),
    [("vwap", 0.25, -1, "fill_model"), ("mid_plus", 0.6, -1, "slippage_fraction"), ("mid", 0.0, 0, "ratio")],
)
def test_leg_price_refuses_bad_input(model: str, fraction: float, ratio: int, field: str) -> None:
    with pytest.raises(InputError, match=field):
        leg_fill_price(5.00, 5.20, ratio, model, fraction)


# --- the tick -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (2.45, 2.45),  # on the tick stays (2.45 / 0.05 is 49.0 but 2.55 / 0.05 is 50.99999999999999)
        (2.55, 2.55),
        (2.6375, 2.60),  # a credit floors: smaller
        (2.699999, 2.65),
        (0.0, 0.0),
        (0.04, 0.0),
        (-2.45, -2.45),
        (-2.025, -2.05),  # a debit floors: larger in magnitude
        (-0.01, -0.05),
    ],
)
def test_floor_to_tick_rounds_against_the_trader(price: float, expected: float) -> None:
    assert floor_to_tick(price, 0.05) == expected


def test_round_limit_uses_the_same_rule() -> None:
    assert round_limit(2.53, 0.05) == 2.50
    assert round_limit(-1.31, 0.05) == -1.35
    assert round_limit(1.30, 0.10) == 1.30


@pytest.mark.parametrize(("price", "tick", "field"), [(1.0, 0.0, "tick"), (math.nan, 0.05, "price")])
def test_floor_to_tick_refuses_bad_input(price: float, tick: float, field: str) -> None:
    with pytest.raises(InputError, match=field):
        floor_to_tick(price, tick)


# --- the combo ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fraction", "net", "legs"),
    [
        # sold 5.10, bought 2.375: net 2.725 -> 2.70
        ("mid", 0.25, 2.70, (5.10, 2.375)),
        # sold at the bid 5.00, bought at the ask 2.45: net 2.55, on the tick
        ("natural", 0.25, 2.55, (5.00, 2.45)),
        # sold 5.10 - 0.05 = 5.05, bought 2.375 + 0.0375 = 2.4125: net 2.6375 -> 2.60
        ("mid_plus", 0.25, 2.60, (5.05, 2.4125)),
        # sold 5.10 - 0.02 = 5.08, bought 2.375 + 0.015 = 2.39: net 2.69 -> 2.65
        ("mid_plus", 0.10, 2.65, (5.08, 2.39)),
    ],
)
def test_credit_spread_net_per_model(
    model: str, fraction: float, net: float, legs: tuple[float, ...]
) -> None:
    priced = combo_fill_price(OPEN_QUOTES, OPEN, model, fraction, 0.05)
    assert priced is not None
    assert priced[0] == net
    assert priced[1] == pytest.approx(legs, abs=1e-12)


@pytest.mark.parametrize(
    ("model", "net"),
    [
        # bought 3.10, sold 1.15: -1.95, on the tick
        ("mid", -1.95),
        # bought at the ask 3.20, sold at the bid 1.10: -2.10
        ("natural", -2.10),
        # bought 3.10 + 0.05 = 3.15, sold 1.15 - 0.025 = 1.125: -2.025 -> -2.05 (pays more)
        ("mid_plus", -2.05),
    ],
)
def test_closing_debit_is_negative_and_floors_away_from_zero(model: str, net: float) -> None:
    priced = combo_fill_price(CLOSE_QUOTES, CLOSE, model, 0.25, 0.05)
    assert priced is not None
    assert priced[0] == net


def test_ratio_two_counts_twice() -> None:
    legs = (ComboLeg(Right.PUT, 1915.0, EXPIRY, -2), ComboLeg(Right.PUT, 1865.0, EXPIRY, +1))
    # 2 * 5.10 - 2.375 = 7.825 -> 7.80
    priced = combo_fill_price(OPEN_QUOTES, legs, "mid", 0.0, 0.05)
    assert priced is not None
    assert priced[0] == 7.80


@pytest.mark.parametrize(
    "bad",
    [(math.nan, 2.45), (2.30, math.nan), (-0.05, 2.45), (2.50, 2.45), (2.30, math.inf)],
)
def test_no_price_without_a_usable_quote(bad: tuple[float, float]) -> None:
    assert not usable_quote(*bad)
    assert combo_fill_price(((5.00, 5.20), bad), OPEN, "mid", 0.0, 0.05) is None


def test_one_quote_per_leg_is_required() -> None:
    with pytest.raises(InputError, match="quotes"):
        combo_fill_price(((5.00, 5.20),), OPEN, "mid", 0.0, 0.05)


# --- fees ---------------------------------------------------------------------------------------


def test_fees_per_contract_per_leg() -> None:
    fees = FeeSchedule.from_params(ExecutionParams())
    assert fees == FeeSchedule(0.65, 0.60, 0.04)
    # 1 contract x 2 legs x (0.65 + 0.60 + 0.04) = 2 x 1.29 = 2.58
    assert fees.for_fill(1, 2) == 2.58
    # an iron condor, 3 contracts: 3 x 4 x 1.29 = 15.48
    assert fees.for_fill(3, 4) == 15.48
    assert fees.for_fill(0, 2) == 0.0


def test_fees_follow_the_settings() -> None:
    fees = FeeSchedule.from_params(
        ExecutionParams(
            commission_per_contract=1.0, exchange_fee_per_contract=0.0, regulatory_fee_per_contract=0.0
        )
    )
    # 5 contracts x 2 legs x 1.00
    assert fees.for_fill(5, 2) == 10.0
