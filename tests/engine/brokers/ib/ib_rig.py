"""A trading session wired to IB exactly as the terminal wires it, against a FakeTws on loopback.

The fake is scripted with the 2015-01-16 close (tests/fake_tws/model_world.py): the day the strategy
signals in the replay. The session's clock is parked at that close (a ReplayClock the test moves),
so "live" here means: IB's protocol, IB's client, IB's order flow, on a known market.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from engine import calendar
from engine.brokers.ib.broker import IbBroker
from engine.brokers.ib.connection import IbConnection
from engine.brokers.ib.contracts import ContractBook
from engine.brokers.ib.feed import IbFeed
from engine.brokers.ib.walk import walk_params_of
from engine.clock import ReplayClock
from engine.config import Settings, defaults_path, load_settings
from engine.data.history import MarketHistory
from engine.journal import Journal
from engine.model import Order
from engine.model.connection import IbSettings
from engine.session import SessionOptions, Step, TradingSession
from engine.store import Store

SIGNAL_DAY = date(2015, 1, 16)
ENTRY_DAY = date(2015, 1, 20)  # the next session (Monday the 19th is Martin Luther King Day)
CANDIDATE = "C-SPX-2015-01-16"
ORDER = "O-C-SPX-2015-01-16"
POSITION = "P-SPX-2015-01-16"




@dataclass
class IbRig:
    """Connection, feed, broker, journal and session on one journal file."""

    connection: IbConnection
    contracts: ContractBook
    feed: IbFeed
    broker: IbBroker
    journal: Journal
    session: TradingSession
    clock: ReplayClock

    def close_step(self) -> Step:
        """Return the signal day's close step."""
        return Step(SIGNAL_DAY, "close", calendar.session_close(SIGNAL_DAY))

    async def work(self, moment: datetime) -> None:
        """Work orders at `moment` (send, walk, book reports) and let the fake answer."""
        self.clock.advance_to(max(moment, self.clock.now()))
        self.session.work_orders(moment)
        await self.broker.settle()
        await self.connection.drained()  # the modify may wait behind the subscriptions (pacing)
        await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Disconnect and close the journal."""
        await self.connection.disconnect()
        self.journal.store.close()


def test_settings() -> Settings:
    """Return the default settings (the walk: 0.05 every 10 s)."""
    return load_settings(defaults_path())


async def open_rig(port: int, history: MarketHistory, journal_path: Path, moment: datetime,
                   client_id: int = 7) -> IbRig:
    """Connect to the fake at `port` and open a session on `journal_path` with its clock at `moment`."""
    settings = test_settings()
    clock = ReplayClock(moment)
    link = IbSettings(port=port, client_id=client_id, timeout_s=5.0)
    connection = IbConnection(link, backoff_s=(0.05, 0.1))
    contracts = ContractBook()
    day = moment.astimezone(calendar.MARKET_TZ).date()
    feed = IbFeed(connection, contracts, history.up_to(calendar.previous_session(day)),
                  settings.underlying("SPX"), clock.now)
    journal = Journal(Store(journal_path, durable=True))

    def lookup(order_id: str) -> Order | None:
        entry = journal.order(order_id)
        return None if entry is None else entry.order

    broker = IbBroker(connection, contracts, feed, walk_params_of(settings.execution), orders=lookup)
    await connection.connect()
    feed.live_history(day)
    session = TradingSession(feed, broker, journal, settings, clock, SessionOptions(auto_approve=False))
    session.start()
    await broker.settle()
    return IbRig(connection, contracts, feed, broker, journal, session, clock)


def entry_moment() -> datetime:
    """Return the entry window's moment of the day after the signal (10:30 New York)."""
    return calendar.session_open(ENTRY_DAY) + timedelta(hours=1)
