"""The risk manager's veto: each limit at, just below and just above its threshold."""

from __future__ import annotations

import inspect
from datetime import date

import pytest

from engine.config import ConfigError, LimitParams, Settings, UnderlyingParams
from engine.errors import InputError
from engine.model import Regime
from engine.risk import BreakerState, ManualAction, NetGreeks, RiskManager
from engine.risk.limits import ENTRY_CHECKS
from tests.engine.risk.builders import portfolio, position, spread

DAY = date(2026, 2, 18)
DEFAULT = Settings()


def _verdict(settings: Settings = DEFAULT, structure=None, contracts: int = 1, book=None):  # type: ignore[no-untyped-def]
    return RiskManager(settings).check_entry(structure or spread(), contracts, book or portfolio(), DAY)


def _limits(**changes: float) -> Settings:
    return Settings(limits=LimitParams(**changes))


def test_a_small_trade_in_an_empty_book_is_approved() -> None:
    verdict = _verdict()
    assert verdict.approved
    assert verdict.detail == f"all {len(ENTRY_CHECKS)} risk limits pass"


# --- halts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pnl_today", "approved"), [(-9_999.0, True), (-10_000.0, False), (-10_001.0, False)]
)
def test_daily_loss_limit_halts_once_the_loss_reaches_it(pnl_today: float, approved: bool) -> None:
    # start-of-day equity 500,000: a 2 % loss is exactly $10,000
    book = portfolio(equity=500_000.0 + pnl_today, pnl_today=pnl_today)
    verdict = _verdict(book=book)
    assert verdict.approved is approved
    if not approved:
        assert verdict.limit == "daily loss limit"
        assert verdict.value == pytest.approx(-pnl_today / 5_000.0)
        assert verdict.threshold == 2.0
        assert "loss of start-of-day equity" in verdict.detail


@pytest.mark.parametrize(
    ("pnl_week", "approved"), [(-24_999.0, True), (-25_000.0, False), (-25_001.0, False)]
)
def test_weekly_loss_limit_halts_once_the_loss_reaches_it(pnl_week: float, approved: bool) -> None:
    book = portfolio(equity=500_000.0 + pnl_week, pnl_week=pnl_week)
    verdict = _verdict(book=book)
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.threshold) == ("weekly loss limit", 5.0)
        assert verdict.value == pytest.approx(-pnl_week / 5_000.0)


@pytest.mark.parametrize(("pnl_today", "approved"), [(5_999.0, True), (6_000.0, False), (6_001.0, False)])
def test_daily_profit_stop_when_enabled(pnl_today: float, approved: bool) -> None:
    settings = _limits(daily_profit_stop_enabled=True, daily_profit_stop_pct=1.2)
    verdict = _verdict(settings, book=portfolio(equity=500_000.0 + pnl_today, pnl_today=pnl_today))
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.threshold) == ("daily profit stop", 1.2)
        assert verdict.value == pytest.approx(pnl_today / 5_000.0)


def test_daily_profit_stop_is_off_by_default() -> None:
    assert _verdict(book=portfolio(equity=520_000.0, pnl_today=20_000.0)).approved


def test_a_tripped_breaker_vetoes_until_its_date() -> None:
    tripped = BreakerState(3, ("L", "L", "L"), date(2026, 2, 17), date(2026, 2, 24))
    manager = RiskManager(DEFAULT)
    verdict = manager.check_entry(spread(), 1, portfolio(breaker=tripped), date(2026, 2, 24))
    assert not verdict.approved
    assert (verdict.limit, verdict.value, verdict.threshold) == ("circuit breaker", 3.0, 3.0)
    assert "tripped until 2026-02-24" in verdict.detail
    assert manager.check_entry(spread(), 1, portfolio(breaker=tripped), date(2026, 2, 25)).approved


def test_a_manual_halt_vetoes_and_names_who() -> None:
    halted = BreakerState(manual_halt=ManualAction("ana", "FOMC day", date(2026, 2, 18)))
    verdict = _verdict(book=portfolio(breaker=halted))
    assert (verdict.approved, verdict.limit) == (False, "circuit breaker")
    assert "halted by ana" in verdict.detail
    assert "FOMC day" in verdict.detail


@pytest.mark.parametrize(
    ("regime", "approved"),
    [
        (None, True),
        (Regime.BULLISH_CALM, True),
        (Regime.HIGH_VOL, True),
        (Regime.CRISIS, False),
        (Regime.BEAR_TREND, False),
    ],
)
def test_crisis_and_bear_trend_halt_entries(regime: Regime | None, approved: bool) -> None:
    verdict = _verdict(book=portfolio(regime=regime))
    assert verdict.approved is approved
    if not approved:
        assert verdict.limit == "regime"


# --- capacity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("open_now", "approved"), [(1, True), (2, True), (3, False)])
def test_capacity_per_underlying(open_now: int, approved: bool) -> None:
    book = portfolio(tuple(position(f"P{i}") for i in range(open_now)))
    verdict = _verdict(book=book)
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.value, verdict.threshold) == ("capacity per underlying", 4.0, 3.0)
        assert verdict.detail == "would be 4 open SPX positions (max 3)"


THREE_UNDERLYINGS = Settings(underlyings={name: UnderlyingParams() for name in ("SPX", "NDX", "RUT")})


@pytest.mark.parametrize(("open_now", "approved"), [(6, True), (7, True), (8, False)])
def test_capacity_total(open_now: int, approved: bool) -> None:
    names = ["SPX"] * 3 + ["NDX"] * 3 + ["RUT"] * 2
    positions = tuple(position(f"P{i}", structure=spread(underlying=names[i])) for i in range(open_now))
    # RUT holds at most 2 of its 3, so only the total can bind
    verdict = _verdict(THREE_UNDERLYINGS, spread(underlying="RUT"), book=portfolio(positions))
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.value, verdict.threshold) == ("capacity total", 9.0, 8.0)


# --- heat -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("new_max_loss", "approved"), [(29.0, True), (30.0, True), (31.0, False)])
def test_portfolio_heat_after_the_trade(new_max_loss: float, approved: bool) -> None:
    # equity 100,000; open: 3 contracts x $4,000 = 12 %; new: 1 contract x $100 x max loss points
    held = position("P1", contracts=3, structure=spread(max_loss=40.0))
    verdict = _verdict(structure=spread(max_loss=new_max_loss), book=portfolio((held,), equity=100_000.0))
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.threshold) == ("portfolio heat", 15.0)
        assert verdict.value == pytest.approx(15.1)
        assert verdict.detail == "heat would be 15.1 % of equity > 15.0 %"


def test_heat_counts_the_credit_actually_received() -> None:
    # filled 0.40 worse than mid: the position's max loss is 0.40 points larger per unit
    held = position("P1", contracts=3, structure=spread(max_loss=40.0, credit=2.60), entry_credit=2.20)
    verdict = _verdict(structure=spread(max_loss=30.0), book=portfolio((held,), equity=100_000.0))
    assert (verdict.approved, verdict.limit) == (False, "portfolio heat")
    assert verdict.value == pytest.approx(15.12)


# --- aggregate delta (002 §8.3) ---------------------------------------------------------------


@pytest.mark.parametrize(("new_delta", "approved"), [(0.049, True), (0.05, True), (0.051, False)])
def test_aggregate_delta_after_the_trade(new_delta: float, approved: bool) -> None:
    # equity 500k, risk 2 %: a $10,000 max loss is one standard risk unit (weight 1)
    held = position("P1", contracts=2, structure=spread(max_loss=50.0, delta=0.45))
    new = spread(max_loss=50.0, delta=new_delta)
    verdict = _verdict(structure=new, contracts=2, book=portfolio((held,)))
    assert verdict.approved is approved
    if not approved:
        assert verdict.limit == "aggregate delta"
        assert verdict.value == pytest.approx(-0.501)
        assert verdict.threshold == -0.50


def test_aggregate_delta_uses_current_greeks_when_known() -> None:
    held = position("P1", contracts=2, structure=spread(max_loss=50.0, delta=0.05))
    book = portfolio((held,), current_greeks={"P1": NetGreeks(delta=0.46)})
    verdict = _verdict(structure=spread(max_loss=50.0, delta=0.05), contracts=2, book=book)
    assert (verdict.approved, verdict.limit) == (False, "aggregate delta")
    assert verdict.value == pytest.approx(-0.51)


def test_eight_fresh_full_size_spreads_stay_inside_the_aggregate_delta_limit() -> None:
    # 002's steady state: 8 positions of 2 x (47.40 max loss, net delta 0.06) on $500k
    names = ["SPX"] * 3 + ["NDX"] * 3 + ["RUT"]
    book = portfolio(
        tuple(position(f"P{i}", 2, spread(underlying=n, delta=0.06)) for i, n in enumerate(names))
    )
    readings = RiskManager(THREE_UNDERLYINGS).readings(spread(underlying="RUT", delta=0.06), 2, book, DAY)
    aggregate = next(r for r in readings if r.limit == "aggregate delta")
    assert not aggregate.breached
    assert aggregate.value == pytest.approx(-8 * 0.06 * 0.948)


# --- Greek caps (003 §3.2) --------------------------------------------------------------------


@pytest.mark.parametrize(("contracts", "approved"), [(4, True), (5, True), (6, False)])
def test_delta_per_trade_in_share_equivalents(contracts: int, approved: bool) -> None:
    structure = spread(delta=0.06, vega=-0.1)  # 6 share-equivalents per contract
    verdict = _verdict(structure=structure, contracts=contracts)
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.value, verdict.threshold) == (
            "delta per trade",
            pytest.approx(36.0),
            30.0,
        )


@pytest.mark.parametrize(("contracts", "approved"), [(1, True), (2, True), (3, False)])
def test_vega_per_trade_in_dollars_per_vol_point(contracts: int, approved: bool) -> None:
    verdict = _verdict(structure=spread(vega=-5.0), contracts=contracts)  # $500 per contract
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.value, verdict.threshold) == (
            "vega per trade",
            pytest.approx(1500.0),
            1000.0,
        )


@pytest.mark.parametrize(("new_delta", "approved"), [(0.04, True), (0.05, True), (0.06, False)])
def test_portfolio_delta_after_the_trade(new_delta: float, approved: bool) -> None:
    held = position("P1", contracts=3, structure=spread(delta=0.05))  # 15 share-equivalents
    verdict = _verdict(_limits(max_portfolio_delta=20.0), spread(delta=new_delta), book=portfolio((held,)))
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.value, verdict.threshold) == (
            "portfolio delta",
            pytest.approx(21.0),
            20.0,
        )


@pytest.mark.parametrize(("new_gamma", "approved"), [(-0.0009, True), (-0.001, True), (-0.0011, False)])
def test_portfolio_gamma_after_the_trade(new_gamma: float, approved: bool) -> None:
    held = position("P1", contracts=4)
    book = portfolio((held,), current_greeks={"P1": NetGreeks(delta=0.05, gamma=-0.001, vega=-0.3)})
    verdict = _verdict(_limits(max_portfolio_gamma=0.5), spread(gamma=new_gamma), book=book)
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.value, verdict.threshold) == (
            "portfolio gamma",
            pytest.approx(0.51),
            0.5,
        )


@pytest.mark.parametrize(("new_vega", "approved"), [(-0.49, True), (-0.5, True), (-0.51, False)])
def test_portfolio_vega_after_the_trade(new_vega: float, approved: bool) -> None:
    held = position("P1", contracts=3, structure=spread(vega=-0.5))  # -$150 per vol point
    verdict = _verdict(_limits(max_portfolio_vega=200.0), spread(vega=new_vega), book=portfolio((held,)))
    assert verdict.approved is approved
    if not approved:
        assert (verdict.limit, verdict.value, verdict.threshold) == (
            "portfolio vega",
            pytest.approx(201.0),
            200.0,
        )


def test_a_trade_that_brings_an_over_limit_book_back_passes() -> None:
    held = position("P1", contracts=6, structure=spread(delta=0.05))  # 30 > 20 already
    settings = _limits(max_portfolio_delta=20.0)
    hedge = spread(delta=-0.05)  # e.g. a call credit spread: -5 share-equivalents
    assert _verdict(settings, hedge, book=portfolio((held,))).approved
    adds = _verdict(settings, spread(delta=0.01), book=portfolio((held,)))
    assert (adds.approved, adds.limit) == (False, "portfolio delta")


# --- order, manual trades, exits, bad input ---------------------------------------------------


def test_account_halts_are_reported_before_trade_limits() -> None:
    full = tuple(position(f"P{i}") for i in range(3))
    tripped = BreakerState(3, ("L", "L", "L"), DAY, date(2026, 2, 25))
    loss_day = portfolio(full, equity=480_000.0, pnl_today=-20_000.0)
    assert _verdict(book=loss_day).limit == "daily loss limit"
    both = portfolio(full, equity=480_000.0, pnl_today=-20_000.0, breaker=tripped)
    assert _verdict(book=both).limit == "circuit breaker"


def test_a_manual_order_is_vetoed_the_same_way() -> None:
    # a spread the trader built by clicking strikes: nothing marks it as manual, nothing can
    full = portfolio(tuple(position(f"P{i}") for i in range(3)))
    manual = spread(short_strike=5600.0, credit=1.85, max_loss=48.15)
    proposed = _verdict(book=full)
    clicked = _verdict(structure=manual, book=full)
    assert (clicked.approved, clicked.limit, clicked.value, clicked.threshold) == (
        proposed.approved,
        proposed.limit,
        proposed.value,
        proposed.threshold,
    )
    assert list(inspect.signature(RiskManager.check_entry).parameters) == [
        "self",
        "structure",
        "contracts",
        "portfolio",
        "day",
    ]


def test_readings_list_every_limit_in_order() -> None:
    readings = RiskManager(DEFAULT).readings(spread(), 1, portfolio(), DAY)
    assert [r.limit for r in readings] == [
        "circuit breaker",
        "regime",
        "daily loss limit",
        "weekly loss limit",
        "daily profit stop",
        "capacity per underlying",
        "capacity total",
        "portfolio heat",
        "aggregate delta",
        "delta per trade",
        "vega per trade",
        "portfolio delta",
        "portfolio gamma",
        "portfolio vega",
    ]
    assert not any(r.breached for r in readings)


def test_closing_is_always_allowed() -> None:
    held = position("P1", contracts=3)
    manager = RiskManager(_limits(max_portfolio_delta=1.0))
    # whatever the book looks like, check_exit does not even take it: nothing can block a close
    assert manager.check_exit(held).approved
    assert manager.check_exit(held, 1).approved
    assert manager.check_exit(held, 3).approved


def test_closing_more_than_held_is_not_a_close() -> None:
    verdict = RiskManager(DEFAULT).check_exit(position("P1", contracts=2), 3)
    assert (verdict.approved, verdict.limit, verdict.value, verdict.threshold) == (
        False,
        "not a closing order",
        3.0,
        2.0,
    )


@pytest.mark.parametrize("contracts", [0, -1, True])
def test_contracts_must_be_a_positive_whole_number(contracts: int) -> None:
    with pytest.raises(InputError, match="contracts"):
        _verdict(contracts=contracts)
    with pytest.raises(InputError, match="contracts"):
        RiskManager(DEFAULT).check_exit(position(), contracts)


def test_an_unknown_underlying_names_itself() -> None:
    with pytest.raises(ConfigError, match="'XSP'"):
        _verdict(structure=spread(underlying="XSP"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"equity": 0.0}, "equity"), ({"equity": 1_000.0, "pnl_today": 1_000.0}, "start of the day")],
)
def test_a_snapshot_without_positive_equity_is_refused(changes: dict[str, float], field: str) -> None:
    with pytest.raises(InputError, match=field):
        portfolio(**changes)  # type: ignore[arg-type]
