"""Clocks: the replay clock's speed, pause and capped waits, and the live clock's time zone.

No test waits on the wall clock: the replay clock is given a fake `sleep` coroutine that records
what it was asked to sleep, and the waits are driven with asyncio.run.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.clock import MAX_EVENT_GAP_S, MAX_SPEED, SLEEP_SLICE_S, LiveClock, ReplayClock
from engine.errors import InputError

NY = ZoneInfo("America/New_York")
T0 = datetime(2024, 3, 4, 10, 30, tzinfo=NY)
HOUR = timedelta(hours=1)
SLICE_TOLERANCE = 1e-12


class FakeSleep:
    """Records each requested sleep; never touches the wall clock.

    `after_call` (if set) runs after each recorded call with the call's number (1-based), so a
    test can pause the clock or change its speed in the middle of a wait. `yields` hands control
    back to the event loop once per call (asyncio.sleep(0) is not a wall-clock wait).
    """

    def __init__(self, yields: bool = False) -> None:
        self.calls: list[float] = []
        self.after_call: Callable[[int], None] | None = None
        self.yields = yields

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.after_call is not None:
            self.after_call(len(self.calls))
        if self.yields:
            await asyncio.sleep(0)

    @property
    def total(self) -> float:
        return math.fsum(self.calls)


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


# --- construction, speed, advance_to ---------------------------------------------------------------


def test_a_naive_start_is_rejected() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        ReplayClock(naive(T0))


def test_now_is_the_start_and_the_default_speed_is_max() -> None:
    clock = ReplayClock(T0)
    assert clock.now() == T0
    assert clock.now().tzinfo is not None
    assert clock.speed == MAX_SPEED
    assert math.isinf(clock.speed)
    assert not clock.paused


@pytest.mark.parametrize("speed", [0.0, -1.0, -math.inf, math.nan])
def test_set_speed_rejects_non_positive_speeds(speed: float) -> None:
    clock = ReplayClock(T0)
    with pytest.raises(InputError, match="speed"):
        clock.set_speed(speed)
    assert clock.speed == MAX_SPEED  # unchanged


@pytest.mark.parametrize("speed", [0.0, -5.0])
def test_constructor_rejects_non_positive_speeds(speed: float) -> None:
    with pytest.raises(InputError, match="speed"):
        ReplayClock(T0, speed=speed)


def test_set_speed_accepts_finite_and_infinite_speeds() -> None:
    clock = ReplayClock(T0, speed=1)
    assert clock.speed == 1.0
    assert isinstance(clock.speed, float)
    clock.set_speed(3600)
    assert clock.speed == 3600.0
    clock.set_speed(math.inf)
    assert clock.speed == MAX_SPEED


def test_advance_to_moves_forward_and_to_the_same_moment() -> None:
    clock = ReplayClock(T0)
    clock.advance_to(T0)
    assert clock.now() == T0
    clock.advance_to(T0 + HOUR)
    assert clock.now() == T0 + HOUR


def test_advance_to_never_goes_backwards() -> None:
    clock = ReplayClock(T0)
    clock.advance_to(T0 + HOUR)
    with pytest.raises(InputError, match="must not be before"):
        clock.advance_to(T0)
    assert clock.now() == T0 + HOUR


def test_advance_to_rejects_a_naive_moment() -> None:
    clock = ReplayClock(T0)
    with pytest.raises(InputError, match="timezone-aware"):
        clock.advance_to(naive(T0 + HOUR))
    assert clock.now() == T0


def test_advance_to_compares_instants_across_time_zones() -> None:
    clock = ReplayClock(T0)
    same_instant_in_utc = T0.astimezone(UTC)
    clock.advance_to(same_instant_in_utc)  # not earlier: the same instant
    assert clock.now() == T0
    with pytest.raises(InputError):
        clock.advance_to((T0 - timedelta(seconds=1)).astimezone(UTC))


def test_pause_and_play_flip_paused() -> None:
    clock = ReplayClock(T0)
    clock.pause()
    assert clock.paused
    clock.play()
    assert not clock.paused


# --- wait_until ----------------------------------------------------------------------------------


def test_wait_until_at_max_speed_does_not_sleep_and_moves_now() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=MAX_SPEED, sleep=sleep)
    asyncio.run(clock.wait_until(T0 + 3 * HOUR))
    assert sleep.calls == []
    assert clock.now() == T0 + 3 * HOUR


def test_wait_until_rejects_a_naive_moment() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=3600, sleep=sleep)
    with pytest.raises(InputError, match="timezone-aware"):
        asyncio.run(clock.wait_until(naive(T0 + HOUR)))
    assert sleep.calls == []
    assert clock.now() == T0


def test_wait_until_an_earlier_moment_is_refused_without_sleeping() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0 + HOUR, speed=3600, sleep=sleep)
    with pytest.raises(InputError, match="must not be before"):
        asyncio.run(clock.wait_until(T0))
    assert sleep.calls == []
    assert clock.now() == T0 + HOUR


def test_wait_until_now_does_not_sleep() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=1, sleep=sleep)
    asyncio.run(clock.wait_until(T0))
    assert sleep.calls == []
    assert clock.now() == T0


def test_an_hour_at_speed_3600_sleeps_one_second_in_slices() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=3600, sleep=sleep)
    asyncio.run(clock.wait_until(T0 + HOUR))
    assert sleep.total == pytest.approx(1.0, rel=1e-9)
    assert len(sleep.calls) == 10
    assert all(0 < call <= SLEEP_SLICE_S + SLICE_TOLERANCE for call in sleep.calls)
    assert clock.now() == T0 + HOUR


@pytest.mark.parametrize(
    ("gap_s", "speed"),
    [(3600.0, 3600.0), (60.0, 1.0), (90.0, 60.0), (1.0, 1.0), (0.05, 1.0), (5400.0, 7.0), (23_400.0, 390.0)],
)
def test_total_wall_time_is_the_gap_divided_by_the_speed(gap_s: float, speed: float) -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=speed, sleep=sleep)
    target = T0 + timedelta(seconds=gap_s)
    asyncio.run(clock.wait_until(target))
    assert sleep.total == pytest.approx(gap_s / speed, rel=1e-9)
    assert all(0 < call <= SLEEP_SLICE_S + SLICE_TOLERANCE for call in sleep.calls)
    # one slice per SLEEP_SLICE_S of wall time, plus at most one for float residue
    assert len(sleep.calls) <= math.ceil(gap_s / speed / SLEEP_SLICE_S) + 1
    assert clock.now() == target


def test_a_short_gap_is_a_single_short_slice() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=100, sleep=sleep)
    asyncio.run(clock.wait_until(T0 + timedelta(seconds=5)))
    assert sleep.calls == [pytest.approx(0.05)]


def test_a_three_day_gap_is_capped_at_one_session() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=1, sleep=sleep)
    target = T0 + timedelta(days=3)
    asyncio.run(clock.wait_until(target))
    assert MAX_EVENT_GAP_S == 6.5 * 3600
    assert sleep.total == pytest.approx(MAX_EVENT_GAP_S, rel=1e-9)  # 6.5 h of fake time, not 3 days
    assert sleep.total < timedelta(days=3).total_seconds()
    assert max(sleep.calls) <= SLEEP_SLICE_S + SLICE_TOLERANCE
    assert clock.now() == target  # the clock still lands on the target


def test_a_gap_just_under_the_cap_is_not_capped() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=3600, sleep=sleep)
    gap = MAX_EVENT_GAP_S - 1800.0
    asyncio.run(clock.wait_until(T0 + timedelta(seconds=gap)))
    assert sleep.total == pytest.approx(gap / 3600, rel=1e-9)


def test_an_overnight_gap_at_speed_3600_costs_at_most_six_and_a_half_seconds() -> None:
    sleep = FakeSleep()
    close = datetime(2024, 3, 4, 16, 0, tzinfo=NY)
    next_window = datetime(2024, 3, 5, 10, 30, tzinfo=NY)  # 18.5 h later
    clock = ReplayClock(close, speed=3600, sleep=sleep)
    asyncio.run(clock.wait_until(next_window))
    assert sleep.total == pytest.approx(MAX_EVENT_GAP_S / 3600, rel=1e-9)
    assert clock.now() == next_window


# --- pause / play ----------------------------------------------------------------------------------


async def _settle(rounds: int = 20) -> None:
    """Let other tasks run (no wall-clock wait)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def test_pause_holds_wait_until_until_play() -> None:
    sleep = FakeSleep(yields=True)
    clock = ReplayClock(T0, speed=3600, sleep=sleep)

    async def scenario() -> None:
        clock.pause()
        task = asyncio.create_task(clock.wait_until(T0 + HOUR))
        await _settle()
        assert not task.done()
        assert sleep.calls == []
        assert clock.now() == T0
        clock.play()
        await asyncio.wait_for(task, timeout=5)
        assert sleep.total == pytest.approx(1.0, rel=1e-9)
        assert clock.now() == T0 + HOUR

    asyncio.run(scenario())


def test_pause_holds_wait_until_even_at_max_speed() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=MAX_SPEED, sleep=sleep)

    async def scenario() -> None:
        clock.pause()
        task = asyncio.create_task(clock.wait_until(T0 + HOUR))
        await _settle()
        assert not task.done()
        assert clock.now() == T0
        clock.play()
        await asyncio.wait_for(task, timeout=5)
        assert clock.now() == T0 + HOUR
        assert sleep.calls == []

    asyncio.run(scenario())


def test_a_pause_mid_wait_is_heard_after_the_current_slice() -> None:
    sleep = FakeSleep(yields=True)
    clock = ReplayClock(T0, speed=3600, sleep=sleep)
    sleep.after_call = lambda n: clock.pause() if n == 3 else None

    async def scenario() -> None:
        task = asyncio.create_task(clock.wait_until(T0 + HOUR))
        await _settle()
        assert not task.done()
        assert len(sleep.calls) == 3  # held after the slice in which the pause came
        assert clock.now() == T0  # the clock moves only when the wait is over
        clock.play()
        await asyncio.wait_for(task, timeout=5)
        assert sleep.total == pytest.approx(1.0, rel=1e-9)  # the pause did not lose or add time
        assert len(sleep.calls) == 10
        assert clock.now() == T0 + HOUR

    asyncio.run(scenario())


# --- speed changes mid-wait -------------------------------------------------------------------------


def test_a_speed_change_mid_wait_applies_to_the_rest() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=3600, sleep=sleep)
    sleep.after_call = lambda n: clock.set_speed(7200) if n == 1 else None
    asyncio.run(clock.wait_until(T0 + HOUR))
    # 0.1 s at 3600 covers 360 s; the other 3240 s go at 7200: 0.45 s more
    assert sleep.calls[0] == pytest.approx(0.1)
    assert sleep.total == pytest.approx(0.1 + 3240 / 7200, rel=1e-9)
    assert all(call <= SLEEP_SLICE_S + SLICE_TOLERANCE for call in sleep.calls)
    assert clock.now() == T0 + HOUR


def test_slowing_down_mid_wait_stretches_the_rest() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=3600, sleep=sleep)
    sleep.after_call = lambda n: clock.set_speed(360) if n == 5 else None
    asyncio.run(clock.wait_until(T0 + HOUR))
    # 5 slices of 0.1 s cover 1800 s at 3600; the other 1800 s at 360 take 5 s
    assert sleep.total == pytest.approx(0.5 + 1800 / 360, rel=1e-9)
    assert clock.now() == T0 + HOUR


def test_switching_to_max_speed_mid_wait_ends_it() -> None:
    sleep = FakeSleep()
    clock = ReplayClock(T0, speed=1, sleep=sleep)
    sleep.after_call = lambda n: clock.set_speed(MAX_SPEED) if n == 2 else None
    asyncio.run(clock.wait_until(T0 + HOUR))
    assert sleep.calls == [pytest.approx(0.1), pytest.approx(0.1)]
    assert clock.now() == T0 + HOUR


# --- live clock ------------------------------------------------------------------------------------


def test_live_clock_is_new_york_and_tz_aware() -> None:
    moment = LiveClock().now()
    assert moment.tzinfo is not None
    assert moment.utcoffset() is not None
    assert moment.tzinfo == NY
    assert moment.utcoffset() in (timedelta(hours=-4), timedelta(hours=-5))  # EDT / EST
    assert abs((moment - datetime.now(UTC)).total_seconds()) < 60
