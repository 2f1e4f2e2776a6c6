"""The modelled feed over the bundled history: intraday and close quotes, settlement, future-blind."""

from __future__ import annotations

import math
import struct
from datetime import date, datetime, time, timedelta

import numpy as np
import pytest

from engine import calendar
from engine.data.chain_model import ModelledChainSource
from engine.data.feed import MarketFeed, ModelledFeed
from engine.data.history import MarketHistory, load_history
from engine.errors import InputError
from engine.model import ComboLeg, DataSource, Expiration, Leg, Right, Settlement

NY = calendar.MARKET_TZ
DAY = date(2015, 3, 16)  # Monday: the March monthly (AM, 2015-03-20) and a PM weekly (2015-03-27) listed
AM_EXPIRY = date(2015, 3, 20)  # third Friday: SPX monthly, AM-settled
PM_EXPIRY = date(2015, 3, 27)  # SPXW Friday weekly, PM-settled
LEG_FIELDS = ("bid", "ask", "mid", "iv", "delta", "gamma", "theta", "vega")


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    return load_history()


@pytest.fixture(scope="module")
def feed(history: MarketHistory) -> ModelledFeed:
    return ModelledFeed(history)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def value(history: MarketHistory, column: str, day: date) -> float:
    return float(history.column(column)[history.row_of(day)])


def near_money_put(history: MarketHistory, day: date) -> float:
    return float(round(value(history, "spx_close", day) / 5) * 5 - 100)


def spread(strike: float, expiry: date, trading_class: str) -> list[ComboLeg]:
    return [
        ComboLeg(right=Right.PUT, strike=strike, expiry=expiry, ratio=-1, trading_class=trading_class),
        ComboLeg(right=Right.PUT, strike=strike - 50, expiry=expiry, ratio=1, trading_class=trading_class),
    ]


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def same_bits(a: float, b: float) -> bool:
    return bits(a) == bits(b)  # NaN == NaN, -0.0 != 0.0


def test_it_is_a_market_feed(feed: ModelledFeed) -> None:
    typed: MarketFeed = feed
    assert typed.source is DataSource.MODELLED
    assert typed.underlying == "SPX"


def test_only_spx_is_modelled(history: MarketHistory) -> None:
    with pytest.raises(InputError, match="SPX only"):
        ModelledFeed(history, underlying="NDX")


# --- the moments of a session ----------------------------------------------------------------------


@pytest.mark.parametrize(("expiry", "trading_class"), [(AM_EXPIRY, "SPX"), (PM_EXPIRY, "SPXW")])
def test_the_entry_window_uses_the_opening_prints(
    feed: ModelledFeed, history: MarketHistory, expiry: date, trading_class: str
) -> None:
    expiration = calendar.expiration_of(expiry, trading_class)
    strike = near_money_put(history, DAY)
    moment = at(DAY, 10, 30)
    chain_slice = feed.slice_at(moment, expiration, [strike, strike - 50])
    assert chain_slice.spot == value(history, "spx_open", DAY)
    assert chain_slice.spot != value(history, "spx_close", DAY)  # the day moved: the test can tell
    assert chain_slice.as_of == moment
    assert chain_slice.is_modelled
    quoted = feed.quote_legs(moment, spread(strike, expiry, trading_class))
    assert quoted is not None
    assert len(quoted) == 2


@pytest.mark.parametrize(("expiry", "trading_class"), [(AM_EXPIRY, "SPX"), (PM_EXPIRY, "SPXW")])
def test_the_close_uses_the_close(
    feed: ModelledFeed, history: MarketHistory, expiry: date, trading_class: str
) -> None:
    expiration = calendar.expiration_of(expiry, trading_class)
    strike = near_money_put(history, DAY)
    close = calendar.session_close(DAY)
    chain_slice = feed.slice_at(close, expiration, [strike])
    assert chain_slice.spot == value(history, "spx_close", DAY)
    assert chain_slice.as_of == close


def test_the_whole_entry_window_sees_the_same_open(feed: ModelledFeed, history: MarketHistory) -> None:
    expiration = calendar.expiration_of(PM_EXPIRY, "SPXW")
    strike = near_money_put(history, DAY)
    spots = {feed.slice_at(at(DAY, 10, minute), expiration, [strike]).spot for minute in (0, 30, 59)}
    assert spots == {value(history, "spx_open", DAY)}


def test_quote_legs_returns_legs_with_the_orders_signs(feed: ModelledFeed, history: MarketHistory) -> None:
    strike = near_money_put(history, DAY)
    legs = spread(strike, PM_EXPIRY, "SPXW")
    quoted = feed.quote_legs(at(DAY, 10, 30), legs)
    assert quoted is not None
    for leg, order_leg in zip(quoted, legs, strict=True):
        assert isinstance(leg, Leg)
        assert (leg.right, leg.strike, leg.expiry, leg.quantity, leg.trading_class) == (
            order_leg.right, order_leg.strike, order_leg.expiry, order_leg.ratio, order_leg.trading_class,
        )
        assert 0 <= leg.bid < leg.ask
        assert leg.mid == pytest.approx((leg.bid + leg.ask) / 2)
        assert math.isfinite(leg.iv)
        assert leg.delta < 0  # a put
    assert quoted[0].mid > quoted[1].mid  # the higher put is worth more


@pytest.mark.parametrize(("expiry", "trading_class"), [(AM_EXPIRY, "SPX"), (PM_EXPIRY, "SPXW")])
@pytest.mark.parametrize("moment", [at(DAY, 10, 30), calendar.session_close(DAY)], ids=["10:30", "close"])
def test_a_quoted_leg_equals_the_full_grid_bit_for_bit(
    feed: ModelledFeed, history: MarketHistory, expiry: date, trading_class: str, moment: datetime
) -> None:
    strike = near_money_put(history, DAY)
    legs = spread(strike, expiry, trading_class)
    quoted = feed.quote_legs(moment, legs)
    assert quoted is not None
    expiration = calendar.expiration_of(expiry, trading_class)
    full = ModelledChainSource(history).slice_at_moment(moment, expiration)
    for leg in quoted:
        [index] = np.flatnonzero(full.strikes == leg.strike)
        side = full.puts if leg.right is Right.PUT else full.calls
        for name in LEG_FIELDS:
            assert same_bits(getattr(leg, name), float(getattr(side, name)[index])), (leg.strike, name)


def test_a_call_leg_reads_the_call_side(feed: ModelledFeed, history: MarketHistory) -> None:
    strike = float(round(value(history, "spx_close", DAY) / 5) * 5 + 50)
    legs = [
        ComboLeg(Right.CALL, strike, PM_EXPIRY, -1, "SPXW"),
        ComboLeg(Right.PUT, strike, PM_EXPIRY, 1, "SPXW"),
    ]
    moment = at(DAY, 10, 30)
    quoted = feed.quote_legs(moment, legs)
    assert quoted is not None
    full = ModelledChainSource(history).slice_at_moment(moment, calendar.expiration_of(PM_EXPIRY, "SPXW"))
    [index] = np.flatnonzero(full.strikes == strike)
    assert same_bits(quoted[0].mid, float(full.calls.mid[index]))
    assert same_bits(quoted[1].mid, float(full.puts.mid[index]))
    assert quoted[0].delta > 0 > quoted[1].delta


def test_leg_quotes_are_the_bid_and_ask_of_quote_legs(feed: ModelledFeed, history: MarketHistory) -> None:
    legs = spread(near_money_put(history, DAY), PM_EXPIRY, "SPXW")
    moment = at(DAY, 10, 30)
    quoted = feed.quote_legs(moment, legs)
    assert quoted is not None
    assert feed.leg_quotes(moment, legs) == tuple((leg.bid, leg.ask) for leg in quoted)


def test_repeated_quotes_are_identical(feed: ModelledFeed, history: MarketHistory) -> None:
    legs = spread(near_money_put(history, DAY), PM_EXPIRY, "SPXW")
    moment = at(DAY, 10, 30)
    first = feed.quote_legs(moment, legs)
    feed.quote_legs(calendar.session_close(DAY), legs)  # another moment in between resets the cache
    assert feed.quote_legs(moment, legs) == first
    assert ModelledFeed(feed.history).quote_legs(moment, legs) == first


# --- expired legs ----------------------------------------------------------------------------------


def test_an_am_leg_is_unquoted_from_its_settlement(feed: ModelledFeed, history: MarketHistory) -> None:
    legs = spread(near_money_put(history, AM_EXPIRY), AM_EXPIRY, "SPX")
    settles = datetime.combine(AM_EXPIRY, time(9, 30), tzinfo=NY)
    assert feed.quote_legs(calendar.session_close(date(2015, 3, 19)), legs) is not None
    assert feed.quote_legs(settles, legs) is None
    assert feed.quote_legs(at(AM_EXPIRY, 10, 30), legs) is None
    assert feed.leg_quotes(at(AM_EXPIRY, 10, 30), legs) is None


def test_a_pm_leg_is_quoted_on_its_day_until_the_close(feed: ModelledFeed, history: MarketHistory) -> None:
    legs = spread(near_money_put(history, PM_EXPIRY), PM_EXPIRY, "SPXW")
    assert feed.quote_legs(at(PM_EXPIRY, 10, 30), legs) is not None
    assert feed.quote_legs(calendar.session_close(PM_EXPIRY), legs) is None
    assert feed.quote_legs(at(PM_EXPIRY + timedelta(days=3), 10, 30), legs) is None


def test_one_expired_leg_makes_the_whole_combo_unquoted(feed: ModelledFeed, history: MarketHistory) -> None:
    strike = near_money_put(history, AM_EXPIRY)
    calendar_spread = [
        ComboLeg(Right.PUT, strike, PM_EXPIRY, -1, "SPXW"),
        ComboLeg(Right.PUT, strike, AM_EXPIRY, 1, "SPX"),
    ]
    assert feed.quote_legs(at(date(2015, 3, 19), 10, 30), calendar_spread) is not None
    assert feed.quote_legs(at(AM_EXPIRY, 10, 30), calendar_spread) is None


# --- settlement ------------------------------------------------------------------------------------


def test_am_settlement_is_the_days_open(feed: ModelledFeed, history: MarketHistory) -> None:
    expiration = calendar.expiration_of(AM_EXPIRY, "SPX")
    assert expiration.settlement is Settlement.AM
    settled = feed.settlement_value(expiration)
    assert settled == value(history, "spx_open", AM_EXPIRY)
    assert settled != value(history, "spx_close", AM_EXPIRY)


def test_pm_settlement_is_the_days_close(feed: ModelledFeed, history: MarketHistory) -> None:
    expiration = calendar.expiration_of(PM_EXPIRY, "SPXW")
    assert expiration.settlement is Settlement.PM
    settled = feed.settlement_value(expiration)
    assert settled == value(history, "spx_close", PM_EXPIRY)
    assert settled != value(history, "spx_open", PM_EXPIRY)


def test_settlement_of_the_monthlys_day_follows_the_class(feed: ModelledFeed, history: MarketHistory) -> None:
    assert feed.settlement_value(calendar.expiration_of(AM_EXPIRY, "SPXW")) == value(
        history, "spx_close", AM_EXPIRY
    )


def test_settlement_after_the_history_is_unknown(feed: ModelledFeed, history: MarketHistory) -> None:
    after = calendar.next_session(history.last_date + timedelta(days=7))
    assert feed.settlement_value(calendar.expiration_of(after, "SPXW")) is None
    assert feed.settlement_value(calendar.expiration_of(after, "SPX")) is None
    last = history.last_date
    assert feed.settlement_value(calendar.expiration_of(last, "SPXW")) == value(history, "spx_close", last)


def test_settlement_is_unknown_to_a_feed_cut_before_the_expiry(history: MarketHistory) -> None:
    cut = ModelledFeed(history.up_to(date(2015, 3, 26)))
    assert cut.settlement_value(calendar.expiration_of(PM_EXPIRY, "SPXW")) is None
    assert cut.settlement_value(calendar.expiration_of(AM_EXPIRY, "SPX")) == value(
        history, "spx_open", AM_EXPIRY
    )


def test_a_made_up_expiration_on_a_holiday_has_no_settlement(feed: ModelledFeed) -> None:
    good_friday = date(2015, 4, 3)
    assert not calendar.is_session(good_friday)
    expiration = Expiration(good_friday, Settlement.PM, "SPXW", at(good_friday, 16), "weekly")
    assert feed.settlement_value(expiration) is None


# --- future-blind ----------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [DAY, date(2008, 10, 10), date(2024, 6, 14)])
def test_a_feed_cut_at_the_day_quotes_the_day_identically(history: MarketHistory, day: date) -> None:
    full = ModelledFeed(history)
    cut = ModelledFeed(history.up_to(day))
    assert cut.history.last_date == day
    expiration = min(
        calendar.listed_expirations(calendar.session_close(day)),
        key=lambda e: abs((e.expiry - day).days - 14),
    )
    strike = near_money_put(history, day)
    legs = spread(strike, expiration.expiry, expiration.trading_class)
    for moment in (at(day, 10, 30), calendar.session_close(day)):
        from_full = full.quote_legs(moment, legs)
        from_cut = cut.quote_legs(moment, legs)
        assert from_full is not None
        assert from_cut is not None
        for a, b in zip(from_full, from_cut, strict=True):
            assert all(same_bits(getattr(a, f), getattr(b, f)) for f in LEG_FIELDS), (moment, a, b)
        spots = {f.slice_at(moment, expiration, [strike]).spot for f in (full, cut)}
        assert len(spots) == 1


# --- sessions --------------------------------------------------------------------------------------


def test_sessions_are_inclusive(feed: ModelledFeed) -> None:
    assert feed.sessions(date(2015, 3, 16), date(2015, 3, 20)) == [
        date(2015, 3, 16), date(2015, 3, 17), date(2015, 3, 18), date(2015, 3, 19), date(2015, 3, 20),
    ]
    assert feed.sessions(DAY, DAY) == [DAY]


def test_sessions_skip_weekends_and_holidays(feed: ModelledFeed) -> None:
    assert feed.sessions(date(2015, 4, 2), date(2015, 4, 6)) == [date(2015, 4, 2), date(2015, 4, 6)]
    assert feed.sessions(date(2015, 3, 21), date(2015, 3, 22)) == []
    assert feed.sessions(date(2015, 3, 20), date(2015, 3, 16)) == []


def test_sessions_stop_at_the_history(feed: ModelledFeed, history: MarketHistory) -> None:
    tail = feed.sessions(history.last_date - timedelta(days=3), history.last_date + timedelta(days=30))
    assert tail[-1] == history.last_date
    assert tail == [d for d in history.dates if d >= history.last_date - timedelta(days=3)]
    assert feed.sessions(date(1980, 1, 1), date(1990, 1, 5))[0] == history.first_date
