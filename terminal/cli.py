"""The ``optimus`` command.

``optimus [--date YYYY-MM-DD]`` opens the terminal; ``optimus --screenshot FILE [--date ...]
[--size WxH]`` renders it off screen and writes a PNG. ``--ib HOST:PORT [--client-id N]
[--read-only] [--as-of ISO-DATETIME]`` connects to Interactive Brokers at start and takes the desk
live (a screenshot is then taken once IB's chain is in). Subcommands (``optimus warmup`` now;
``evaluate`` and ``backtest`` later) are registered in COMMANDS: the window's options live on the
top-level parser, so a bare ``optimus`` and ``optimus --screenshot`` keep working whatever
subcommands are added.

Bad input (a malformed or out-of-history date, an unwritable file, a bad size) prints one line
naming the value to stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from terminal import cli_session

if TYPE_CHECKING:  # the window's modules load Qt: import them only when a window is wanted
    from engine.model.connection import IbSettings
    from terminal.app import LaunchOptions

PROG = "optimus"
MIN_SIZE, MAX_SIZE = 320, 8192
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class Command:
    """One subcommand: its name, help line, how it adds its arguments, and what it runs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """Add nothing: the command takes no options."""


def _run_warmup(arguments: argparse.Namespace) -> int:
    from engine.warmup import warm_all

    print(f"numba kernels ready in {warm_all():.2f} s")
    return 0


def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``optimus evaluate``."""
    # dest differs from the window's --date: a subcommand's values are copied onto the top-level
    # namespace, where `date` would read as a window option.
    parser.add_argument("--date", dest="evaluate_date", metavar="YYYY-MM-DD", required=True,
                        help="session whose close is evaluated (signal on the close, entry next session)")
    parser.add_argument("--underlying", default="SPX", help="underlying to evaluate (default SPX)")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="settings TOML (default: the user's optimus.toml if any, else the defaults)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (date, regime, warmup_bars_remaining, gates, signal, "
                             "reason, candidate) instead of the report")


def _run_evaluate(arguments: argparse.Namespace) -> int:
    """Evaluate one session's close for an entry; print the report or one JSON object."""
    import json

    from engine.calendar import parse_date
    from engine.config import load_settings
    from engine.data.history import load_history
    from engine.errors import OptimusError
    from engine.strategy.evaluate import Evaluator, report

    try:
        day = parse_date(arguments.evaluate_date, "--date")
        settings = load_settings(arguments.config)
        full = load_history()
        full.row_of(day)  # a weekend, holiday or out-of-history date is named as such
        history = full.up_to(day)  # only what was known at that close
        evaluation = Evaluator(history, settings, underlying=arguments.underlying).evaluate(day)
    except OptimusError as error:
        print(f"{PROG} evaluate: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if arguments.json:
        print(json.dumps(evaluation.to_json(), indent=2, allow_nan=False))
    else:
        print(report(evaluation))
    return 0


COMMANDS: tuple[Command, ...] = (
    Command("warmup", "compile the numba kernels into their on-disk cache (the window also "
            "does this behind its first paint)", _no_arguments, _run_warmup),
    Command("evaluate", "evaluate one session's close for an entry: diagnosis, regime, every gate "
            "and the candidate spread", _evaluate_arguments, _run_evaluate),
    Command("backtest", "run the strategy headless over the bundled history at full speed and write "
            "summary.json, trades.csv, daily.csv, log.txt and report.html", cli_session.backtest_arguments,
            cli_session.run_backtest_command),
    Command("replay", "run or resume a replay journal headless (automatic approval); crash-safe",
            cli_session.replay_arguments, cli_session.run_replay_command),
    Command("stress", "revalue a replay date's open positions under a stress scenario (003 §3.4)",
            cli_session.stress_arguments, cli_session.run_stress_command),
)


def parse_size(text: str) -> tuple[int, int]:
    """Parse ``WIDTHxHEIGHT`` in pixels; raise ArgumentTypeError naming the value."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"size {text!r} must be WIDTHxHEIGHT, e.g. 1600x960")
    width, height = int(match[1]), int(match[2])
    if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
        raise argparse.ArgumentTypeError(f"size {text!r}: each side must be {MIN_SIZE}..{MAX_SIZE} pixels")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``optimus`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Optimus Terminal: SPX option credit spreads on the desktop. "
        "Without a command, opens the terminal window.")
    window = parser.add_argument_group("window")
    window.add_argument("--date", metavar="YYYY-MM-DD",
                        help="park the replay at this session's close (default 2015-01-13, just before a "
                             "signal)")
    window.add_argument("--from", dest="replay_from", metavar="YYYY-MM-DD",
                        help="first session of the replay (default: the start of the --date year)")
    window.add_argument("--to", dest="replay_to", metavar="YYYY-MM-DD",
                        help="last session of the replay (default: the end of the history)")
    window.add_argument("--journal", dest="replay_journal", metavar="FILE", type=Path,
                        help="resume this replay journal (default: a new one in the user data directory)")
    window.add_argument("--approve-all", action="store_true",
                        help="approve every candidate at once, as a headless replay does")
    window.add_argument("--theme", choices=("dark", "light"), default="dark", help="colour theme")
    window.add_argument("--screenshot", metavar="FILE", type=Path,
                        help="render the window off screen once its panels have data, write a PNG, exit")
    window.add_argument("--size", metavar="WxH", type=parse_size,
                        help="window size in pixels (default 1600x960)")
    window.add_argument("--exit-after-first-paint", action="store_true",
                        help="exit as soon as the window has painted (start-up measurement)")
    live = parser.add_argument_group("live (Interactive Brokers)")
    live.add_argument("--ib", metavar="HOST:PORT",
                      help="connect to TWS or IB Gateway at start and trade live (TWS paper: 127.0.0.1:7497)")
    live.add_argument("--client-id", type=int, metavar="N",
                      help="API client id of the --ib connection (default 17; unique per connection)")
    live.add_argument("--read-only", action="store_true",
                      help="--ib with IB's read-only API: market data and the account, no orders")
    live.add_argument("--as-of", metavar="ISO-DATETIME",
                      help="start the live clock at this moment (New York time unless a zone is given) and "
                           "let it run on with the wall clock, e.g. to trade a recorded or scripted day")
    commands = parser.add_subparsers(dest="command", metavar="[COMMAND]", title="commands")
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _check_screenshot_path(path: Path) -> str | None:
    """Return why a PNG cannot be written at `path`, or None when it can."""
    if path.is_dir():
        return f"screenshot path {str(path)!r} is a directory"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"cannot write the screenshot {str(path)!r}: directory {str(folder)!r} does not exist"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"cannot write the screenshot {str(path)!r}: permission denied"
    return None


def _window_date(parser: argparse.ArgumentParser, text: str | None, flag: str) -> date | None:
    """Parse a window date option; exit with a message naming the flag when malformed."""
    if text is None:
        return None
    from engine.calendar import parse_date
    from engine.errors import InputError

    try:
        return parse_date(text, flag)
    except InputError as error:
        parser.exit(EXIT_USAGE, f"{PROG}: error: {error}\n")


def _window_options(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> LaunchOptions:
    """Validate the window options; return LaunchOptions (exits with a message when invalid)."""
    from terminal.app import LaunchOptions

    day = None
    if arguments.date is not None:
        from engine.calendar import parse_date
        from engine.errors import InputError

        try:
            day = parse_date(arguments.date, "--date")
        except InputError as error:
            parser.exit(EXIT_USAGE, f"{PROG}: error: {error}\n")
    if arguments.screenshot is not None:
        problem = _check_screenshot_path(arguments.screenshot)
        if problem:
            parser.exit(EXIT_USAGE, f"{PROG}: error: {problem}\n")
    first = _window_date(parser, arguments.replay_from, "--from")
    last = _window_date(parser, arguments.replay_to, "--to")
    ib, as_of = _live_options(parser, arguments)
    return LaunchOptions(day=day, screenshot=arguments.screenshot, size=arguments.size, first=first,
                         last=last, journal=arguments.replay_journal, approve_all=arguments.approve_all,
                         theme=arguments.theme,
                         exit_after_first_paint=arguments.exit_after_first_paint, ib=ib, as_of=as_of)


def _live_options(parser: argparse.ArgumentParser,
                  arguments: argparse.Namespace) -> tuple[IbSettings | None, datetime | None]:
    """Return the --ib connection settings and the --as-of moment (exits with a message when invalid)."""
    if arguments.ib is None and arguments.as_of is None and arguments.client_id is None \
            and not arguments.read_only:
        return None, None  # the usual start: nothing of live mode is imported before the first paint
    from engine.errors import InputError
    from engine.model.connection import IbSettings
    from terminal.live_setup import parse_as_of, parse_ib_address

    if arguments.ib is None and (arguments.client_id is not None or arguments.read_only):
        parser.exit(EXIT_USAGE, f"{PROG}: error: --client-id and --read-only apply to an --ib connection\n")
    try:
        as_of = None if arguments.as_of is None else parse_as_of(arguments.as_of)
        if arguments.ib is None:
            return None, as_of
        host, port = parse_ib_address(arguments.ib)
        client_id = IbSettings().client_id if arguments.client_id is None else arguments.client_id
        return IbSettings(host, port, client_id, read_only=arguments.read_only), as_of
    except InputError as error:
        parser.exit(EXIT_USAGE, f"{PROG}: error: {error}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``optimus`` command line; return the process exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is not None:
        used = [flag for flag, value in (("--date", arguments.date), ("--screenshot", arguments.screenshot),
                                         ("--size", arguments.size), ("--ib", arguments.ib),
                                         ("--as-of", arguments.as_of)) if value is not None]
        if used:
            parser.error(f"{', '.join(used)} apply to the window, not to '{arguments.command}'")
        return int(arguments.run(arguments))
    options = _window_options(parser, arguments)
    from terminal.app import run

    return run(options)


if __name__ == "__main__":
    sys.exit(main())
