"""Spread construction on modelled SPX chains and on small hand-made chains, checked by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from engine.config import UnderlyingParams
from engine.data.chain_model import ModelledChainSource
from engine.data.history import load_history
from engine.errors import InputError
from engine.model import (
    ChainSlice,
    DataSource,
    Expiration,
    Right,
    Settlement,
    SideQuotes,
    Structure,
    StructureKind,
)
from engine.strategy.spreads import (
    NO_STRIKES,
    NoSpread,
    build_broken_wing_butterfly,
    build_call_credit_spread,
    build_iron_condor,
    build_put_credit_spread,
    select_expiry,
    strike_nearest_delta,
    target_short_delta,
)

NY = ZoneInfo("America/New_York")
DAYS = (date(2013, 9, 3), date(2024, 6, 14), date(2008, 10, 10))
TODAY = date(2026, 2, 17)
PARAMS = UnderlyingParams()


# ----------------------------------------------------------------------------- hand-made chains


def _expiration(expiry: date) -> Expiration:
    settles = datetime(expiry.year, expiry.month, expiry.day, 16, 0, tzinfo=NY)
    return Expiration(expiry, Settlement.PM, "SPXW", settles, "weekly-fri")


def _side(n: int, **columns: list[float]) -> SideQuotes:
    """Return one side of a chain; columns not given are NaN, Greeks default to plausible values."""
    nan = [math.nan] * n
    defaults = {"iv": [0.18] * n, "gamma": [0.001] * n, "theta": [-0.5] * n, "vega": [3.0] * n}
    values = {name: columns.get(name, defaults.get(name, nan)) for name in SideQuotes.__slots__}
    if "mid" not in columns:
        values["mid"] = list((np.array(values["bid"]) + np.array(values["ask"])) / 2.0)
    return SideQuotes(**{name: np.array(v, dtype=float) for name, v in values.items()})


def _slice(
    strikes: list[float], puts: SideQuotes, calls: SideQuotes | None = None, dte: int = 44
) -> ChainSlice:
    n = len(strikes)
    expiry = TODAY + timedelta(days=dte)
    return ChainSlice(
        underlying="SPX",
        expiration=_expiration(expiry),
        as_of=datetime(2026, 2, 17, 10, 30, tzinfo=NY),
        spot=5842.0,
        forward=5860.0,
        rate=0.04,
        dividend_yield=0.013,
        time_to_expiry=dte / 365.0,
        strikes=np.array(strikes, dtype=float),
        calls=calls if calls is not None else _side(n),
        puts=puts,
        source=DataSource.QUOTED,
    )


STRIKES = [5550.0, 5600.0, 5650.0, 5700.0, 5750.0, 5800.0]
PUT_DELTA = [-0.06, -0.09, -0.12, -0.155, -0.21, -0.30]
PUT_BID = [3.10, 5.40, 9.60, 12.20, 17.10, 24.00]
PUT_ASK = [3.40, 5.80, 10.00, 12.60, 17.70, 24.80]


def _put_chain(strikes: list[float] = STRIKES, **overrides: list[float]) -> ChainSlice:
    columns = {"delta": PUT_DELTA, "bid": PUT_BID, "ask": PUT_ASK, **overrides}
    return _slice(strikes, _side(len(strikes), **columns))


def _condor_chain() -> ChainSlice:
    strikes = [5500.0, 5550.0, 5600.0, 5650.0, 5850.0, 5900.0, 5950.0, 6000.0]
    puts = _side(
        8, delta=[-0.08, -0.11, -0.16, -0.22, -0.50, -0.60, -0.70, -0.80],
        bid=[6.0, 8.0, 11.0, 15.0, 60.0, 90.0, 120.0, 160.0],
        ask=[6.4, 8.4, 11.6, 15.8, 62.0, 92.0, 123.0, 163.0],
        iv=[0.24, 0.23, 0.22, 0.21, 0.16, 0.15, 0.15, 0.15],
    )
    calls = _side(
        8, delta=[0.9, 0.85, 0.8, 0.7, 0.4, 0.25, 0.16, 0.09],
        bid=[340.0, 290.0, 240.0, 200.0, 50.0, 25.0, 12.0, 6.0],
        ask=[344.0, 294.0, 244.0, 204.0, 52.0, 26.0, 12.6, 6.4],
        iv=[0.2, 0.2, 0.19, 0.18, 0.14, 0.13, 0.12, 0.12],
    )
    return _slice(strikes, puts, calls)


def _legs_by_strike(structure: Structure) -> dict[float, int]:
    return {leg.strike: leg.quantity for leg in structure.legs}


# ----------------------------------------------------------------------------- expiry and delta


def test_select_expiry_takes_nearest_45_inside_the_window() -> None:
    offsets = [7, 29, 38, 47, 61, 90]
    expirations = [_expiration(TODAY + timedelta(days=d)) for d in offsets]
    chosen = select_expiry(expirations, TODAY, PARAMS)
    assert chosen is not None
    assert (chosen.expiry - TODAY).days == 47


def test_select_expiry_tie_goes_to_the_earlier_and_bounds_are_inclusive() -> None:
    tie = [_expiration(TODAY + timedelta(days=d)) for d in (50, 40)]
    chosen = select_expiry(tie, TODAY, PARAMS)
    assert chosen is not None
    assert (chosen.expiry - TODAY).days == 40
    edges = [_expiration(TODAY + timedelta(days=d)) for d in (29, 30)]
    chosen = select_expiry(edges, TODAY, PARAMS)
    assert chosen is not None
    assert (chosen.expiry - TODAY).days == 30
    far = [_expiration(TODAY + timedelta(days=60))]
    assert select_expiry(far, datetime(2026, 2, 17, 10, tzinfo=NY), PARAMS) == far[0]


def test_select_expiry_none_outside_the_window() -> None:
    expirations = [_expiration(TODAY + timedelta(days=d)) for d in (3, 29, 61, 120)]
    assert select_expiry(expirations, TODAY, PARAMS) is None
    assert select_expiry([], TODAY, PARAMS) is None


def test_target_delta_without_vix_adjustment_is_the_parameter() -> None:
    assert target_short_delta(PARAMS, 50.0) == -0.16
    assert target_short_delta(UnderlyingParams(target_delta=-0.20), None) == -0.20


@pytest.mark.parametrize(
    ("vix", "delta"),
    [(9.0, -0.16), (17.99, -0.16), (18.0, -0.14), (24.99, -0.14), (25.0, -0.12), (34.99, -0.12),
     (35.0, -0.12), (80.0, -0.12)],
)
def test_vix_adjusted_delta_table_edges(vix: float, delta: float) -> None:
    assert target_short_delta(UnderlyingParams(vix_adjusted_delta=True), vix) == delta


@pytest.mark.parametrize("vix", [None, math.nan, 0.0])
def test_vix_adjusted_delta_refuses_to_guess_without_vix(vix: float | None) -> None:
    params = UnderlyingParams(vix_adjusted_delta=True)
    with pytest.raises(InputError, match="VIX"):
        target_short_delta(params, vix)
    result = build_put_credit_spread(_put_chain(), params, vix)
    assert isinstance(result, NoSpread)
    assert "VIX" in result.reason


def test_nearest_delta_ties_go_further_out_of_the_money() -> None:
    chain = _put_chain(delta=[-0.06, -0.09, -0.14, -0.18, -0.21, -0.30])  # 5650 and 5700 both 0.02 away
    assert strike_nearest_delta(chain, Right.PUT, -0.16) == 2
    calls = _side(6, delta=[0.6, 0.4, 0.25, 0.18, 0.14, 0.09])  # 5700 and 5750 both 0.02 away
    chain = _slice(STRIKES, _side(6), calls)
    assert strike_nearest_delta(chain, Right.CALL, 0.16) == 4
    with pytest.raises(InputError, match="target delta"):
        strike_nearest_delta(chain, Right.CALL, -0.16)


# ----------------------------------------------------------------------------- put credit spread by hand


def test_put_credit_spread_by_hand() -> None:
    spread = build_put_credit_spread(_put_chain(), PARAMS, 16.0)
    assert isinstance(spread, Structure)
    short, long = spread.legs
    assert (short.strike, short.quantity, short.right) == (5700.0, -1, Right.PUT)
    assert (long.strike, long.quantity) == (5650.0, +1)
    assert short.delta == -0.155
    assert (short.bid, short.ask, long.bid, long.ask) == (12.20, 12.60, 9.60, 10.00)
    assert spread.kind is StructureKind.PUT_CREDIT_SPREAD
    assert spread.credit_mid == pytest.approx(12.40 - 9.80)
    assert spread.credit_natural == pytest.approx(12.20 - 10.00)
    assert spread.max_profit == pytest.approx(2.60)
    assert spread.max_loss == pytest.approx(47.40)
    assert spread.breakevens == pytest.approx((5697.40,))
    assert spread.delta == pytest.approx(0.155 - 0.12)
    assert spread.gamma == pytest.approx(0.0)
    assert spread.multiplier == 100
    assert spread.expiry == TODAY + timedelta(days=44)


def test_put_credit_spread_probability_is_lognormal_at_the_short_iv() -> None:
    chain = _put_chain()
    spread = build_put_credit_spread(chain, PARAMS)
    assert isinstance(spread, Structure)
    vol, t = 0.18, chain.time_to_expiry
    drift = (chain.rate - chain.dividend_yield - 0.5 * vol * vol) * t
    below = norm.cdf((math.log(spread.breakevens[0] / chain.spot) - drift) / (vol * math.sqrt(t)))
    assert spread.probability_of_profit == pytest.approx(1.0 - below, abs=1e-9)


def test_multiplier_and_width_come_from_the_parameters() -> None:
    params = UnderlyingParams(spread_width=100.0, multiplier=10)
    spread = build_put_credit_spread(_put_chain(), params)
    assert isinstance(spread, Structure)
    assert [leg.strike for leg in spread.legs] == [5700.0, 5600.0]
    assert spread.multiplier == 10
    assert spread.max_loss == pytest.approx(100.0 - (12.40 - 5.60))


def test_missing_long_strike_is_named() -> None:
    strikes = [5550.0, 5600.0, 5675.0, 5700.0, 5750.0, 5800.0]
    result = build_put_credit_spread(_put_chain(strikes), PARAMS)
    assert result == NoSpread(f"{NO_STRIKES}: long strike 5650 not listed")


def test_wide_long_leg_is_refused_per_leg() -> None:
    bid, ask = list(PUT_BID), list(PUT_ASK)
    bid[2], ask[2] = 8.50, 11.00  # 2.50 wide on a 9.75 mid: 25.6 %
    result = build_put_credit_spread(_put_chain(bid=bid, ask=ask), PARAMS)
    assert isinstance(result, NoSpread)
    assert result.reason.startswith(NO_STRIKES)
    assert "long 5650P" in result.reason
    assert "25.6%" in result.reason
    loose = UnderlyingParams(max_bid_ask_pct_of_premium=30.0)
    assert isinstance(build_put_credit_spread(_put_chain(bid=bid, ask=ask), loose), Structure)


def test_bid_ask_limit_is_strict() -> None:
    bid, ask = list(PUT_BID), list(PUT_ASK)
    bid[3], ask[3] = 9.0, 11.0  # 2.00 wide on a 10.00 mid: exactly 20 %
    assert isinstance(build_put_credit_spread(_put_chain(bid=bid, ask=ask), PARAMS), NoSpread)
    bid[3], ask[3] = 9.01, 10.99  # 19.8 %
    assert isinstance(build_put_credit_spread(_put_chain(bid=bid, ask=ask), PARAMS), Structure)


@pytest.mark.parametrize(
    ("index", "bid", "ask", "words"),
    [(3, math.nan, 12.6, "short 5700P has no valid quote"), (2, 0.0, 0.0, "long 5650P has no valid quote"),
     (2, 10.5, 10.0, "long 5650P has no valid quote"), (3, 12.2, math.inf, "short 5700P has no valid quote")],
)
def test_legs_without_valid_quotes_are_refused(index: int, bid: float, ask: float, words: str) -> None:
    bids, asks = list(PUT_BID), list(PUT_ASK)
    bids[index], asks[index] = bid, ask
    result = build_put_credit_spread(_put_chain(bid=bids, ask=asks), PARAMS)
    assert isinstance(result, NoSpread)
    assert words in result.reason


def test_zero_bid_long_leg_is_a_valid_quote_but_too_wide() -> None:
    bids, asks = list(PUT_BID), list(PUT_ASK)
    bids[2], asks[2] = 0.0, 0.05
    result = build_put_credit_spread(_put_chain(bid=bids, ask=asks), PARAMS)
    assert isinstance(result, NoSpread)
    assert "200.0%" in result.reason


def test_leg_without_greeks_is_refused() -> None:
    iv = [0.18] * 6
    iv[2] = math.nan
    result = build_put_credit_spread(_put_chain(iv=iv), PARAMS)
    assert isinstance(result, NoSpread)
    assert "long 5650P has no IV/Greeks" in result.reason


def test_no_deltas_no_spread_and_no_credit_no_spread() -> None:
    result = build_put_credit_spread(_put_chain(delta=[math.nan] * 6), PARAMS)
    assert isinstance(result, NoSpread)
    assert "no put has a delta" in result.reason
    bids, asks = list(PUT_BID), list(PUT_ASK)
    bids[2], asks[2] = 12.2, 12.6  # the long costs as much as the short
    result = build_put_credit_spread(_put_chain(bid=bids, ask=asks), PARAMS)
    assert isinstance(result, NoSpread)
    assert "no credit at mid" in result.reason


@settings(max_examples=50, deadline=None)
@given(
    short_mid=st.floats(1.0, 45.0), credit_fraction=st.floats(0.01, 0.99), half_width=st.floats(0.0, 0.09),
)
def test_put_credit_spread_invariants(short_mid: float, credit_fraction: float, half_width: float) -> None:
    long_mid = short_mid * (1.0 - credit_fraction)
    bid, ask = list(PUT_BID), list(PUT_ASK)
    bid[3], ask[3] = short_mid * (1 - half_width), short_mid * (1 + half_width)
    bid[2], ask[2] = long_mid * (1 - half_width), long_mid * (1 + half_width)
    spread = build_put_credit_spread(_put_chain(bid=bid, ask=ask), PARAMS)
    assert isinstance(spread, Structure), spread
    assert spread.credit_mid == pytest.approx(short_mid - long_mid)
    assert spread.max_profit + spread.max_loss == pytest.approx(50.0)
    assert spread.breakevens == pytest.approx((5700.0 - spread.credit_mid,))
    assert spread.credit_natural <= spread.credit_mid + 1e-12
    assert 0.0 <= spread.probability_of_profit <= 1.0


# ----------------------------------------------------------------------------- other structures by hand


def test_call_credit_spread_by_hand() -> None:
    chain = _condor_chain()
    spread = build_call_credit_spread(chain, PARAMS)
    assert isinstance(spread, Structure)
    assert spread.kind is StructureKind.CALL_CREDIT_SPREAD
    assert [(leg.strike, leg.quantity, leg.right) for leg in spread.legs] == [
        (5950.0, -1, Right.CALL), (6000.0, 1, Right.CALL)
    ]
    assert spread.credit_mid == pytest.approx(12.3 - 6.2)
    assert spread.credit_natural == pytest.approx(12.0 - 6.4)
    assert spread.max_loss == pytest.approx(50.0 - 6.1)
    assert spread.breakevens == pytest.approx((5956.1,))
    assert spread.delta == pytest.approx(-0.16 + 0.09)
    wider = build_call_credit_spread(chain, PARAMS, short_delta=0.25)
    assert isinstance(wider, Structure)
    assert [leg.strike for leg in wider.legs] == [5900.0, 5950.0]


def test_iron_condor_by_hand() -> None:
    chain = _condor_chain()
    condor = build_iron_condor(chain, -0.16, 0.16, 50.0)
    assert isinstance(condor, Structure)
    assert condor.kind is StructureKind.IRON_CONDOR
    assert [(leg.strike, leg.right, leg.quantity) for leg in condor.legs] == [
        (5550.0, Right.PUT, 1), (5600.0, Right.PUT, -1), (5950.0, Right.CALL, -1), (6000.0, Right.CALL, 1)
    ]
    credit = (11.3 - 8.2) + (12.3 - 6.2)
    assert condor.credit_mid == pytest.approx(credit)
    assert condor.credit_natural == pytest.approx((11.0 - 8.4) + (12.0 - 6.4))
    assert condor.max_profit == pytest.approx(credit)
    assert condor.max_loss == pytest.approx(50.0 - credit)
    assert condor.breakevens == pytest.approx((5600.0 - credit, 5950.0 + credit))
    t, r = chain.time_to_expiry, chain.rate - chain.dividend_yield

    def below(level: float, vol: float) -> float:
        drift = (r - vol * vol / 2) * t
        return float(norm.cdf((math.log(level / chain.spot) - drift) / (vol * math.sqrt(t))))

    expected = below(5950.0 + credit, 0.12) - below(5600.0 - credit, 0.22)
    assert condor.probability_of_profit == pytest.approx(expected, abs=1e-9)


def test_iron_condor_with_a_wider_call_wing_loses_the_wider_width() -> None:
    chain = _condor_chain()
    condor = build_iron_condor(chain, -0.16, 0.25, 50.0, call_width=100.0)
    assert isinstance(condor, Structure)
    assert _legs_by_strike(condor) == {5550.0: 1, 5600.0: -1, 5900.0: -1, 6000.0: 1}
    assert condor.max_loss == pytest.approx(100.0 - condor.credit_mid)


def test_iron_condor_refuses_crossed_shorts_and_missing_wings() -> None:
    chain = _condor_chain()
    crossed = build_iron_condor(chain, -0.60, 0.40, 50.0)
    assert isinstance(crossed, NoSpread)
    assert "short put 5900 is not below short call 5850" in crossed.reason
    missing = build_iron_condor(chain, -0.16, 0.70, 50.0)  # short call 5650, long call 5700
    assert missing == NoSpread(f"{NO_STRIKES}: long call strike 5700 not listed")


def test_put_broken_wing_butterfly_by_hand() -> None:
    chain = _condor_chain()
    fly = build_broken_wing_butterfly(chain, -0.16, near_width=50.0, far_width=100.0)
    assert isinstance(fly, Structure)
    assert fly.kind is StructureKind.BROKEN_WING_BUTTERFLY
    assert [(leg.strike, leg.quantity) for leg in fly.legs] == [(5500.0, 1), (5600.0, -2), (5650.0, 1)]
    credit = 2 * 11.3 - 15.4 - 6.2
    assert fly.credit_mid == pytest.approx(credit)
    assert fly.credit_natural == pytest.approx(2 * 11.0 - 15.8 - 6.4)
    assert fly.max_profit == pytest.approx(50.0 + credit)  # at the body
    assert fly.max_loss == pytest.approx(100.0 - 50.0 - credit)  # below the far wing
    assert fly.breakevens == pytest.approx((5550.0 - credit,))
    assert fly.delta == pytest.approx(-0.08 + 0.32 - 0.22)
    assert 0.0 < fly.probability_of_profit < 1.0


def test_call_broken_wing_butterfly_mirrors_the_put() -> None:
    fly = build_broken_wing_butterfly(_condor_chain(), 0.25, 50.0, 100.0, right=Right.CALL)
    assert isinstance(fly, Structure)
    assert [(leg.strike, leg.right, leg.quantity) for leg in fly.legs] == [
        (5850.0, Right.CALL, 1), (5900.0, Right.CALL, -2), (6000.0, Right.CALL, 1)
    ]
    missing = build_broken_wing_butterfly(_condor_chain(), -0.16, 50.0, 75.0)
    assert missing == NoSpread(f"{NO_STRIKES}: far wing strike 5525 not listed")
    with pytest.raises(InputError):
        build_broken_wing_butterfly(_condor_chain(), -0.16, 0.0, 100.0)


# ----------------------------------------------------------------------------- modelled chains


@pytest.fixture(scope="module")
def source() -> ModelledChainSource:
    return ModelledChainSource(load_history())


def _chain_near_45(source: ModelledChainSource, day: date) -> ChainSlice:
    expiration = select_expiry(source.expirations(day), day, PARAMS)
    assert expiration is not None
    return source.slice_at(day, expiration)


@pytest.mark.parametrize("day", DAYS)
def test_put_credit_spread_on_modelled_chains(source: ModelledChainSource, day: date) -> None:
    chain = _chain_near_45(source, day)
    assert 30 <= chain.dte <= 60
    spread = build_put_credit_spread(chain, PARAMS, source.market_on(day).vix)
    assert isinstance(spread, Structure), spread
    short, long = spread.legs
    expected_short = chain.strikes[np.nanargmin(np.abs(chain.puts.delta + 0.16))]
    assert short.strike == expected_short
    assert long.strike == short.strike - 50.0
    assert short.strike < chain.spot
    assert spread.credit_mid == pytest.approx(short.mid - long.mid)
    assert spread.credit_natural == pytest.approx(short.bid - long.ask)
    assert spread.credit_natural <= spread.credit_mid
    assert spread.max_loss == pytest.approx(50.0 - spread.credit_mid)
    assert spread.breakevens == pytest.approx((short.strike - spread.credit_mid,))
    assert 0.6 < spread.probability_of_profit < 0.95
    assert spread.delta == pytest.approx(-short.delta + long.delta)
    assert spread.theta > 0.0
    assert spread.vega < 0.0


def test_vix_adjusted_delta_on_the_2008_crash_chain(source: ModelledChainSource) -> None:
    day = date(2008, 10, 10)
    chain = _chain_near_45(source, day)
    vix = source.market_on(day).vix  # 69.95 -> -0.12
    short_strike = float(chain.strikes[np.nanargmin(np.abs(chain.puts.delta + 0.12))])
    # 50 below the -0.12 put falls between the era's 25-point strikes down there
    refused = build_put_credit_spread(chain, UnderlyingParams(vix_adjusted_delta=True), vix)
    assert refused == NoSpread(f"{NO_STRIKES}: long strike {short_strike - 50:g} not listed")
    width = next(float(w) for w in range(25, 101, 5) if short_strike - w in chain.strikes)
    params = UnderlyingParams(vix_adjusted_delta=True, spread_width=width)
    spread = build_put_credit_spread(chain, params, vix)
    assert isinstance(spread, Structure), spread
    assert [leg.strike for leg in spread.legs] == [short_strike, short_strike - width]
    assert spread.legs[0].delta == pytest.approx(-0.12, abs=0.02)


@pytest.mark.parametrize("day", DAYS)
def test_condors_and_call_spreads_on_modelled_chains(source: ModelledChainSource, day: date) -> None:
    chain = _chain_near_45(source, day)
    call_spread = build_call_credit_spread(chain, PARAMS)
    condor = build_iron_condor(chain, -0.16, 0.16, 50.0)
    assert isinstance(call_spread, Structure), call_spread
    assert isinstance(condor, Structure), condor
    assert call_spread.legs[1].strike == call_spread.legs[0].strike + 50.0
    assert condor.max_loss == pytest.approx(50.0 - condor.credit_mid)
    lower, upper = condor.breakevens
    assert lower < chain.spot < upper
    assert 0.5 < condor.probability_of_profit < 0.9


def test_broken_wing_butterfly_on_modelled_chains(source: ModelledChainSource) -> None:
    fly = build_broken_wing_butterfly(_chain_near_45(source, date(2024, 6, 14)), -0.20, 50.0, 100.0)
    assert isinstance(fly, Structure), fly
    lower, body, upper = fly.legs
    assert (body.quantity, upper.strike - body.strike, body.strike - lower.strike) == (-2, 50.0, 100.0)
    assert fly.max_loss == pytest.approx(50.0 - fly.credit_mid)
    crash = build_broken_wing_butterfly(_chain_near_45(source, date(2008, 10, 10)), -0.20, 50.0, 100.0)
    assert isinstance(crash, NoSpread)  # the 2008 grid has 25-point strikes down there
    assert "far wing strike" in crash.reason
