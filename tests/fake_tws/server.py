"""A fake TWS on loopback that ib_async connects to as its real client.

It speaks the TWS text protocol (see ``protocol.py``): it answers the greeting with its server version
and connection time, answers ``startApi`` with the next valid order id and the managed account, and
answers every request ib_async sends while connecting, so ``IB.connectAsync`` completes. What it
received is kept, parsed into fields, for a test to check; a test can replace the answer to any
request (``respond_to``), push a message unasked (``send_to_all``) and drop every client connection
(``drop_connections``).

Beyond the connection it is a small scripted market and order book, all of it state of the
``FakeTws`` (so a client that reconnects finds its orders): instruments (``add_index``,
``list_option``, ``list_chain``; answered by ``instruments.py``), quotes and subscriptions
(``set_quote``, ``entitled``; ``market.py``), and orders, fills, executions and positions
(``placements``, ``orders``, ``fill_rule``, ``fill``, ``positions``; ``orders.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from tests.fake_tws.instruments import Catalog
from tests.fake_tws.link import ClientLink
from tests.fake_tws.market import MarketDesk
from tests.fake_tws.model import (
    BAG_CON_ID,
    FakeContract,
    FakeExecution,
    FakeOrder,
    FakeQuote,
    PlacedLeg,
    PlacedOrder,
    Position,
    WireContract,
)
from tests.fake_tws.orders import OrderDesk, never_fill
from tests.fake_tws.protocol import (
    API_GREETING,
    MAX_SERVER_VERSION,
    MIN_SERVER_VERSION,
    FieldReader,
    Fields,
    Incoming,
    Outgoing,
    decode,
    parse_client_versions,
    read_framed,
)

__all__ = [
    "BAG_CON_ID",
    "PAPER_ACCOUNT",
    "ClientLink",
    "FakeContract",
    "FakeExecution",
    "FakeOrder",
    "FakeQuote",
    "FakeTws",
    "PlacedLeg",
    "PlacedOrder",
    "Position",
    "never_fill",
]

log = logging.getLogger(__name__)

PAPER_ACCOUNT = "DU1234567"
"""A paper-trading account id (IB paper accounts start with ``DU``)."""

DEFAULT_ACCOUNT_VALUES: Mapping[str, str] = {
    "NetLiquidation": "1000000.00",
    "TotalCashValue": "1000000.00",
    "AvailableFunds": "1000000.00",
}
"""Account values (USD) sent in answer to account updates."""

Reply = Sequence[object]
"""One outgoing message as its fields, the ``Outgoing`` id first."""

Responder = Callable[["ClientLink", Fields], Iterable[Reply]]
"""Answers one request: given the client link and the request's fields, the messages to send back."""


@dataclass
class FakeTws:
    """A scripted TWS on 127.0.0.1; ``port`` is the real port once started (ask for port 0).

    Use as ``async with FakeTws() as tws: await ib.connectAsync("127.0.0.1", tws.port, ...)``.
    """

    account: str = PAPER_ACCOUNT
    server_version: int = MAX_SERVER_VERSION
    next_order_id: int = 1
    account_values: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCOUNT_VALUES))
    host: str = "127.0.0.1"
    requested_port: int = 0
    entitled: bool = True
    """False: live market data requests get error 354; delayed ones (type 3/4) are served delayed."""
    commission_per_contract: float = 1.29
    """Commission of each leg (or single-contract) execution, per contract."""
    fill_rule: Callable[[PlacedOrder], float | None] = never_fill
    """Asked after each placement (new or modified): the price to fill it at now, or None to rest."""
    working_status: str = "Submitted"
    """The status a placed order works in (``"PreSubmitted"`` imitates an order held outside hours)."""
    positions: list[Position] = field(default_factory=list)
    """The account's positions; fills move them (a bought leg adds, a sold one subtracts)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """Time of executions and completions."""
    received: list[Fields] = field(default_factory=list, init=False)
    client_greetings: list[str] = field(default_factory=list, init=False)
    catalog: Catalog = field(default_factory=Catalog, init=False)
    """The listed instruments (``catalog.contracts`` by con id) and market rules."""
    quotes: dict[int, FakeQuote] = field(default_factory=dict, init=False)
    placements: list[PlacedOrder] = field(default_factory=list, init=False)
    """Every placeOrder received and booked, modifications included, oldest first."""
    orders: dict[int, FakeOrder] = field(default_factory=dict, init=False)
    """The current state of each order id."""
    executions: list[FakeExecution] = field(default_factory=list, init=False)
    failures: list[Exception] = field(default_factory=list, init=False)
    """Exceptions raised while answering a request (each was also sent to the client as error 321)."""
    _links: list[ClientLink] = field(default_factory=list, init=False)
    _serving: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _server: asyncio.Server | None = field(default=None, init=False)
    _responders: dict[int, Responder] = field(default_factory=dict, init=False)
    _market: MarketDesk = field(init=False)
    _orders: OrderDesk = field(init=False)

    def __post_init__(self) -> None:
        """Check the server version and install the default answers."""
        if not MIN_SERVER_VERSION <= self.server_version <= MAX_SERVER_VERSION:
            raise ValueError(
                f"server_version={self.server_version}: must be in {MIN_SERVER_VERSION}..{MAX_SERVER_VERSION}"
            )
        self._market = MarketDesk(self)
        self._orders = OrderDesk(self)
        self._responders.update(self._default_responders())

    # --- life cycle -------------------------------------------------------------------------------

    async def start(self) -> FakeTws:
        """Listen on ``host``; with ``requested_port`` 0 the system picks a free port."""
        self._server = await asyncio.start_server(self._serve_client, self.host, self.requested_port)
        return self

    @property
    def port(self) -> int:
        """The port the server listens on (only once started)."""
        if self._server is None:
            raise RuntimeError("FakeTws is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening, drop every client and wait until their serving tasks end."""
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        if self._server is not None:
            await self._server.wait_closed()
        if self._serving:
            _, stuck = await asyncio.wait(self._serving, timeout=2.0)
            for task in stuck:
                task.cancel()
            if stuck:
                await asyncio.wait(stuck)

    async def __aenter__(self) -> FakeTws:
        """Start the server."""
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    # --- instruments, quotes, fills ----------------------------------------------------------------

    def add_index(self, symbol: str, con_id: int, exchange: str = "CBOE") -> FakeContract:
        """List an index (SPX, VIX...) under ``con_id``."""
        return self.catalog.add_index(symbol, con_id, exchange)

    def list_option(
        self,
        symbol: str,
        expiry: str,
        strike: float,
        right: str,
        trading_class: str,
        con_id: int | None = None,
        exchange: str = "SMART",
        multiplier: str = "100",
    ) -> FakeContract:
        """List one option (``expiry`` YYYYMMDD, ``right`` C or P); ``con_id`` None assigns one."""
        return self.catalog.list_option(
            symbol, expiry, strike, right, trading_class, con_id, exchange, multiplier
        )

    def list_chain(
        self, symbol: str, trading_class: str, expiries: Iterable[str], strikes: Iterable[float]
    ) -> list[FakeContract]:
        """List a call and a put at every strike of every expiry (contract ids assigned)."""
        return self.catalog.list_chain(symbol, trading_class, expiries, strikes)

    def set_quote(
        self,
        con_id: int,
        bid: float | None,
        ask: float | None,
        last: float | None = None,
        *,
        iv: float | None = None,
        delta: float | None = None,
        gamma: float | None = None,
        vega: float | None = None,
        theta: float | None = None,
        underlying: float | None = None,
        open_interest: float | None = None,
        volume: float | None = None,
        bid_size: float = 10.0,
        ask_size: float = 10.0,
        last_size: float = 1.0,
        day_open: float | None = None,
        day_high: float | None = None,
        day_low: float | None = None,
        prior_close: float | None = None,
    ) -> FakeQuote:
        """Quote a listed contract and push the changed ticks to its subscriptions at once.

        Greeks and IV go out as option computations (bid, ask, model); ``underlying`` None takes
        the last price of the listed index of the option's symbol. ``day_open``, ``day_high``,
        ``day_low`` and ``prior_close`` go out as the session ticks (14, 6, 7, 9; delayed 76, 72, 73, 75).
        """
        quote = FakeQuote(
            bid, ask, last, bid_size, ask_size, last_size,
            iv, delta, gamma, vega, theta, underlying, open_interest, volume,
            day_open, day_high, day_low, prior_close,
        )
        self._market.set_quote(con_id, quote)
        return quote

    def subscriptions(self) -> list[int]:
        """The con id of every live market data subscription of every connected client."""
        return self._market.subscribed_con_ids()

    def fill(
        self,
        order_id: int,
        price: float,
        leg_prices: Sequence[float] | None = None,
        quantity: float | None = None,
    ) -> list[FakeExecution]:
        """Fill a live order now at ``price`` (a combo's net; legs at ``leg_prices`` or derived from
        their quotes); ``quantity`` None fills what remains. Returns the executions."""
        return self._orders.fill(order_id, price, leg_prices, quantity)

    @property
    def links(self) -> list[ClientLink]:
        """The connected clients."""
        return list(self._links)

    # --- scripting from a test --------------------------------------------------------------------

    def respond_to(self, request: Incoming | int, responder: Responder) -> None:
        """Answer ``request`` with ``responder`` from now on (replacing the default answer)."""
        self._responders[int(request)] = responder

    def ignore(self, request: Incoming | int) -> None:
        """Leave ``request`` unanswered from now on, as a stuck TWS would."""
        self.respond_to(request, lambda link, fields: ())

    def requests(self, request: Incoming | int) -> list[Fields]:
        """The received messages with the id ``request``, oldest first."""
        wanted = str(int(request))
        return [fields for fields in self.received if fields and fields[0] == wanted]

    def send_to_all(self, *fields: object) -> None:
        """Push one message, unasked, to every connected client."""
        for link in self._links:
            link.send(*fields)

    def send_error(self, code: int, message: str, request_id: int = -1) -> None:
        """Push an error message (request id -1 for one about the connection, not a request)."""
        self.send_to_all(Outgoing.ERROR, 2, request_id, code, message, "")

    def drop_connections(self) -> int:
        """Cut every client connection at once; returns how many were cut."""
        links = list(self._links)
        for link in links:
            link.drop()
        return len(links)

    @property
    def client_count(self) -> int:
        """How many clients are connected now."""
        return len(self._links)

    @property
    def client_ids(self) -> list[int]:
        """The client ids of the connected clients that have started the API."""
        return [link.client_id for link in self._links if link.client_id is not None]

    # --- serving one client -----------------------------------------------------------------------

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Run one client's connection: greeting, then request after request until it closes."""
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
        link = ClientLink(writer)
        self._links.append(link)
        try:
            if await self._greet(link, reader):
                await self._answer_requests(link, reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            log.debug("fake TWS: client %s gone", link.client_id)
        except asyncio.CancelledError:
            # Ending quietly: Python 3.11's stream server logs a cancelled handler task as an error.
            log.debug("fake TWS: serving client %s cancelled", link.client_id)
        finally:
            self._links.remove(link)
            writer.close()
            if task is not None:
                self._serving.discard(task)

    async def _greet(self, link: ClientLink, reader: asyncio.StreamReader) -> bool:
        """Read the client's greeting and reply with the agreed server version and the time.

        Returns False (and the connection is closed) if the greeting is not TWS's or the versions
        do not overlap.
        """
        if await reader.readexactly(len(API_GREETING)) != API_GREETING:
            return False
        greeting = (await read_framed(reader)).decode()
        self.client_greetings.append(greeting)
        lowest, highest = parse_client_versions(greeting)
        agreed = min(self.server_version, highest)
        if agreed < max(lowest, MIN_SERVER_VERSION):
            return False
        link.server_version = agreed
        link.send(agreed, _connection_time())
        await link.writer.drain()
        return True

    async def _answer_requests(self, link: ClientLink, reader: asyncio.StreamReader) -> None:
        """Record each request and send its answer, until the client goes away."""
        while True:
            fields = decode(await read_framed(reader))
            log.debug("fake TWS <<< %s", fields)
            self.received.append(fields)
            responder = self._responders.get(int(fields[0]))
            if responder is None:
                log.debug("fake TWS: no answer for request %s", fields[0])
                continue
            for reply in self._answer(responder, link, fields):
                link.send(*reply)
            await link.writer.drain()

    def _answer(self, responder: Responder, link: ClientLink, fields: Fields) -> Iterable[Reply]:
        """The responder's answer; if it fails, error 321 naming the failure (kept in ``failures``)."""
        try:
            return list(responder(link, fields))
        except Exception as failure:
            log.exception("fake TWS: answering %s failed", fields)
            self.failures.append(failure)
            return [(Outgoing.ERROR, 2, -1, 321, f"fake TWS could not answer {fields[:3]}: {failure}", "")]

    # --- default answers --------------------------------------------------------------------------

    def _default_responders(self) -> dict[int, Responder]:
        """The answers a freshly started paper TWS with an empty account gives."""
        return {
            Incoming.START_API: self._on_start_api,
            Incoming.REQ_IDS: lambda link, fields: [self._next_valid_id()],
            Incoming.REQ_MANAGED_ACCOUNTS: lambda link, fields: [self._managed_accounts()],
            Incoming.REQ_ACCOUNT_UPDATES: self._on_account_updates,
            Incoming.REQ_ACCOUNT_UPDATES_MULTI: self._on_account_updates_multi,
            Incoming.REQ_CONTRACT_DETAILS: self._on_contract_details,
            Incoming.REQ_SEC_DEF_OPT_PARAMS: self._on_sec_def_opt_params,
            Incoming.REQ_MARKET_RULE: lambda link, fields: [self.catalog.market_rule(int(fields[1]))],
            Incoming.REQ_CURRENT_TIME: lambda link, fields: [self._current_time()],
            **self._market.responders(),
            **self._orders.responders(),
        }

    def _on_start_api(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[71, version, clientId, optionalCapabilities]``: the client id is taken; order ids and
        the account follow, which is what ib_async waits for before it calls itself connected."""
        link.client_id = int(fields[2])
        return [self._next_valid_id(), self._managed_accounts()]

    def _next_valid_id(self) -> Reply:
        """``nextValidId``: the first order id the client may use."""
        return (Outgoing.NEXT_VALID_ID, 1, self.next_order_id)

    def _current_time(self) -> Reply:
        """``currentTime`` ``[49, 1, epochSeconds]`` on the fake's clock."""
        return (Outgoing.CURRENT_TIME, 1, int(self.clock().timestamp()))

    def _managed_accounts(self) -> Reply:
        """``managedAccounts``: the comma-separated account ids this login may trade."""
        return (Outgoing.MANAGED_ACCOUNTS, 1, self.account)

    def _on_account_updates(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[6, version, subscribe, account]``: the account values, the update time, then the End."""
        if fields[2] != "1":
            return []
        account = fields[3] or self.account
        replies: list[Reply] = [
            (Outgoing.ACCOUNT_VALUE, 2, tag, value, "USD", account)
            for tag, value in self.account_values.items()
        ]
        replies.append((Outgoing.ACCOUNT_UPDATE_TIME, 1, datetime.now(UTC).strftime("%H:%M")))
        replies.append((Outgoing.ACCOUNT_DOWNLOAD_END, 1, account))
        return replies

    def _on_account_updates_multi(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[76, version, reqId, account, modelCode, ledgerAndNLV]``: the values, then the End."""
        request_id, account, model_code = fields[2], fields[3], fields[4]
        replies: list[Reply] = [
            (Outgoing.ACCOUNT_UPDATE_MULTI, 1, request_id, account, model_code, tag, value, "USD")
            for tag, value in self.account_values.items()
        ]
        replies.append((Outgoing.ACCOUNT_UPDATE_MULTI_END, 1, request_id))
        return replies

    def _on_contract_details(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[9, 8, reqId, contract(12), includeExpired, secIdType, secId, (issuerId from 176)]``:
        contractData per match then contractDataEnd, or error 200 (see ``Catalog``)."""
        reader = FieldReader(fields, start=2)
        request_id = reader.integer("reqId")
        contract = WireContract.read(reader)
        return list(self.catalog.contract_details(request_id, contract))

    def _on_sec_def_opt_params(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[78, reqId, underlyingSymbol, futFopExchange, underlyingSecType, underlyingConId]``:
        one entry per exchange and trading class of the listed options, then the End."""
        reader = FieldReader(fields)
        request_id = reader.integer("reqId")
        symbol, exchange = reader.text("underlyingSymbol"), reader.text("futFopExchange")
        reader.text("underlyingSecType")
        underlying_con_id = reader.integer("underlyingConId")
        return list(self.catalog.option_parameters(request_id, symbol, exchange, underlying_con_id))


def _connection_time() -> str:
    """The connection time TWS sends in its greeting reply, e.g. ``20250102 14:30:00 UTC``."""
    return datetime.now(UTC).strftime("%Y%m%d %H:%M:%S UTC")
