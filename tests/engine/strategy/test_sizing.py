"""Position sizing: 002's max-loss rule and its drawdown scaling, seed 001's alternatives."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.config import ConfigError, UnderlyingParams
from engine.errors import InputError
from engine.model import Structure, StructureKind
from engine.strategy.sizing import (
    DrawdownAdjustedSizer,
    FixedSizer,
    KellySizer,
    MaxLossSizer,
    RiskPercentSizer,
    Sizer,
    SizingRequest,
    SizingSettings,
    TradeStats,
    VixAdjustedSizer,
    contracts_within,
    drawdown_risk_pct,
    drawdown_size_factor,
    kelly_fraction,
    sizer_from_name,
    vix_size_factor,
)

EQUITY = 500_000.0
LOSS_002 = (50.0 - 4.00) * 100  # 002 §6.1: a 50-wide SPX spread sold for $4.00
GOOD_RECORD = TradeStats(n_trades=40, win_rate=0.8, avg_win=300.0, avg_loss=600.0)  # f* = 0.4


def _request(
    equity: float = EQUITY, peak: float = EQUITY, loss: float = LOSS_002, **extra: object
) -> SizingRequest:
    return SizingRequest(equity, peak, loss, **extra)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- 002 max-loss sizing


def test_002_worked_example_gives_two_contracts() -> None:
    result = MaxLossSizer(risk_per_trade_pct=2.0).size(_request())
    assert result.contracts == 2
    assert result.risk_budget == 10_000.0
    assert "floor($10,000 / $4,600 max loss) = 2" in result.detail


def test_request_for_a_structure_uses_max_loss_times_multiplier() -> None:
    structure = Structure(
        StructureKind.PUT_CREDIT_SPREAD, "SPX", (), credit_mid=4.0, credit_natural=3.8, max_profit=4.0,
        max_loss=46.0, breakevens=(5696.0,), probability_of_profit=0.8, delta=0.03, gamma=0.0,
        theta=0.1, vega=-0.5,
    )
    request = SizingRequest.for_structure(structure, EQUITY, EQUITY, conviction=1.0)
    assert request.max_loss_per_contract_dollars == 4_600.0
    assert MaxLossSizer().size(request).contracts == 2


@pytest.mark.parametrize(("conviction", "contracts"), [(0.5, 1), (1.0, 2), (1.2, 2), (1.5, 3)])
def test_conviction_scales_the_risk_budget(conviction: float, contracts: int) -> None:
    result = MaxLossSizer().size(_request(conviction=conviction))
    assert result.contracts == contracts
    assert result.risk_budget == pytest.approx(10_000.0 * conviction)


def test_risk_never_exceeds_three_percent_of_equity() -> None:
    result = MaxLossSizer(risk_per_trade_pct=3.0).size(_request(conviction=1.5))
    assert result.risk_budget == pytest.approx(15_000.0)
    assert "capped at 3.00%" in result.detail


@pytest.mark.parametrize(
    ("drawdown", "risk"), [(0.0, 2.0), (9.99, 2.0), (10.0, 1.5), (19.99, 1.5), (20.0, 1.0), (45.0, 1.0)]
)
def test_drawdown_risk_steps_at_exactly_10_and_20_percent(drawdown: float, risk: float) -> None:
    assert drawdown_risk_pct(2.0, drawdown) == risk


def test_drawdown_steps_only_ever_reduce_risk() -> None:
    assert drawdown_risk_pct(1.0, 10.0) == 1.0
    assert drawdown_risk_pct(1.2, 25.0) == 1.0
    assert drawdown_risk_pct(3.0, 12.0) == 1.5


def test_drawdown_scaling_in_max_loss_sizer_at_the_edges() -> None:
    at_10 = MaxLossSizer().size(_request(equity=450_000.0, peak=500_000.0))  # exactly 10 %
    assert at_10.risk_budget == pytest.approx(450_000.0 * 0.015)
    assert at_10.contracts == 1
    assert "drawdown 10.0% cuts 2.00%" in at_10.detail
    at_20 = MaxLossSizer().size(_request(equity=400_000.0, peak=500_000.0))  # exactly 20 %
    assert at_20.risk_budget == pytest.approx(4_000.0)
    assert at_20.contracts == 0
    just_under = MaxLossSizer().size(_request(equity=450_001.0, peak=500_000.0))
    assert just_under.risk_budget == pytest.approx(450_001.0 * 0.02)


def test_zero_contracts_when_the_budget_cannot_buy_one() -> None:
    result = MaxLossSizer().size(_request(equity=200_000.0))  # $4,000 budget vs $4,600 max loss
    assert result.contracts == 0
    assert "cannot buy one contract" in result.detail
    assert MaxLossSizer().size(_request(equity=0.0, peak=10.0)).contracts == 0


def test_peak_below_equity_means_no_drawdown() -> None:
    assert _request(equity=510_000.0, peak=500_000.0).drawdown_pct == 0.0


@pytest.mark.parametrize(
    ("field", "value"), [("loss", 0.0), ("loss", -5.0), ("loss", math.nan), ("equity", math.inf)]
)
def test_bad_requests_are_refused(field: str, value: float) -> None:
    with pytest.raises(InputError):
        _request(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="conviction"):
        _request(conviction=-1.0)


# ----------------------------------------------------------------------------- fixed and risk-percent


def test_fixed_sizer_ignores_everything() -> None:
    assert FixedSizer(3).size(_request(equity=1_000.0)).contracts == 3
    assert FixedSizer(0).size(_request()).contracts == 0
    with pytest.raises(InputError):
        FixedSizer(-1)


def test_risk_percent_sizer_ignores_conviction_and_drawdown() -> None:
    sizer = RiskPercentSizer(2.0)
    assert sizer.size(_request(conviction=1.5)).contracts == 2
    result = sizer.size(_request(equity=450_000.0, peak=500_000.0, loss=2_000.0))
    assert result.risk_budget == pytest.approx(9_000.0)
    assert result.contracts == 4  # 001's example scaled: 2 % of capital / max loss


# ----------------------------------------------------------------------------- Kelly


def test_kelly_fraction_by_hand() -> None:
    assert kelly_fraction(0.8, 300.0, 600.0) == pytest.approx(0.4)
    assert kelly_fraction(0.95, 100.0, 2_000.0) == pytest.approx(-0.05)  # seed 001's example
    assert kelly_fraction(0.5, 100.0, 100.0) == pytest.approx(0.0)


def test_quarter_kelly_stakes_max_loss() -> None:
    result = KellySizer().size(_request(stats=GOOD_RECORD))
    assert result.risk_budget == pytest.approx(EQUITY * 0.25 * 0.4)  # $50,000
    assert result.contracts == 10  # floor(50,000 / 4,600)


def test_negative_kelly_means_no_trade() -> None:
    record = TradeStats(n_trades=100, win_rate=0.95, avg_win=100.0, avg_loss=2_000.0)
    result = KellySizer(fallback=FixedSizer(5)).size(_request(stats=record))
    assert result.contracts == 0
    assert "negative Kelly: no trade" in result.detail
    even = TradeStats(n_trades=100, win_rate=0.5, avg_win=100.0, avg_loss=100.0)
    assert KellySizer().size(_request(stats=even)).contracts == 0
    never_won = TradeStats(n_trades=30, win_rate=0.0, avg_win=0.0, avg_loss=500.0)
    assert KellySizer().size(_request(stats=never_won)).contracts == 0


def test_kelly_with_too_few_trades_trades_nothing_or_falls_back() -> None:
    short_record = TradeStats(n_trades=7, win_rate=1.0, avg_win=300.0, avg_loss=0.0)
    result = KellySizer(min_trades=20).size(_request(stats=short_record))
    assert result.contracts == 0
    assert "only 7 closed trades (< 20): no trade" in result.detail
    assert KellySizer().size(_request()).contracts == 0  # no record at all
    fallback = KellySizer(fallback=RiskPercentSizer(2.0)).size(_request(stats=short_record))
    assert fallback.contracts == 2
    assert fallback.detail.startswith("kelly: only 7 closed trades (< 20): risk 2.00%")


def test_kelly_without_a_loss_on_record_is_undefined() -> None:
    perfect = TradeStats(n_trades=25, win_rate=1.0, avg_win=300.0, avg_loss=0.0)
    result = KellySizer().size(_request(stats=perfect))
    assert result.contracts == 0
    assert "Kelly undefined" in result.detail


def test_kelly_is_never_more_than_half_and_can_be_capped() -> None:
    assert KellySizer(fraction=0.5).size(_request(stats=GOOD_RECORD)).contracts == 21  # 100,000 / 4,600
    for fraction in (0.51, 1.0, 0.0):
        with pytest.raises(InputError, match="never full Kelly"):
            KellySizer(fraction=fraction)
    capped = KellySizer(max_risk_pct=2.0).size(_request(stats=GOOD_RECORD))
    assert capped.risk_budget == pytest.approx(10_000.0)
    assert "capped at 2.00%" in capped.detail


# ----------------------------------------------------------------------------- VIX- and drawdown-adjusted


@pytest.mark.parametrize(
    ("vix", "factor"),
    [(9.0, 1.25), (14.99, 1.25), (15.0, 1.0), (19.99, 1.0), (20.0, 0.75), (29.99, 0.75), (30.0, 0.5),
     (80.0, 0.5)],
)
def test_vix_size_factor_edges(vix: float, factor: float) -> None:
    assert vix_size_factor(vix) == factor


@pytest.mark.parametrize(
    ("drawdown", "factor"),
    [(0.0, 1.0), (2.99, 1.0), (3.0, 0.75), (4.99, 0.75), (5.0, 0.5), (9.99, 0.5), (10.0, 0.0), (30.0, 0.0)],
)
def test_drawdown_size_factor_edges(drawdown: float, factor: float) -> None:
    assert drawdown_size_factor(drawdown) == factor


@pytest.mark.parametrize(("vix", "contracts"), [(12.0, 5), (17.0, 4), (25.0, 3), (40.0, 2)])
def test_vix_adjusted_sizer_scales_the_budget(vix: float, contracts: int) -> None:
    sizer = VixAdjustedSizer(RiskPercentSizer(2.0))  # $10,000 budget, $2,500 max loss: 4 at x1
    result = sizer.size(_request(loss=2_500.0, vix=vix))
    assert result.contracts == contracts
    assert result.risk_budget == pytest.approx(10_000.0 * vix_size_factor(vix))


def test_vix_adjusted_budget_is_refloored_not_the_contracts() -> None:
    # base: floor(10,000 / 4,000) = 2; the budget x1.25 buys floor(12,500 / 4,000) = 3, where
    # scaling the 2 contracts would give floor(2.5) = 2
    result = VixAdjustedSizer(RiskPercentSizer(2.0)).size(_request(loss=4_000.0, vix=12.0))
    assert result.contracts == 3


def test_vix_adjusted_fixed_sizer_scales_the_count_and_needs_a_vix() -> None:
    assert VixAdjustedSizer(FixedSizer(4)).size(_request(vix=12.0)).contracts == 5
    assert VixAdjustedSizer(FixedSizer(4)).size(_request(vix=22.0)).contracts == 3
    assert VixAdjustedSizer(FixedSizer(3)).size(_request(vix=35.0)).contracts == 1
    missing = VixAdjustedSizer(FixedSizer(4)).size(_request(vix=None))
    assert missing.contracts == 0
    assert "VIX unknown" in missing.detail


@pytest.mark.parametrize(
    ("equity", "contracts"), [(500_000.0, 4), (485_000.0, 3), (475_000.0, 2), (450_000.0, 0)]
)
def test_drawdown_adjusted_sizer_bands(equity: float, contracts: int) -> None:
    sizer = DrawdownAdjustedSizer(FixedSizer(4))
    result = sizer.size(_request(equity=equity, peak=500_000.0))
    assert result.contracts == contracts
    if contracts == 0:
        assert "stop trading, review" in result.detail


# ----------------------------------------------------------------------------- factory


def test_sizer_from_name_builds_each_sizer() -> None:
    settings = SizingSettings(risk_per_trade_pct=2.5, fixed_contracts=3, kelly_fraction=0.125)
    assert sizer_from_name("max_loss", settings) == MaxLossSizer(2.5)
    assert sizer_from_name("fixed", settings) == FixedSizer(3)
    assert sizer_from_name("risk_percent", settings) == RiskPercentSizer(2.5)
    assert sizer_from_name("kelly", settings) == KellySizer(0.125, 20)
    assert sizer_from_name("vix_adjusted", settings) == VixAdjustedSizer(RiskPercentSizer(2.5))
    assert sizer_from_name("Drawdown_Adjusted:vix_adjusted:kelly", settings) == DrawdownAdjustedSizer(
        VixAdjustedSizer(KellySizer(0.125, 20))
    )


def test_sizer_from_name_reads_underlying_params_and_kelly_fallback() -> None:
    assert sizer_from_name("max_loss", UnderlyingParams(risk_per_trade_pct=1.5)) == MaxLossSizer(1.5)
    assert sizer_from_name("max_loss") == MaxLossSizer(2.0)
    kelly = sizer_from_name("kelly", SizingSettings(kelly_fallback="max_loss"))
    assert kelly == KellySizer(fallback=MaxLossSizer(2.0))
    settings = SizingSettings.from_params(UnderlyingParams(risk_per_trade_pct=3.0), fixed_contracts=2)
    assert (settings.risk_per_trade_pct, settings.fixed_contracts) == (3.0, 2)


@pytest.mark.parametrize("name", ["martingale", "kelly:vix_adjusted", "fixed:kelly", ""])
def test_sizer_from_name_refuses_unknown_names(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown sizer"):
        sizer_from_name(name)


def test_sizer_from_name_refuses_a_kelly_fallback_to_kelly() -> None:
    with pytest.raises(ConfigError, match="kelly_fallback"):
        sizer_from_name("kelly", SizingSettings(kelly_fallback="vix_adjusted:kelly"))
    with pytest.raises(ConfigError, match="wrapped"):
        sizer_from_name("vix_adjusted", SizingSettings(wrapped="vix_adjusted"))


# ----------------------------------------------------------------------------- properties


@given(st.floats(0.0, 1e9), st.floats(0.01, 1e7))
def test_contracts_within_is_the_floor(budget: float, loss: float) -> None:
    n = contracts_within(budget, loss)
    assert n >= 0
    assert n * loss <= budget
    assert (n + 1) * loss > budget


_SIZERS: list[Sizer] = [
    MaxLossSizer(),
    MaxLossSizer(3.0),
    RiskPercentSizer(2.0),
    KellySizer(),
    KellySizer(0.5, fallback=MaxLossSizer()),
    VixAdjustedSizer(KellySizer(fallback=RiskPercentSizer(1.0))),
    DrawdownAdjustedSizer(VixAdjustedSizer(MaxLossSizer())),
]


@given(
    equity=st.floats(0.0, 1e9),
    drawdown=st.floats(0.0, 0.9),
    loss=st.floats(1.0, 1e6),
    conviction=st.floats(0.5, 1.5),
    vix=st.one_of(st.none(), st.floats(5.0, 90.0)),
    n_trades=st.integers(0, 200),
    win_rate=st.floats(0.0, 1.0),
    avg_win=st.floats(0.0, 1e5),
    avg_loss=st.floats(0.0, 1e5),
)
def test_contracts_never_risk_more_than_the_budget(
    equity: float, drawdown: float, loss: float, conviction: float, vix: float | None, n_trades: int,
    win_rate: float, avg_win: float, avg_loss: float,
) -> None:
    stats = TradeStats(n_trades, win_rate, avg_win, avg_loss)
    peak = equity / (1.0 - drawdown)
    request = SizingRequest(equity, peak, loss, conviction, vix, stats)
    for sizer in _SIZERS:
        result = sizer.size(request)
        assert isinstance(result.contracts, int)
        assert result.contracts >= 0
        assert result.risk_budget is not None
        assert result.contracts * loss <= result.risk_budget
    assert MaxLossSizer(3.0).size(request).contracts * loss <= equity * 0.03 * (1 + 1e-12)


def test_high_vol_regime_allocation_scales_the_max_loss_budget() -> None:
    # 002 §3.3: High Vol trades at reduced size; 75 % of a $10,000 budget buys one $4,600 spread.
    full = MaxLossSizer(2.0).size(SizingRequest(500_000.0, 500_000.0, 4_600.0))
    reduced = MaxLossSizer(2.0).size(SizingRequest(500_000.0, 500_000.0, 4_600.0, allocation=0.75))
    assert full.contracts == 2
    assert reduced.contracts == 1
    assert reduced.risk_budget == pytest.approx(7_500.0)
    assert "regime allocation 75%" in reduced.detail


def test_allocation_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(InputError, match=r"allocation=1\.5"):
        SizingRequest(500_000.0, 500_000.0, 4_600.0, allocation=1.5)
