"""Price walking from mid to natural (engine.brokers.ib.walk), in the engine's sign (credit > 0)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from engine.brokers.ib.walk import ComboMarket, WalkParams, combo_market, walked_price
from engine.errors import InputError
from engine.model import ComboLeg, Right

EXPIRY = date(2015, 2, 20)
SHORT = ComboLeg(Right.PUT, 1900.0, EXPIRY, -1, "SPX")
LONG = ComboLeg(Right.PUT, 1875.0, EXPIRY, 1, "SPX")
PARAMS = WalkParams(step=0.05, interval_s=10.0, tick=0.05)


def test_combo_market_of_a_put_credit_spread() -> None:
    market = combo_market([(5.00, 5.40), (3.60, 3.90)], [SHORT, LONG])
    assert market is not None
    assert market.mid == pytest.approx(5.20 - 3.75)  # 1.45 credit
    assert market.natural == pytest.approx(5.00 - 3.90)  # sell at the bid, buy at the ask: 1.10


def test_unquoted_or_crossed_leg_gives_no_market() -> None:
    assert combo_market([(5.0, 5.4), (float("nan"), 3.9)], [SHORT, LONG]) is None
    assert combo_market([(5.5, 5.4), (3.6, 3.9)], [SHORT, LONG]) is None


def test_credit_walks_down_from_mid_to_natural_and_stops_there() -> None:
    market = ComboMarket(mid=1.52, natural=1.10)
    prices = [walked_price(market, limit=1.10, steps=k, params=PARAMS) for k in range(12)]
    assert prices[0] == 1.55  # the mid on the tick, rounded towards us
    assert prices[:4] == [1.55, 1.50, 1.45, 1.40]
    assert min(prices) == 1.10  # never past natural
    assert prices[-1] == 1.10
    assert all(a >= b for a, b in itertools.pairwise(prices))


def test_trader_limit_is_a_floor_and_a_better_limit_is_asked_as_is() -> None:
    market = ComboMarket(mid=1.52, natural=1.10)
    assert walked_price(market, limit=1.40, steps=20, params=PARAMS) == 1.40
    assert walked_price(market, limit=1.80, steps=0, params=PARAMS) == 1.80
    assert walked_price(market, limit=1.80, steps=5, params=PARAMS) == 1.80


def test_debit_close_walks_up_in_what_it_pays() -> None:
    market = ComboMarket(mid=-0.82, natural=-1.00)  # a closing debit: pay 0.82 at mid, 1.00 natural
    prices = [walked_price(market, limit=-1.00, steps=k, params=PARAMS) for k in range(8)]
    assert prices[0] == -0.80
    assert prices[1] == -0.85
    assert prices[-1] == -1.00


def test_natural_off_the_tick_is_rounded_towards_us() -> None:
    market = ComboMarket(mid=1.50, natural=1.12)
    assert walked_price(market, limit=0.0, steps=50, params=PARAMS) == 1.15


def test_bad_walk_settings_name_the_field() -> None:
    with pytest.raises(InputError, match="walk_step"):
        WalkParams(step=0.01, tick=0.05)
    with pytest.raises(InputError, match="walk_interval_s"):
        WalkParams(interval_s=0)
    with pytest.raises(InputError, match="steps"):
        walked_price(ComboMarket(1.0, 0.5), 0.5, -1, PARAMS)


def test_live_confirmations_allow_one_order_per_confirmed_position() -> None:
    from datetime import datetime, timedelta

    from engine.brokers.ib.broker import LiveConfirmations
    from engine.clock import MARKET_TZ
    from engine.model import Order, OrderIntent

    now = datetime(2015, 1, 20, 10, 30, tzinfo=MARKET_TZ)

    def order(order_id: str, position_id: str) -> Order:
        return Order(order_id, "SPX", OrderIntent.OPEN, (SHORT, LONG), 1, 1.0, now, now + timedelta(hours=1),
                     position_id)

    confirmations = LiveConfirmations()
    assert not confirmations(order("O-1", "P-1"))  # nobody confirmed it
    confirmations.confirm("P-1")
    assert confirmations(order("O-1", "P-1"))
    assert not confirmations(order("X-1", "P-1"))  # one confirmation, one order


def test_a_walk_taken_over_steps_on_from_the_price_asked_never_up_never_under_the_floor() -> None:
    from engine.brokers.ib.walk import next_price

    market = ComboMarket(mid=1.52, natural=1.10)
    assert next_price(market, 1.10, 0, None, PARAMS) == 1.55  # first ask: the mid
    assert next_price(market, 1.10, 1, 1.55, PARAMS) == 1.50  # the ordinary step
    assert next_price(market, 1.10, 1, 1.30, PARAMS) == 1.25  # after a restart: on from TWS's 1.30
    assert next_price(market, 1.10, 1, 1.10, PARAMS) == 1.10  # at the natural: stays
    assert next_price(market, 1.10, 1, 1.05, PARAMS) == 1.05  # below the floor already: never back up
