"""The live runner: a session's steps run when the clock reaches them, orders are worked every tick."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from engine import calendar
from engine.backtest.runner import open_replay
from engine.config import defaults_path, load_settings
from engine.data.history import load_history
from engine.live import LiveRunner
from engine.session import SessionOptions

DAY = date(2015, 1, 16)


def test_steps_run_only_once_their_moment_has_come(tmp_path: Path) -> None:
    history = load_history()
    session = open_replay(history, load_settings(defaults_path()), tmp_path / "j.sqlite",
                          SessionOptions(auto_approve=False))
    session.run(date(2015, 1, 2), calendar.previous_session(DAY))
    close = calendar.session_close(DAY)
    now = [close - timedelta(minutes=1)]
    runner = LiveRunner(session, lambda: now[0])
    morning_done = runner.tick()  # 15:59: the entry window (10:30) is due, the close is not
    assert morning_done == 1
    assert session.cursor() < close
    assert runner.tick() == 0  # nothing new is due
    now[0] = close + timedelta(seconds=1)
    assert runner.tick() == 1  # the close ran: the day's evaluation is journaled
    assert session.cursor() == close
    assert session.journal.candidate("C-SPX-2015-01-16") is not None
    assert runner.tick() == 0
    assert runner.ticks == 4
    assert isinstance(session.clock.now(), datetime)
    session.journal.store.close()
