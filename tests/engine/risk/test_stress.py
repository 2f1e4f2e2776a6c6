"""Stress scenarios of 003 §3.4: shocks, revaluation against a hand-written BSM, report shape."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engine.data.chain_model import MarketInputs
from engine.data.surface import build_surface
from engine.errors import InputError
from engine.model import Leg, Position, Right, Structure, StructureKind
from engine.risk.stress import (
    MarketPoint,
    Scenario,
    StressReport,
    revalue,
    settlement_moment,
    shock_of,
)
from tests.engine.risk.builders import position, spread

NY = ZoneInfo("America/New_York")
AS_OF = datetime(2026, 2, 13, 16, 0, tzinfo=NY)  # a Friday close
EXPIRY_45 = date(2026, 3, 30)  # Monday SPXW, PM-settled: exactly 45 days after AS_OF
MARKET = MarketPoint(AS_OF, 5800.0, 15.0, 13.5, 17.0, 140.0, 0.04, 0.013)


def put_spread(short_strike: float, contracts: int = 1, credit: float = 2.60, pid: str = "P1") -> Position:
    """Return a 50-wide SPX put credit spread expiring EXPIRY_45, sold for `credit`."""
    structure = spread(short_strike=short_strike, expiry=EXPIRY_45, credit=credit, max_loss=50.0 - credit)
    return position(pid, contracts, structure)


def fair_put_spread(short_strike: float, contracts: int = 1) -> Position:
    """Return the put spread sold at the model's own value at MARKET (so max loss = width - fair credit)."""
    before = revalue([put_spread(short_strike)], MARKET, Scenario.VOL_SPIKE).rows[0].value_before
    return put_spread(short_strike, contracts, credit=-before / 100.0)


# --- an independent BSM, scalar, from the textbook formula ------------------------------------------


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def bsm_put(spot: float, strike: float, t: float, r: float, q: float, vol: float) -> tuple[float, float]:
    """Return a European put's price and delta (Black-Scholes-Merton with dividend yield)."""
    d1 = (math.log(spot / strike) + (r - q + vol * vol / 2.0) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    price = strike * math.exp(-r * t) * norm_cdf(-d2) - spot * math.exp(-q * t) * norm_cdf(-d1)
    return price, -math.exp(-q * t) * norm_cdf(-d1)


def spread_by_hand(spot: float, vix: float, vix9d: float, vix3m: float) -> tuple[float, float]:
    """Return the 5450/5400 put spread's value and delta per unit for the holder of the short spread."""
    t = 45.0 / 365.0
    forward = spot * math.exp((0.04 - 0.013) * t)
    vols = build_surface(vix, vix9d, vix3m, 140.0).vols(np.array([5450.0, 5400.0]), forward, t)
    short, short_delta = bsm_put(spot, 5450.0, t, 0.04, 0.013, float(vols[0]))
    long, long_delta = bsm_put(spot, 5400.0, t, 0.04, 0.013, float(vols[1]))
    return -(short - long), -(short_delta - long_delta)


# --- shocks ---------------------------------------------------------------------------------------


def test_flash_crash_moves_spot_10pct_and_vix_to_at_least_50() -> None:
    after = MARKET.shocked(shock_of("flash-crash"))
    # VIX 15 + 2.5 x 10 = 40 < 50: the floor sets 50, a change of 35 points
    assert (after.spot, after.vix) == pytest.approx((5220.0, 50.0))
    assert (after.vix9d, after.vix3m) == pytest.approx((13.5 + 1.5 * 35.0, 17.0 + 0.7 * 35.0))
    assert (after.skew, after.rate, after.dividend_yield, after.as_of) == (140.0, 0.04, 0.013, AS_OF)


def test_flash_crash_from_high_vix_uses_the_spot_vol_rule() -> None:
    high = MarketPoint(AS_OF, 5800.0, 40.0, 45.0, 35.0, 120.0, 0.04, 0.013)
    assert high.shocked(shock_of(Scenario.FLASH_CRASH)).vix == pytest.approx(65.0)


def test_vol_spike_keeps_spot_and_never_lowers_vix() -> None:
    after = MARKET.shocked(shock_of(Scenario.VOL_SPIKE))
    assert (after.spot, after.vix) == pytest.approx((5800.0, 50.0))
    calm_already_wild = MarketPoint(AS_OF, 5800.0, 60.0, 70.0, 50.0, 120.0, 0.04, 0.013)
    assert calm_already_wild.shocked(shock_of(Scenario.VOL_SPIKE)).vix == 60.0


def test_gap_down_moves_spot_5pct_and_vix_12_5_points_without_floor() -> None:
    after = MARKET.shocked(shock_of(Scenario.GAP_DOWN))
    assert (after.spot, after.vix, after.vix9d, after.vix3m) == pytest.approx((5510.0, 27.5, 32.25, 25.75))


def test_an_unpublished_index_stays_unpublished() -> None:
    early = MarketPoint(AS_OF, 1100.0, 25.0, math.nan, math.nan, math.nan, 0.02, 0.02)
    after = early.shocked(shock_of(Scenario.FLASH_CRASH))
    assert math.isnan(after.vix9d)
    assert math.isnan(after.vix3m)
    assert after.vix == 50.0


# --- revaluation ----------------------------------------------------------------------------------


def test_flash_crash_loses_money_bounded_by_max_loss() -> None:
    held = fair_put_spread(5450.0, contracts=2)
    row = revalue([held], MARKET, Scenario.FLASH_CRASH).rows[0]
    assert row.pnl < -1000.0  # both strikes end in the money at VIX 50
    assert -row.pnl <= held.max_loss_dollars
    assert row.max_loss == pytest.approx((50.0 - held.entry_credit) * 100.0 * 2)


def test_vol_spike_loses_less_than_flash_crash_for_an_otm_put_spread() -> None:
    held = [put_spread(5450.0)]
    spike = revalue(held, MARKET, Scenario.VOL_SPIKE).total_pnl
    crash = revalue(held, MARKET, Scenario.FLASH_CRASH).total_pnl
    assert crash < spike < 0.0


def test_gap_down_pnl_and_delta_match_a_scalar_bsm() -> None:
    report = revalue([put_spread(5450.0, contracts=3)], MARKET, Scenario.GAP_DOWN)
    value_before, _ = spread_by_hand(5800.0, 15.0, 13.5, 17.0)
    value_after, delta_after = spread_by_hand(5510.0, 27.5, 32.25, 25.75)
    row = report.rows[0]
    assert row.value_before == pytest.approx(value_before * 300.0, rel=1e-9)
    assert row.pnl == pytest.approx((value_after - value_before) * 300.0, rel=1e-9)
    assert row.greeks_after.delta == pytest.approx(delta_after * 300.0, rel=1e-9)


def test_totals_are_the_sums_of_the_rows() -> None:
    book = [put_spread(5450.0, 2, pid="A"), put_spread(5000.0, 1, pid="B"), put_spread(5600.0, 4, pid="C")]
    report = revalue(book, MARKET, Scenario.FLASH_CRASH)
    assert [row.position_id for row in report.rows] == ["A", "B", "C"]
    assert report.total_pnl == pytest.approx(sum(row.pnl for row in report.rows))
    for name in ("delta", "gamma", "theta", "vega"):
        after = sum(getattr(row.greeks_after, name) for row in report.rows)
        before = sum(getattr(row.greeks_before, name) for row in report.rows)
        assert getattr(report.total_greeks_after, name) == pytest.approx(after)
        assert getattr(report.total_greeks_before, name) == pytest.approx(before)


def test_a_position_scales_with_contracts() -> None:
    one = revalue([put_spread(5450.0, 1)], MARKET, Scenario.GAP_DOWN).rows[0]
    five = revalue([put_spread(5450.0, 5)], MARKET, Scenario.GAP_DOWN).rows[0]
    assert five.pnl == pytest.approx(5 * one.pnl)
    assert five.greeks_after.vega == pytest.approx(5 * one.greeks_after.vega)


def test_short_put_spread_delta_grows_after_a_crash_towards_it() -> None:
    far = revalue([put_spread(5000.0)], MARKET, Scenario.FLASH_CRASH).rows[0]
    assert 0.0 < far.greeks_before.delta < far.greeks_after.delta
    tested = revalue([put_spread(5450.0)], MARKET, Scenario.GAP_DOWN).rows[0]
    assert 0.0 < tested.greeks_before.delta < tested.greeks_after.delta


def test_short_call_spread_gains_in_a_crash() -> None:
    legs = tuple(
        Leg(Right.CALL, strike, EXPIRY_45, qty, 1.0, 1.1, 1.05, 0.15, 0.2, 0.001, -0.5, 5.0)
        for strike, qty in ((6000.0, -1), (6050.0, 1))
    )
    structure = Structure(
        StructureKind.CALL_CREDIT_SPREAD, "SPX", legs, 2.0, 1.8, 2.0, 48.0, (6002.0,), 0.8, -0.05,
        -0.0004, 0.2, -0.3,
    )
    row = revalue([position("C1", 1, structure)], MARKET, Scenario.FLASH_CRASH).rows[0]
    assert row.value_before < 0.0
    assert row.pnl > 0.0
    assert row.pnl <= -row.value_before
    assert row.greeks_before.delta < 0.0


def test_empty_portfolio_has_zero_totals() -> None:
    report = revalue([], MARKET, Scenario.FLASH_CRASH)
    assert report.rows == ()
    assert report.total_pnl == 0.0
    assert report.total_max_loss == 0.0
    assert report.total_greeks_after.delta == 0.0
    assert report.total_greeks_before.vega == 0.0
    assert "TOTAL" in report.to_text()


# --- settlement and bad input ---------------------------------------------------------------------


def test_settlement_moment_am_monthly_pm_otherwise() -> None:
    assert settlement_moment(date(2026, 3, 20)) == datetime(2026, 3, 20, 9, 30, tzinfo=NY)  # 3rd Friday
    assert settlement_moment(EXPIRY_45) == datetime(2026, 3, 30, 16, 0, tzinfo=NY)
    # Good Friday 2025 was the third Friday: the monthly expired AM on the Thursday before
    assert settlement_moment(date(2025, 4, 17)) == datetime(2025, 4, 17, 9, 30, tzinfo=NY)
    # a leg that names its class: the third-Friday SPXW settles on the close
    assert settlement_moment(date(2026, 3, 20), "SPXW") == datetime(2026, 3, 20, 16, 0, tzinfo=NY)
    assert settlement_moment(EXPIRY_45, "SPX") == datetime(2026, 3, 30, 9, 30, tzinfo=NY)


def test_expired_leg_raises_naming_the_expiry() -> None:
    structure = spread(expiry=date(2026, 2, 12))
    with pytest.raises(InputError, match="expiry") as caught:
        revalue([position("OLD", 1, structure)], MARKET, Scenario.GAP_DOWN)
    assert caught.value.field == "expiry"
    assert caught.value.value == "2026-02-12"
    assert "position OLD leg 0" in str(caught.value)


def test_am_monthly_has_settled_after_0930_on_its_day() -> None:
    at_noon = MarketPoint(datetime(2026, 3, 20, 12, 0, tzinfo=NY), 5800.0, 15.0, 13.5, 17.0, 140.0, 0.04, 0.0)
    with pytest.raises(InputError, match="has settled"):
        revalue([position("M", 1, spread(expiry=date(2026, 3, 20)))], at_noon, Scenario.VOL_SPIKE)


def test_third_friday_spxw_leg_is_still_live_at_noon() -> None:
    at_noon = MarketPoint(datetime(2026, 3, 20, 12, 0, tzinfo=NY), 5800.0, 15.0, 13.5, 17.0, 140.0, 0.04, 0.0)
    pm = spread(expiry=date(2026, 3, 20), short_strike=5800.0)
    pm = replace(pm, legs=tuple(replace(leg, trading_class="SPXW") for leg in pm.legs))
    row = revalue([position("W", 1, pm)], at_noon, Scenario.GAP_DOWN).rows[0]
    assert row.pnl < 0.0


def test_leg_on_a_holiday_or_of_an_unknown_class_raises_naming_the_leg() -> None:
    with pytest.raises(InputError, match="position H leg 0"):
        revalue([position("H", 1, spread(expiry=date(2026, 4, 3)))], MARKET, Scenario.VOL_SPIKE)
    odd = spread(expiry=EXPIRY_45)
    odd = replace(odd, legs=(replace(odd.legs[0], trading_class="XSP"), odd.legs[1]))
    with pytest.raises(InputError, match="trading_class") as caught:
        revalue([position("K", 1, odd)], MARKET, Scenario.VOL_SPIKE)
    assert caught.value.where == "position K leg 0"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("spot", {"spot": math.nan}),
        ("spot", {"spot": -1.0}),
        ("vix", {"vix": math.inf}),
        ("vix9d", {"vix9d": 0.0}),
        ("rate", {"rate": math.nan}),
    ],
)
def test_bad_market_point_raises_naming_the_field(field: str, kwargs: dict[str, float]) -> None:
    values = {"spot": 5800.0, "vix": 15.0, "vix9d": 13.5, "vix3m": 17.0, "skew": 140.0, "rate": 0.04,
              "dividend_yield": 0.013} | kwargs
    with pytest.raises(InputError) as caught:
        MarketPoint(AS_OF, **values)
    assert caught.value.field == field


def test_naive_time_unknown_scenario_and_other_underlying_raise() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        MarketPoint(datetime(2026, 2, 13, 16, 0), 5800.0, 15.0, 13.5, 17.0, 140.0, 0.04, 0.013)  # noqa: DTZ001
    with pytest.raises(InputError, match="flash-crash, vol-spike, gap-down"):
        revalue([], MARKET, "meteor")
    with pytest.raises(InputError, match="underlying"):
        revalue([position("X", 1, spread(underlying="XSP", expiry=EXPIRY_45))], MARKET, "gap-down")


def test_market_point_from_modelled_inputs() -> None:
    inputs = MarketInputs(AS_OF.date(), AS_OF, 5800.0, 15.0, 13.5, 17.0, 140.0, 0.04, 0.013)
    assert MarketPoint.from_inputs(inputs) == MARKET


# --- report ---------------------------------------------------------------------------------------


def report_of_two() -> StressReport:
    return revalue([put_spread(5450.0, 2, pid="A"), put_spread(5000.0, 1, pid="B")], MARKET, "flash-crash")


def test_to_json_is_json_ready_and_rounded() -> None:
    report = report_of_two()
    data = json.loads(json.dumps(report.to_json()))
    assert data["scenario"] == "flash-crash"
    assert data["shock"]["spot_change_pct"] == -10.0
    assert data["market_after"]["vix"] == 50.0
    assert data["market_after"]["spot"] == 5220.0
    assert [row["position_id"] for row in data["positions"]] == ["A", "B"]
    assert data["total_pnl"] == round(report.total_pnl, 2)
    assert data["positions"][0]["greeks_after"]["delta"] == round(report.rows[0].greeks_after.delta, 4)


def test_to_text_lists_every_position_and_the_total() -> None:
    text = report_of_two().to_text()
    assert "flash-crash" in text
    assert "VIX 15.00 -> 50.00" in text
    assert "SPX 5800.00 -> 5220.00" in text
    lines = text.splitlines()
    assert any(line.startswith("A ") for line in lines)
    assert any(line.startswith("B ") for line in lines)
    assert any(line.startswith("TOTAL") for line in lines)
