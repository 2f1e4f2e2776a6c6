"""Running a TradingSession live: its scheduled steps at their time, and the broker worked in between.

A replay jumps from step to step; a live session lives between them. Every `tick_s` the runner
reads the clock and

* runs each scheduled step whose moment has come (the entry window, the close) that the journal's
  cursor has not done yet: the same steps, the same code as a replay. A terminal started late runs
  the day's past steps at once (at 15:59 the 10:30 entry window still expires yesterday's
  unapproved candidates; its orders would already be past their time in force);
* calls `TradingSession.work_orders(now)`: journaled orders go out, the IB broker steps its price
  walks and the broker's reports (acceptances, fills, cancels) are booked.

The clock is whatever tells the time: the wall clock (engine.clock.LiveClock) at a real TWS, or a
clock parked at a recorded or scripted moment (a fake TWS in tests, a recorded day). The runner
never sleeps through a step: it wakes at least every `tick_s`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from engine.clock import MARKET_TZ
from engine.session import TradingSession

log = logging.getLogger(__name__)

TICK_S = 1.0


class LiveRunner:
    """Drive a session on a live clock (module doc)."""

    def __init__(self, session: TradingSession, now: Callable[[], datetime], tick_s: float = TICK_S) -> None:
        self.session = session
        self.now = now
        self.tick_s = tick_s
        self.ticks = 0
        self._stopping = False

    def tick(self) -> int:
        """Run the steps that are due and work the orders once; return how many steps ran."""
        now = self.now()
        day = now.astimezone(MARKET_TZ).date()
        ran = 0
        for step in self.session.pending_steps(day, day):
            if step.moment > now:
                break
            if step.moment > self.session.clock.now():  # a step already past (started late) runs now
                self.session.clock.advance_to(step.moment)
            self.session.run_step(step)
            ran += 1
        self.session.clock.advance_to(max(now, self.session.clock.now()))
        self.session.work_orders(now)
        self.ticks += 1
        return ran

    async def run(self) -> None:
        """Tick until `stop` (or cancellation)."""
        self._stopping = False
        while not self._stopping:
            try:
                self.tick()
            except Exception:  # a bad tick is logged and the next one tries again: the link may be down
                log.exception("live tick failed")
            await asyncio.sleep(self.tick_s)

    def stop(self) -> None:
        """End `run` after its current tick."""
        self._stopping = True
