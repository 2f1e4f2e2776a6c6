"""Live mode's engine side: the clock, the IB link and feed, the live session and its journal (no Qt).

The same TradingSession as a replay (DESIGN.md, "one code path"), with three parts swapped: the feed
(engine.brokers.ib.feed.IbFeed: IB's quotes and chain), the broker (engine.brokers.ib.broker.IbBroker)
and the clock (the wall clock, or one parked at ``--as-of`` that runs on with the wall clock from
there). engine.live.LiveRunner runs the session's steps when their moment comes and works the
orders every second. terminal.live_mode puts it on the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from engine import calendar
from engine.brokers.ib.broker import IbBroker, LiveConfirmations
from engine.brokers.ib.connection import OWN_CODE, IbConnection, TimedMessage
from engine.brokers.ib.contracts import ContractBook
from engine.brokers.ib.errors import Severity
from engine.brokers.ib.feed import IbFeed
from engine.brokers.ib.positions import check_positions
from engine.brokers.ib.recorder import ChainRecorder
from engine.brokers.ib.walk import walk_params_of
from engine.clock import MARKET_TZ, ReplayClock
from engine.config import Settings
from engine.data.history import MarketHistory
from engine.errors import InputError
from engine.journal import Journal
from engine.live import LiveRunner
from engine.model import Order
from engine.model.connection import IbSettings
from engine.model.desk import ConnectionView
from engine.session import SessionOptions, TradingSession
from engine.store import Store

log = logging.getLogger(__name__)



# --- time -------------------------------------------------------------------------------------


class LiveTime:
    """The live session's time: the wall clock in New York, or parked at `as_of` and running on from there.

    ``--as-of 2015-01-16T15:59:30`` makes the terminal trade a fake TWS scripted with that day's
    market "at" that moment; the seconds pass as on the wall.
    """

    def __init__(self, as_of: datetime | None = None,
                 wall: Callable[[], datetime] = lambda: datetime.now(MARKET_TZ)) -> None:
        if as_of is not None and as_of.tzinfo is None:
            raise InputError("as_of", as_of.isoformat(), "must be timezone-aware")
        self.as_of = as_of
        self._wall = wall
        self._anchor = wall()

    @property
    def parked(self) -> bool:
        """Return True when the clock was parked at --as-of (simulated time, not the wall's)."""
        return self.as_of is not None

    def now(self) -> datetime:
        """Return the live moment, in New York time."""
        return self.of_wall(self._wall())

    def of_wall(self, moment: datetime) -> datetime:
        """Return the live moment of a wall-clock moment (a broker message's arrival, say)."""
        if self.as_of is None:
            return moment.astimezone(MARKET_TZ)
        return (self.as_of + (moment - self._anchor)).astimezone(MARKET_TZ)


def parse_as_of(text: str) -> datetime:
    """Parse ``--as-of``: an ISO date-time, New York time when it names no zone; InputError when bad."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError("--as-of", text, "must be an ISO date-time, e.g. 2015-01-16T15:59:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MARKET_TZ)
    return moment.astimezone(MARKET_TZ)


def parse_ib_address(text: str) -> tuple[str, int]:
    """Parse ``--ib HOST:PORT`` into its host and port; InputError naming the value when bad."""
    host, colon, port = text.strip().rpartition(":")
    if not colon or not host.strip("[] ") or not port.isdigit():
        raise InputError("--ib", text, "must be HOST:PORT, e.g. 127.0.0.1:7497")
    return host.strip("[] "), int(port)


# --- the engine side (no Qt) -------------------------------------------------------------------


def history_before(history: MarketHistory, day: date) -> MarketHistory:
    """Return the history cut at the session before `day` (what is known before today's bar).

    A live day past the end of the history gets the whole history (today's bar follows its last).
    """
    previous = calendar.previous_session(day)
    if previous < history.first_date:
        raise InputError("date", day.isoformat(), f"must be after the history's first session "
                         f"{history.first_date.isoformat()}")
    return history.up_to(min(previous, history.last_date))


def live_journal_path(folder: Path, account: str, time: LiveTime) -> Path:
    """Return the live journal of an account: ``<folder>/<account>.sqlite``.

    A parked clock (--as-of) trades simulated time: it gets a journal of its own per run, so the
    account's real journal never holds a simulated day, and a rerun starts afresh.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = account or "unknown-account"
    if time.as_of is None:
        return folder / f"{name}.sqlite"
    stamp = datetime.now(MARKET_TZ).strftime("%Y%m%d-%H%M%S")
    return folder / f"{name}-as-of-{time.as_of:%Y%m%dT%H%M%S}-{stamp}.sqlite"


@dataclass
class LiveLink:
    """The link to TWS and what streams over it: built before connecting."""

    connection: IbConnection
    contracts: ContractBook
    feed: IbFeed


def build_link(ib: IbSettings, history: MarketHistory, settings: Settings, time: LiveTime,
               backoff_s: Sequence[float] = ()) -> LiveLink:
    """Build the connection and the feed (not connected yet); InputError when today has no history."""
    day = time.now().date()
    connection = IbConnection(ib, backoff_s) if backoff_s else IbConnection(ib)
    contracts = ContractBook()
    feed = IbFeed(connection, contracts, history_before(history, day), settings.underlying("SPX"), time.now)
    return LiveLink(connection, contracts, feed)


@dataclass
class LiveSession:
    """A connected link with its broker, journal, session and runner."""

    link: LiveLink
    broker: IbBroker
    journal: Journal
    session: TradingSession
    runner: LiveRunner
    day: date
    confirmations: LiveConfirmations | None = None  # a live account: the trader confirms each order
    recorder: ChainRecorder | None = None  # the streamed chains, into the live journal's store

    @property
    def feed(self) -> IbFeed:
        """Return the live feed."""
        return self.link.feed

    @property
    def connection(self) -> IbConnection:
        """Return the link to TWS."""
        return self.link.connection


def open_live_session(link: LiveLink, settings: Settings, journal_folder: Path,
                      time: LiveTime) -> LiveSession:
    """Open the session on a connected link: today's bar, the journal, the broker, reconciliation."""
    now = time.now()
    day = now.date()
    if calendar.is_session(day):  # a weekend or holiday has no bar of its own: the history stands
        link.feed.live_history(day)
    journal = Journal(Store(live_journal_path(journal_folder, link.connection.account, time), durable=True))
    # A live (real money) account: every order waits for its own confirmation on its ticket, so
    # exits are signalled to the trader instead of being sent by themselves.
    confirmations = None if link.connection.paper else LiveConfirmations()
    try:
        broker = IbBroker(link.connection, link.contracts, quotes=link.feed,
                          walk=walk_params_of(settings.execution), orders=_order_lookup(journal),
                          confirm_live=confirmations)
        options = SessionOptions(auto_approve=False, exit_mode="auto" if confirmations is None else "manual")
        session = TradingSession(link.feed, broker, journal, settings, ReplayClock(now), options)
        session.start()
        check_positions(link.connection, journal)
    except BaseException:
        journal.store.close()
        raise

    async def recheck(connection: IbConnection, reconnected: bool) -> None:
        if reconnected:  # the session reconciles orders itself on every tick; positions are told
            check_positions(connection, journal)

    link.connection.on_ready.append(recheck)
    recorder = ChainRecorder(link.feed, journal.store)  # replay later: optimus replay --recorded <journal>
    return LiveSession(link, broker, journal, session, LiveRunner(session, time.now), day, confirmations,
                       recorder)


def _order_lookup(journal: Journal) -> Callable[[str], Order | None]:
    def lookup(order_id: str) -> Order | None:
        entry = journal.order(order_id)
        return None if entry is None else entry.order
    return lookup


def connection_view(connection: IbConnection, feed: IbFeed | None) -> ConnectionView:
    """Return the status bar's broker part: IB, paper or live, connected, account and data notes.

    A link that is reconnecting reads "disconnected"; the activity line and the dialog say it is
    being tried again.
    """
    notes = [connection.account]
    if feed is not None and feed.delayed:
        notes.append("delayed data")
    if connection.settings.read_only:
        notes.append("read-only")
    kind: Literal["paper", "live"] = "paper" if connection.paper else "live"
    return ConnectionView("IB", kind, connection.connected, " · ".join(note for note in notes if note))


def log_text(timed: TimedMessage) -> str | None:
    """Return a broker message as the journal's log shows it, None when it is not logged.

    Warnings and errors are logged, and the link's own notes (connected, lost, reconnected);
    IB's "all is well" notices (data farm connected) are not.
    """
    message = timed.message
    if message.severity is Severity.INFO and message.code != OWN_CODE:
        return None
    label = "IB" if message.severity is Severity.INFO else f"IB {message.severity.value.upper()}"
    return f"[{label}] {message}"
