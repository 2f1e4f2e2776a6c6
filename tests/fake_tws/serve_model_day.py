"""Serve a FakeTws scripted with one historical day's market until killed (for screenshots and by hand).

    python -m tests.fake_tws.serve_model_day --port 7497 --day 2015-01-16

then ``optimus --ib 127.0.0.1:7497 --as-of 2015-01-16T15:59:30`` trades that day's close on IB's
protocol (tests/fake_tws/model_world.py says what is listed and quoted). It listens on 127.0.0.1
only, prints one ``SERVING <port>`` line once it accepts connections, and stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from datetime import date

from engine.data.history import load_history
from tests.fake_tws.model_world import script_model_day
from tests.fake_tws.server import FakeTws


def build_parser() -> argparse.ArgumentParser:
    """Return the script's argument parser."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_tws.serve_model_day",
                                     description="Serve a fake TWS scripted with a day of the history.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2015, 1, 16),
                        help="session whose close is served (default 2015-01-16, a signal day)")
    return parser


async def serve(port: int, day: date) -> None:
    """Serve `day`'s close on `port` until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with FakeTws(requested_port=port) as tws:
        world = script_model_day(tws, load_history(), day)
        quoted = sum(len(chain.strikes) for chain in world.slices.values())
        print(f"SERVING {tws.port} {day.isoformat()} spot {world.spot:.2f}: {len(world.expirations)} "
              f"expiries listed, {len(world.slices)} quoted ({quoted} strikes)", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server; return the exit code."""
    arguments = build_parser().parse_args(argv)
    try:
        asyncio.run(serve(arguments.port, arguments.day))
    except OSError as error:
        where = f"127.0.0.1:{arguments.port}"
        print(f"serve_model_day: error: cannot listen on {where}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
