"""Open the terminal's replay session: bundled history, modelled chains, the paper broker, a journal.

`optimus` starts in replay mode (SPEC 3). Without ``--journal`` each start writes a new journal
under the user's data directory (``replays/``; $OPTIMUS_DATA_DIR overrides it), so a replay is
never mixed with another; with ``--journal FILE`` it resumes that replay where it stopped. The
session is parked at the close of the chosen day (``--date``; default DEMO_PARK, three sessions
before the 2015-01-16 signal) by running the steps before it at full speed, as a headless replay
would: a newcomer presses "Next signal" and sees a candidate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import platformdirs

from engine.backtest.runner import open_replay
from engine.config import Settings, defaults_path, load_settings
from engine.data.history import MarketHistory
from engine.errors import InputError
from engine.session import SessionOptions, TradingSession
from terminal.docks import APP_NAME, config_directory

DATA_DIR_ENV = "OPTIMUS_DATA_DIR"
DEMO_PARK = date(2015, 1, 13)  # the 2015-01-16 close proposes a put spread: "Next signal" finds it
DATASET = "bundled SPX history · modelled chains · paper broker"


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """Which replay to open: the range, where to park, the journal, who approves."""

    first: date
    last: date
    park: date
    journal: Path
    approve_all: bool = False


def data_directory() -> Path:
    """Return where replays are journaled: $OPTIMUS_DATA_DIR or the user's data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def new_journal_path(first: date) -> Path:
    """Return a fresh journal path for a replay starting on `first`."""
    folder = data_directory() / "replays"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
    return folder / f"replay-{first.isoformat()}-{stamp}.sqlite"


def plan_replay(history: MarketHistory, park: date | None, first: date | None, last: date | None,
                journal: Path | None, approve_all: bool = False) -> ReplayPlan:
    """Return the replay to open, checked against the history (InputError naming the bad date)."""
    park_day = park or DEMO_PARK
    start = first or date(park_day.year, 1, 1)
    end = last or history.last_date
    for name, value in (("--date", park_day), ("--from", start), ("--to", end)):
        if not history.first_date <= value <= history.last_date:
            raise InputError(name, value.isoformat(), f"must lie within the bundled history "
                             f"{history.first_date.isoformat()}..{history.last_date.isoformat()}")
    if not start <= park_day <= end:
        raise InputError("--date", park_day.isoformat(), f"must lie within the replay {start}..{end}")
    return ReplayPlan(start, end, park_day, journal or new_journal_path(start), approve_all)


def terminal_settings() -> Settings:
    """Return the settings: the terminal's optimus.toml when there is one, else the defaults."""
    user = config_directory() / "optimus.toml"
    return load_settings(user if user.exists() else defaults_path())


def open_terminal_replay(history: MarketHistory, plan: ReplayPlan) -> TradingSession:
    """Open (or resume) the replay's session and run it to the close of the parking day."""
    options = SessionOptions(auto_approve=plan.approve_all, exit_mode="auto")
    session = open_replay(history, terminal_settings(), plan.journal, options, durable=True)
    cursor = session.cursor()
    if cursor is None or cursor.date() < plan.park:
        session.run(plan.first, plan.park)
    return session
