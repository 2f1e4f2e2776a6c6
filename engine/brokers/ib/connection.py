"""One connection to TWS or IB Gateway through ib_async, on the application's own asyncio loop.

Rules (issue 6, DESIGN.md "Runtime"):

* Only ib_async's ``*Async`` calls and its non-blocking ones (placeOrder, cancelOrder, reqMktData)
  are used: never ``util.useQt``, ``util.patchAsyncio`` or the blocking wrappers (``connect``,
  ``qualifyContracts``...), which would run a nested loop inside the terminal's qasync loop.
* The loop is the one running when `connect` is awaited; it is taken (``asyncio.get_running_loop``)
  before ib_async creates anything, so ib_async never makes or caches a loop of its own, and later
  reconnects run on the same one.
* A connection that drops without being asked to (TWS restarted, network gone, socket reset) is
  tried again with backoff (1, 2, 4, 8, 15, 30, 30... seconds by default). After each reconnect the
  listeners of `on_ready` run again: the feed subscribes its quotes anew (ib_async forgets every
  subscription, order and fill on a drop; TWS replays open orders and the day's executions at
  connect) and the broker reconciles with what TWS says.
* Pacing: ib_async throttles requests itself (at most 45 per second, IB's limit is 50); the feed
  keeps its market data lines under the account's default 100.

Every message from TWS reaches `messages` (and the `on_message` listeners) as a readable
BrokerMessage (engine.brokers.ib.errors), with the connection's own events told the same way.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ib_async import IB

from engine.brokers.ib.errors import BrokerMessage, Severity, describe_ib_message
from engine.clock import MARKET_TZ
from engine.errors import OptimusError
from engine.model.connection import IbSettings, is_paper_account

log = logging.getLogger(__name__)

DEFAULT_BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
"""Waits before reconnect attempts; the last one repeats until the link is back or closed."""

READY_TIMEOUT_S = 60.0
"""How long one after-connect listener (the feed's subscription, ~3 s under pacing) may take."""

OWN_CODE = 0
"""The code of messages the connection writes itself (not from TWS)."""


class LinkState(enum.StrEnum):
    """Where the connection stands, as the status bar and the connect dialog show it."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


class BrokerConnectError(OptimusError):
    """TWS could not be reached or refused us; the message says what to check."""


@dataclass(frozen=True, slots=True)
class TimedMessage:
    """A broker message and when it arrived (New York time)."""

    at: datetime
    message: BrokerMessage


ReadyListener = Callable[["IbConnection", bool], Awaitable[None]]
"""Runs after every successful (re)connect; the flag is True for a reconnect."""


class IbConnection:
    """The link to TWS (module doc). Create it anywhere; `connect` must be awaited on the app's loop."""

    def __init__(self, settings: IbSettings, backoff_s: Sequence[float] = DEFAULT_BACKOFF_S) -> None:
        self.settings = settings
        self.backoff_s = tuple(backoff_s) or DEFAULT_BACKOFF_S
        self.ib = IB()
        self.state = LinkState.DISCONNECTED
        self.account = ""
        self.messages: list[TimedMessage] = []
        self.on_message: list[Callable[[TimedMessage], None]] = []
        self.on_state: list[Callable[[LinkState], None]] = []
        self.on_ready: list[ReadyListener] = []
        self.reconnects = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self.ib.errorEvent += self._on_ib_error
        self.ib.disconnectedEvent += self._on_disconnected

    # --- what the rest of the terminal reads --------------------------------------------------

    @property
    def connected(self) -> bool:
        """Return True while the API link is up and synchronised."""
        return self.state is LinkState.CONNECTED and self.ib.isConnected()

    @property
    def paper(self) -> bool:
        """Return True when the logged-in account is a paper-trading one (DU...)."""
        return is_paper_account(self.account)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """Return the loop the connection runs on (None before the first connect)."""
        return self._loop

    @property
    def queued_requests(self) -> int:
        """Return how many requests ib_async holds back under its pacing throttle (45 a second)."""
        return len(self.ib.client._msgQ)  # ib_async keeps no public count of its throttle queue

    async def drained(self, patience_s: float = 30.0) -> None:
        """Wait until the throttle has sent every queued request (or `patience_s` ran out)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience_s
        while self.queued_requests and loop.time() < deadline:  # noqa: ASYNC110 - ib_async signals no drain
            await asyncio.sleep(0.02)

    def where(self) -> str:
        """Return host:port and client id, for messages."""
        s = self.settings
        return f"{s.host}:{s.port} (client {s.client_id})"

    # --- connecting ---------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and synchronise; raise BrokerConnectError with a readable reason on failure."""
        self._loop = asyncio.get_running_loop()  # before ib_async could create or look up a loop
        self._closing = False
        self._set_state(LinkState.CONNECTING)
        try:
            await self._connect_once()
        except BrokerConnectError:
            self._set_state(LinkState.DISCONNECTED)
            raise
        await self._ready(reconnected=False)

    async def _connect_once(self) -> None:
        s = self.settings
        try:
            await self.ib.connectAsync(s.host, s.port, clientId=s.client_id, timeout=s.timeout_s,
                                       readonly=s.read_only, raiseSyncErrors=True)
        # Most specific first: TimeoutError and ConnectionError are both OSErrors.
        except TimeoutError as exc:
            why = (f"TWS at {self.where()} did not answer within {s.timeout_s:g} s "
                   "(is the client id already in use, or the API dialog waiting in TWS?)")
            raise self._failed(why) from exc
        except ConnectionRefusedError as exc:
            raise self._failed(self._unreachable(exc)) from exc
        except ConnectionError as exc:
            unanswered = exc.args[0] if exc.args and isinstance(exc.args[0], list) else None
            if unanswered:  # ib_async's raiseSyncErrors: start-up requests TWS left unanswered
                why = (f"TWS at {self.where()} did not finish synchronising within {s.timeout_s:g} s: "
                       f"{'; '.join(str(e) for e in unanswered)}")
            else:
                why = f"TWS at {self.where()} dropped the connection while synchronising: {exc}"
            raise self._failed(why) from exc
        except OSError as exc:  # no such host, network unreachable
            raise self._failed(self._unreachable(exc)) from exc
        accounts = self.ib.managedAccounts()
        self.account = accounts[0] if accounts else ""

    def _unreachable(self, exc: OSError) -> str:
        return (f"Could not reach TWS at {self.where()}: {exc.strerror or exc}. "
                "Is TWS or IB Gateway running with the API socket enabled on that port?")

    def _failed(self, text: str) -> BrokerConnectError:
        self._say(Severity.ERROR, text)
        return BrokerConnectError(text)

    async def _ready(self, reconnected: bool) -> None:
        self._set_state(LinkState.CONNECTED)
        kind = "paper" if self.paper else "LIVE"
        verb = "Reconnected" if reconnected else "Connected"
        self._say(Severity.INFO, f"{verb} to TWS at {self.where()}, account {self.account} ({kind}), "
                                 f"server version {self.ib.client.serverVersion()}")
        for listener in list(self.on_ready):
            try:
                await asyncio.wait_for(listener(self, reconnected), READY_TIMEOUT_S)
            except ConnectionError:  # dropped again while re-subscribing: _on_disconnected retries
                log.info("link dropped while getting ready")
                return
            except TimeoutError:  # a TWS that stops answering must not hang the connect
                self._say(Severity.WARNING, f"TWS did not answer within {READY_TIMEOUT_S:g} s while "
                                            "subscribing and reconciling: quotes may be missing")
            except Exception as exc:  # one listener's failure must not stop the others
                log.exception("a connection listener failed")
                self._say(Severity.WARNING, f"After connecting, {type(exc).__name__}: {exc}")

    async def disconnect(self) -> None:
        """Close the link on purpose: no reconnect follows."""
        self._closing = True
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self.ib.isConnected():
            self.ib.disconnect()
        self._set_state(LinkState.DISCONNECTED)

    # --- reconnecting -------------------------------------------------------------------------

    def _on_disconnected(self) -> None:
        if self._closing or self.state is not LinkState.CONNECTED:
            return
        self._set_state(LinkState.RECONNECTING)
        self._say(Severity.ERROR, f"Lost the connection to TWS at {self.where()}: reconnecting")
        if self._loop is not None and not self._loop.is_closed():
            self._reconnect_task = self._loop.create_task(self._reconnect())

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closing:
            delay = self.backoff_s[min(attempt, len(self.backoff_s) - 1)]
            await asyncio.sleep(delay)
            attempt += 1
            try:
                await self._connect_once()
            except BrokerConnectError:
                continue  # said already; wait longer and try again
            self._reconnect_task = None
            await self._ready(reconnected=True)
            self.reconnects += 1  # counted once the listeners have re-subscribed and reconciled
            return

    # --- messages -----------------------------------------------------------------------------

    def _on_ib_error(self, req_id: int, code: int, text: str, contract: object) -> None:
        self._publish(describe_ib_message(code, text, req_id))

    def _say(self, severity: Severity, text: str) -> None:
        self._publish(BrokerMessage(OWN_CODE, severity, text))

    def _publish(self, message: BrokerMessage) -> None:
        timed = TimedMessage(datetime.now(MARKET_TZ), message)
        self.messages.append(timed)
        log.log(logging.WARNING if message.severity is not Severity.INFO else logging.INFO, "%s", message)
        for listener in list(self.on_message):
            listener(timed)

    def _set_state(self, state: LinkState) -> None:
        if state is self.state:
            return
        self.state = state
        for listener in list(self.on_state):
            listener(state)
