"""Exits of 002 §7 and §11.1: each rule at its level, dynamic targets, and their priority."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from engine.config import UnderlyingParams
from engine.errors import InputError
from engine.model import ExitPlan, Position, Regime
from engine.strategy.exits import (
    ExitReason,
    dynamic_target_pct,
    evaluate_exit,
    exit_plan_for,
    profit_target_pct,
    time_stop_date,
)
from tests.engine.risk.builders import EXPIRY, OPENED, position, spread

FIXED = UnderlyingParams()
DYNAMIC = UnderlyingParams(dynamic_profit_target=True)
CREDIT = 2.60


def _held(expiry: date = EXPIRY) -> Position:
    return position(structure=spread(credit=CREDIT, expiry=expiry))


def _on_dte(dte: int, expiry: date = EXPIRY) -> date:
    return expiry - timedelta(days=dte)


def _exit(debit: float, dte: int = 40, regime: Regime | None = None, params: UnderlyingParams = FIXED):  # type: ignore[no-untyped-def]
    return evaluate_exit(_held(), debit, _on_dte(dte), regime, params)


def test_exit_plan_of_the_002_example() -> None:
    # 002 §9.2: $2.60 credit, opened 2026-02-17, expiring 2026-04-02 (44 DTE)
    plan = exit_plan_for(CREDIT, OPENED, EXPIRY, FIXED)
    assert plan.profit_target_debit == pytest.approx(1.30)
    assert plan.stop_loss_debit == pytest.approx(5.20)  # 2 x credit: §7.1 and §10, not the log's $7.80
    assert plan.time_stop == date(2026, 3, 12)
    assert plan.soft_warning == date(2026, 3, 5)


def test_a_position_between_its_levels_is_held() -> None:
    assert _exit(2.00) is None


@pytest.mark.parametrize(("debit", "closes"), [(1.31, False), (1.30, True), (1.29, True)])
def test_profit_target_at_half_the_credit(debit: float, closes: bool) -> None:
    decision = _exit(debit)
    assert (decision is not None) is closes
    if decision is not None:
        assert decision.reason is ExitReason.PROFIT_TARGET
        assert not decision.counts_as_max_loss
        assert "50 % of the 2.60 credit" in decision.detail


@pytest.mark.parametrize(("debit", "closes"), [(5.19, False), (5.20, True), (5.21, True)])
def test_stop_loss_at_twice_the_credit(debit: float, closes: bool) -> None:
    decision = _exit(debit)
    assert (decision is not None) is closes
    if decision is not None:
        assert decision.reason is ExitReason.STOP_LOSS
        assert decision.counts_as_max_loss
        assert decision.detail == f"debit {debit:.2f} >= 5.20: 2 x the 2.60 credit"


def test_stop_follows_the_multiplier() -> None:
    wide = UnderlyingParams(stop_loss_multiplier=3.0)
    assert evaluate_exit(_held(), 7.79, _on_dte(40), None, wide) is None
    assert evaluate_exit(_held(), 7.80, _on_dte(40), None, wide).reason is ExitReason.STOP_LOSS  # type: ignore[union-attr]


@pytest.mark.parametrize(("dte", "closes"), [(22, False), (21, True), (15, True)])
def test_time_stop_at_21_dte(dte: int, closes: bool) -> None:
    decision = _exit(2.00, dte)
    assert (decision is not None) is closes
    if decision is not None:
        assert decision.reason is ExitReason.TIME_STOP
        assert decision.dte == dte


def test_time_stop_on_a_holiday_moves_to_the_session_before() -> None:
    expiry = date(2026, 4, 24)  # expiry - 21 days is Good Friday 2026-04-03
    assert time_stop_date(expiry, FIXED) == date(2026, 4, 2)
    decision = evaluate_exit(_held(expiry), 2.00, date(2026, 4, 2), None, FIXED)
    assert decision is not None
    assert (decision.reason, decision.dte) == (ExitReason.TIME_STOP, 22)
    assert evaluate_exit(_held(expiry), 2.00, date(2026, 4, 1), None, FIXED) is None


@pytest.mark.parametrize(
    ("regime", "closes"),
    [(Regime.CRISIS, True), (Regime.BEAR_TREND, True), (Regime.HIGH_VOL, False), (None, False)],
)
def test_regime_shift_closes_in_crisis_and_bear_trend(regime: Regime | None, closes: bool) -> None:
    decision = _exit(2.00, regime=regime)
    assert (decision is not None) is closes
    if decision is not None:
        assert decision.reason is ExitReason.REGIME_SHIFT


@pytest.mark.parametrize("dte", [1, 0, -2])
def test_never_hold_to_expiry(dte: int) -> None:
    decision = _exit(2.00, dte, params=UnderlyingParams(time_stop_dte=14))
    assert decision is not None
    assert decision.reason is ExitReason.EXPIRY_GUARD


# --- priority when several trigger on the same day ---------------------------------------------


@pytest.mark.parametrize(
    ("debit", "dte", "regime", "reason"),
    [
        (1.00, 21, None, ExitReason.PROFIT_TARGET),  # profit target and time stop
        (1.00, 40, Regime.CRISIS, ExitReason.PROFIT_TARGET),  # profit target and regime shift
        (6.00, 40, Regime.CRISIS, ExitReason.STOP_LOSS),  # stop and regime shift: a max loss
        (6.00, 21, None, ExitReason.STOP_LOSS),  # stop and time stop
        (2.00, 21, Regime.BEAR_TREND, ExitReason.TIME_STOP),  # time stop and regime shift
        (6.00, 1, Regime.CRISIS, ExitReason.STOP_LOSS),  # stop, expiry guard, time stop, regime
        (2.00, 1, Regime.CRISIS, ExitReason.EXPIRY_GUARD),  # expiry guard, time stop, regime
    ],
)
def test_first_trigger_wins_in_002_priority(
    debit: float, dte: int, regime: Regime | None, reason: ExitReason
) -> None:
    decision = _exit(debit, dte, regime)
    assert decision is not None
    assert decision.reason is reason
    assert decision.counts_as_max_loss is (reason is ExitReason.STOP_LOSS)


# --- dynamic targets (§11.1) and the soft warning (§7.3) ---------------------------------------


@pytest.mark.parametrize(
    ("dte", "pct"), [(44, 50.0), (36, 50.0), (35, 40.0), (29, 40.0), (28, 30.0), (21, 30.0)]
)
def test_dynamic_targets_by_dte(dte: int, pct: float) -> None:
    assert dynamic_target_pct(dte, 50.0) == pct


def test_dynamic_targets_never_loosen_the_base() -> None:
    assert dynamic_target_pct(44, 35.0) == 35.0
    assert dynamic_target_pct(30, 35.0) == 35.0
    assert dynamic_target_pct(44, 60.0) == 50.0


@pytest.mark.parametrize(("dte", "level"), [(36, 1.30), (35, 1.56), (28, 1.82), (22, 1.82)])
def test_dynamic_target_closes_at_its_level(dte: int, level: float) -> None:
    at = _exit(level, dte, params=DYNAMIC)
    assert at is not None
    assert at.reason is ExitReason.PROFIT_TARGET
    assert _exit(level + 0.01, dte, params=DYNAMIC) is None


@pytest.mark.parametrize(
    ("dte", "dynamic", "pct"),
    [(29, False, 50.0), (28, False, 40.0), (22, False, 40.0), (29, True, 40.0), (28, True, 30.0)],
)
def test_soft_warning_tightens_to_40_and_the_tighter_target_wins(dte: int, dynamic: bool, pct: float) -> None:
    params = DYNAMIC if dynamic else FIXED
    assert profit_target_pct(dte, dte <= 28, params) == pct


def test_soft_warning_from_its_date_in_evaluation() -> None:
    # fixed 50 %: the soft warning (DTE 28 = 2026-03-05) takes the level from 1.30 to 1.56
    assert _exit(1.56, 29) is None
    decision = _exit(1.56, 28)
    assert decision is not None
    assert decision.reason is ExitReason.PROFIT_TARGET
    assert "40 % of the 2.60 credit (soft warning)" in decision.detail


def test_soft_warning_off_when_set_to_the_base_target() -> None:
    params = UnderlyingParams(soft_warning_profit_target_pct=50.0)
    assert evaluate_exit(_held(), 1.56, _on_dte(28), None, params) is None


def test_exit_plan_shows_the_dynamic_target_of_the_entry_dte() -> None:
    late = exit_plan_for(CREDIT, EXPIRY - timedelta(days=33), EXPIRY, DYNAMIC)
    assert late.profit_target_debit == pytest.approx(1.56)
    assert isinstance(late, ExitPlan)


# --- marks and bad input -----------------------------------------------------------------------


def test_without_a_mark_only_the_time_and_regime_rules_act() -> None:
    assert _exit(math.nan, 40) is None
    assert _exit(math.nan, 21).reason is ExitReason.TIME_STOP  # type: ignore[union-attr]
    assert _exit(math.nan, 40, Regime.CRISIS).reason is ExitReason.REGIME_SHIFT  # type: ignore[union-attr]


@pytest.mark.parametrize("debit", [-0.05, math.inf])
def test_a_bad_mark_is_refused(debit: float) -> None:
    with pytest.raises(InputError, match="mark_debit"):
        _exit(debit)


def test_a_debit_position_is_refused() -> None:
    debit_spread = position(structure=spread(credit=CREDIT), entry_credit=-1.0)
    with pytest.raises(InputError, match="credit"):
        evaluate_exit(debit_spread, 1.0, _on_dte(40), None, FIXED)


def test_an_exit_plan_needs_an_expiry_after_the_opening() -> None:
    with pytest.raises(InputError, match="expiry"):
        exit_plan_for(CREDIT, EXPIRY, EXPIRY, FIXED)
