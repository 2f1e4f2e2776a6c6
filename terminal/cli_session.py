"""The session commands of the ``optimus`` CLI: backtest, replay and stress.

Kept apart from terminal/cli.py (the window's options and the registry) so each stays small;
the heavy imports happen inside the commands, so ``optimus --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

PROG = "optimus"
EXIT_USAGE = 2
DEFAULT_FROM = "2004-01-01"
PROGRESS_ENV = "OPTIMUS_PROGRESS"  # "1": `optimus replay` prints a STEP line after each step


def parse_param(text: str) -> tuple[str, Any]:
    """Return (key, value) from ``key=value``; the value is read as TOML (40, 0.5, true, "x")."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: must be key=value (e.g. profit_target_pct=40)")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()  # a bare word: a string
    return key.strip(), value


def overrides_for(params: list[tuple[str, Any]], underlying: str) -> dict[str, Any]:
    """Return settings overrides: ``section.key`` goes to that section, a bare key to the underlying."""
    out: dict[str, Any] = {}
    for key, value in params:
        section, _, name = key.rpartition(".")
        if section in ("portfolio", "limits", "execution"):
            out.setdefault(section, {})[name] = value
        elif not section:
            out.setdefault("underlyings", {}).setdefault(underlying, {})[name] = value
        else:
            raise argparse.ArgumentTypeError(
                f"--param {key}: the section must be portfolio, limits or execution "
                "(or none: the underlying's)"
            )
    return out


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--underlying", default="SPX", help="underlying (default SPX)")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="settings TOML (default: the user's, else defaults)")
    parser.add_argument("--param", action="append", type=parse_param, default=[], metavar="KEY=VALUE",
                        help="override one setting (repeatable): profit_target_pct=40, "
                             "portfolio.starting_equity=1e5")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def backtest_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``optimus backtest``."""
    parser.add_argument("--preset", default="optimus", help="strategy preset (optimus)")
    parser.add_argument("--from", dest="first", default=DEFAULT_FROM, metavar="YYYY-MM-DD",
                        help="first session")
    parser.add_argument("--to", dest="last", default="2024-12-31", metavar="YYYY-MM-DD", help="last session")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the report files")
    _common(parser)


def _error(command: str, error: Exception) -> int:
    print(f"{PROG} {command}: error: {error}", file=sys.stderr)
    return EXIT_USAGE


def _settings(arguments: argparse.Namespace) -> Any:
    from engine.config import load_settings

    return load_settings(arguments.config, overrides_for(arguments.param, arguments.underlying) or None)


def run_backtest_command(arguments: argparse.Namespace) -> int:
    """Run a headless backtest and write its report files."""
    from engine.backtest.runner import BacktestRequest, run_backtest
    from engine.calendar import parse_date
    from engine.errors import OptimusError

    try:
        request = BacktestRequest(
            arguments.preset, arguments.underlying, parse_date(arguments.first, "--from"),
            parse_date(arguments.last, "--to"), _settings(arguments), dict(arguments.param),
        )
        result = run_backtest(request, arguments.out)
    except (OptimusError, argparse.ArgumentTypeError, OSError) as error:
        return _error("backtest", error)
    if arguments.json:
        print(json.dumps(result.summary, indent=2, sort_keys=True))
    else:
        print(f"{result.steps} session steps; report in {arguments.out}/report.html")
    return 0


def stress_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``optimus stress``."""
    parser.add_argument("--scenario", required=True, choices=("flash-crash", "vol-spike", "gap-down"))
    parser.add_argument("--date", dest="stress_date", metavar="YYYY-MM-DD",
                        help="replay date whose open positions are shocked (default: the history's last)")
    parser.add_argument("--from", dest="first", default=DEFAULT_FROM, metavar="YYYY-MM-DD",
                        help="where the replay that builds the portfolio starts")
    _common(parser)


def _replay_to(day: date, first: date, arguments: argparse.Namespace) -> Any:
    """Run a headless replay to `day`'s close; return the session (its journal in a temp dir)."""
    import tempfile

    from engine.backtest.runner import open_replay
    from engine.data.history import load_history
    from engine.session import SessionOptions

    history = load_history()
    history.row_of(day)
    scratch = Path(tempfile.mkdtemp(prefix="optimus-stress-"))
    session = open_replay(history.up_to(day), _settings(arguments), scratch / "journal.db",
                          SessionOptions(), arguments.underlying, durable=False)
    session.run(first, day)
    return session


def run_stress_command(arguments: argparse.Namespace) -> int:
    """Revalue the open portfolio of a replay date under a stress scenario."""
    from engine.calendar import parse_date
    from engine.data.history import load_history
    from engine.errors import OptimusError
    from engine.risk.stress import MarketPoint, revalue

    try:
        given = arguments.stress_date
        day = parse_date(given, "--date") if given else load_history().last_date
        session = _replay_to(day, parse_date(arguments.first, "--from"), arguments)
        positions = [record.position for record in session.journal.positions("open")]
        market = MarketPoint.from_inputs(session.feed.chains.market_on(day))
        report = revalue(positions, market, arguments.scenario)
    except (OptimusError, argparse.ArgumentTypeError) as error:
        return _error("stress", error)
    print(json.dumps(report.to_json(), indent=2, sort_keys=True) if arguments.json else report.to_text())
    return 0


def replay_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``optimus replay`` (headless; resumes a journal where it stopped)."""
    parser.add_argument("--from", dest="first", default=DEFAULT_FROM, metavar="YYYY-MM-DD",
                        help="first session")
    parser.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD", help="last session")
    parser.add_argument("--journal", type=Path, required=True, metavar="FILE",
                        help="the replay's SQLite journal: created, or resumed after its last completed step")
    parser.add_argument("--recorded", type=Path, metavar="FILE",
                        help="replay the chains recorded from a live feed in this store (at their own "
                             "timestamps) instead of the modelled ones")
    _common(parser)


def _recorded_feed(path: Path, history: Any, arguments: argparse.Namespace) -> Any:
    """Return a RecordedFeed over the store at `path` (InputError when the file does not exist)."""
    from engine.data.recorded import RecordedFeed
    from engine.errors import InputError
    from engine.store import Store

    if not path.is_file():
        raise InputError("--recorded", str(path), "must be an existing store file of recorded chains")
    return RecordedFeed(Store(path, durable=False), history, arguments.underlying)


def run_replay_command(arguments: argparse.Namespace) -> int:
    """Run (or resume) a durable replay with automatic approval; print where it stands."""
    from engine.backtest.runner import open_replay
    from engine.calendar import parse_date
    from engine.data.history import load_history
    from engine.errors import OptimusError
    from engine.session import SessionOptions

    try:
        first, last = parse_date(arguments.first, "--from"), parse_date(arguments.last, "--to")
        history = load_history()
        feed = None if arguments.recorded is None else _recorded_feed(arguments.recorded, history, arguments)
        session = open_replay(history, _settings(arguments), arguments.journal, SessionOptions(),
                              arguments.underlying, durable=True, feed=feed)
        if os.environ.get(PROGRESS_ENV) == "1":  # the kill tests time their SIGKILLs on these lines
            session.listeners.append(lambda step: print(f"STEP {step.moment.isoformat()}", flush=True))
        steps = session.run(first, last)
    except (OptimusError, argparse.ArgumentTypeError) as error:
        return _error("replay", error)
    cursor = session.cursor()
    state = {"steps_run": steps, "cursor": None if cursor is None else cursor.isoformat(),
             "open_positions": len(session.journal.positions("open"))}
    text = json.dumps(state, sort_keys=True) if arguments.json else f"ran {steps} steps; at {state['cursor']}"
    print(text)
    return 0
