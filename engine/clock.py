"""Clocks: where the engine's time comes from. Nothing in the engine reads the wall clock itself.

`LiveClock` is the wall clock in New York time. `ReplayClock` is simulated time for replays and
backtests: the session asks it to `wait_until` the next scheduled moment, and the clock decides
how long that takes on the wall:

* **speed** is simulated seconds per wall second: 1 is real time, 3600 an hour a second, and
  `math.inf` (MAX_SPEED) as fast as the machine goes. Only market hours count: the session's
  schedule jumps from one event to the next (16:00 to the next morning's 10:30) and the clock
  waits for the *simulated time between those events* that falls inside the wait, divided by
  the speed. Nights and weekends are skipped.
* **pause / play**: a paused clock holds `wait_until` until play; speed changes apply at once.

The wall wait goes through an injected `sleep` coroutine (asyncio.sleep by default), in slices
of at most `SLEEP_SLICE_S`, so a pause or a speed change is heard within that slice; tests pass a
fake sleep and never wait on the wall clock.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from engine.errors import InputError

MARKET_TZ = ZoneInfo("America/New_York")
MAX_SPEED = math.inf
SLEEP_SLICE_S = 0.1
MAX_EVENT_GAP_S = 6.5 * 3600.0  # the longest wait counted between two events: one session's hours

Sleep = Callable[[float], Awaitable[None]]


class Clock(Protocol):
    """Anything that tells the engine what time it is (tz-aware)."""

    def now(self) -> datetime:
        """Return the current moment, tz-aware."""
        ...


class LiveClock:
    """The wall clock, in New York time."""

    def now(self) -> datetime:
        """Return the wall clock's moment in New York."""
        return datetime.now(MARKET_TZ)


def _check_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None:
        raise InputError(name, moment.isoformat(), "must be timezone-aware")


class ReplayClock:
    """Simulated time with play, pause and speed (module doc)."""

    def __init__(self, start: datetime, speed: float = MAX_SPEED, sleep: Sleep = asyncio.sleep) -> None:
        _check_aware(start, "start")
        self._now = start
        self._sleep = sleep
        self._speed = MAX_SPEED
        self.set_speed(speed)
        self._playing = asyncio.Event()
        self._playing.set()

    def now(self) -> datetime:
        """Return the simulated moment."""
        return self._now

    @property
    def speed(self) -> float:
        """Return simulated seconds per wall second (inf: as fast as possible)."""
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Set the speed: > 0, 1 is real time, math.inf as fast as possible."""
        if not (speed > 0):
            raise InputError("speed", speed, "must be > 0 (1 = real time, inf = as fast as possible)")
        self._speed = float(speed)

    @property
    def paused(self) -> bool:
        """Return True while the clock is paused."""
        return not self._playing.is_set()

    def pause(self) -> None:
        """Hold the clock: `wait_until` does not return until `play`."""
        self._playing.clear()

    def play(self) -> None:
        """Let the clock run again."""
        self._playing.set()

    def advance_to(self, moment: datetime) -> None:
        """Move to `moment` at once (never backwards: a replay that must go back starts anew)."""
        _check_aware(moment, "moment")
        if moment < self._now:
            raise InputError(
                "moment", moment.isoformat(), f"must not be before the clock's {self._now.isoformat()}"
            )
        self._now = moment

    async def wait_until(self, moment: datetime) -> None:
        """Wait, as the speed and pause say, then move the clock to `moment`.

        The simulated time still to cover is spent slice by slice at the speed of the moment, so
        a speed change mid-wait applies to what is left.
        """
        _check_aware(moment, "moment")
        await self._playing.wait()
        simulated_left = min(max((moment - self._now).total_seconds(), 0.0), MAX_EVENT_GAP_S)
        while simulated_left > 0 and not math.isinf(self._speed):
            speed = self._speed
            step = min(simulated_left / speed, SLEEP_SLICE_S)
            await self._sleep(step)
            await self._playing.wait()
            simulated_left -= step * speed
        self.advance_to(moment)
