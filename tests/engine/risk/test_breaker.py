"""The circuit breaker's rules: what a max loss is, the streak, the trip, manual halt and resume."""

from __future__ import annotations

from datetime import date

import pytest

from engine.config import Settings, UnderlyingParams
from engine.errors import InputError
from engine.risk import BreakerRules, BreakerState, CircuitBreaker, ClosedTrade, RiskManager
from tests.engine.risk.builders import portfolio, spread

BREAKER = CircuitBreaker(BreakerRules(count=3, cooldown_days=5))
MAX_LOSS = 9_480.0  # 002 §9.2: a 2-lot of a $2.60 credit, 50-wide
THURSDAY = date(2025, 7, 3)  # Friday 2025-07-04 is Independence Day


def _stopped(i: int = 0) -> ClosedTrade:
    return ClosedTrade(f"S{i}", -520.0, MAX_LOSS, stop_loss_exit=True)


def _win(i: int = 0) -> ClosedTrade:
    return ClosedTrade(f"W{i}", 264.0, MAX_LOSS)


def _closes(*trades: ClosedTrade, day: date = THURSDAY, state: BreakerState | None = None) -> BreakerState:
    state = state or BreakerState()
    for trade in trades:
        state = BREAKER.record_close(state, trade, day)
    return state


def test_a_stop_loss_exit_is_a_max_loss() -> None:
    assert BREAKER.is_max_loss(_stopped())


@pytest.mark.parametrize(("loss", "is_max"), [(4_739.0, False), (4_740.0, True), (4_741.0, True)])
def test_a_loss_of_half_the_max_loss_counts_without_a_stop(loss: float, is_max: bool) -> None:
    assert BREAKER.is_max_loss(ClosedTrade("T", -loss, MAX_LOSS)) is is_max


def test_the_share_is_a_parameter() -> None:
    strict = CircuitBreaker(BreakerRules(max_loss_share=0.25))
    assert strict.is_max_loss(ClosedTrade("T", -2_370.0, MAX_LOSS))
    assert not BREAKER.is_max_loss(ClosedTrade("T", -2_370.0, MAX_LOSS))


def test_trips_on_the_nth_consecutive_max_loss_not_before() -> None:
    two = _closes(_stopped(1), _stopped(2))
    assert two.consecutive_max_losses == 2
    assert not two.is_halted(THURSDAY)
    three = _closes(_stopped(3), state=two)
    assert three.consecutive_max_losses == 3
    assert three.is_halted(THURSDAY)
    assert three.tripped_on == THURSDAY


def test_a_win_resets_the_streak() -> None:
    state = _closes(_stopped(1), _stopped(2), _win(), _stopped(3), _stopped(4))
    assert state.consecutive_max_losses == 2
    assert not state.is_halted(THURSDAY)


def test_a_loss_short_of_a_max_loss_resets_the_streak() -> None:
    small_loss = ClosedTrade("T", -300.0, MAX_LOSS)
    state = _closes(_stopped(1), _stopped(2), small_loss, _stopped(3))
    assert state.consecutive_max_losses == 1
    assert state.recent == ("L", "L", "L", "L")


def test_the_halt_lasts_five_business_days_across_a_holiday_weekend() -> None:
    state = _closes(_stopped(1), _stopped(2), _stopped(3))
    # Fri 4 Jul holiday, weekend: Mon 7 .. Fri 11 are the five sessions halted
    assert state.halted_through == date(2025, 7, 11)
    assert state.resumes_on == date(2025, 7, 14)
    for day in (date(2025, 7, 4), date(2025, 7, 7), date(2025, 7, 11)):
        assert state.is_halted(day)
    assert not state.is_halted(date(2025, 7, 14))
    assert state.status(date(2025, 7, 8)).startswith("tripped until 2025-07-11")
    assert state.status(date(2025, 7, 14)).startswith("armed")


def test_the_risk_manager_holds_entries_for_the_whole_halt() -> None:
    state = _closes(_stopped(1), _stopped(2), _stopped(3))
    manager = RiskManager(Settings())
    halted = manager.check_entry(spread(), 1, portfolio(breaker=state), date(2025, 7, 11))
    assert (halted.approved, halted.limit) == (False, "circuit breaker")
    assert manager.check_entry(spread(), 1, portfolio(breaker=state), date(2025, 7, 14)).approved


def test_another_max_loss_after_the_cooldown_trips_again() -> None:
    tripped = _closes(_stopped(1), _stopped(2), _stopped(3))
    again = _closes(_stopped(4), day=date(2025, 7, 15), state=tripped)
    assert again.consecutive_max_losses == 4
    assert again.halted_through == date(2025, 7, 22)


def test_a_max_loss_during_the_halt_extends_it_and_never_shortens_it() -> None:
    tripped = _closes(_stopped(1), _stopped(2), _stopped(3))
    extended = _closes(_stopped(4), day=date(2025, 7, 8), state=tripped)
    assert extended.halted_through == date(2025, 7, 15)
    long = CircuitBreaker(BreakerRules(count=3, cooldown_days=10))
    longer = long.record_close(BreakerState(2), _stopped(), THURSDAY)
    assert BREAKER.record_close(longer, _stopped(), date(2025, 7, 7)).halted_through == longer.halted_through


def test_recent_outcomes_for_the_dashboard() -> None:
    state = _closes(_win(1), _win(2), _stopped())
    assert state.recent_text() == "W, W, L"
    assert BreakerState().recent_text() == "none"
    many = _closes(*(_win(i) for i in range(12)))
    assert len(many.recent) == 10


def test_manual_halt_and_resume_record_who_and_why() -> None:
    halted = BREAKER.halt(BreakerState(1), "ana", "CPI surprise", THURSDAY)
    assert halted.is_halted(date(2030, 1, 2))  # until someone resumes
    assert "halted by ana" in halted.status(THURSDAY)
    resumed = BREAKER.resume(halted, "ben", "CPI digested", date(2025, 7, 7))
    assert not resumed.is_halted(date(2025, 7, 7))
    assert resumed.manual_halt is None
    assert (resumed.last_resume.who, resumed.last_resume.why) == ("ben", "CPI digested")  # type: ignore[union-attr]
    assert resumed.consecutive_max_losses == 1  # no trip lifted: the streak stands


def test_resume_lifts_a_trip_early_and_clears_the_streak() -> None:
    tripped = _closes(_stopped(1), _stopped(2), _stopped(3))
    resumed = BREAKER.resume(tripped, "ana", "bad marks caused the stops", date(2025, 7, 8))
    assert not resumed.is_halted(date(2025, 7, 8))
    assert resumed.consecutive_max_losses == 0
    assert resumed.halted_through is None


@pytest.mark.parametrize(("who", "why"), [("", "reason"), ("ana", "  ")])
def test_halt_and_resume_need_a_name_and_a_reason(who: str, why: str) -> None:
    with pytest.raises(InputError):
        BREAKER.halt(BreakerState(), who, why, THURSDAY)
    with pytest.raises(InputError):
        BREAKER.resume(BreakerState(), who, why, THURSDAY)


def test_rules_come_from_the_underlying_parameters() -> None:
    rules = BreakerRules.from_params(
        UnderlyingParams(circuit_breaker_count=4, circuit_breaker_cooldown_days=7)
    )
    assert rules == BreakerRules(4, 7, 0.5)


@pytest.mark.parametrize(
    "kwargs", [{"count": 0}, {"cooldown_days": 0}, {"max_loss_share": 0.0}, {"max_loss_share": 1.5}]
)
def test_bad_rules_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError):
        BreakerRules(**kwargs)  # type: ignore[arg-type]


def test_a_closed_trade_needs_a_positive_max_loss() -> None:
    with pytest.raises(InputError, match="max_loss"):
        ClosedTrade("T", -10.0, 0.0)
