"""One client's connection to the fake TWS and what TWS remembers per connection."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from tests.fake_tws.model import MarketSubscription
from tests.fake_tws.protocol import Outgoing, encode

log = logging.getLogger(__name__)

LIVE_DATA = 1
"""Market data type 1: real-time (the type a connection starts with)."""


@dataclass
class ClientLink:
    """One client's TCP connection to the fake server."""

    writer: asyncio.StreamWriter
    server_version: int = 0
    client_id: int | None = None
    market_data_type: int = LIVE_DATA
    """The type the client last asked for with reqMarketDataType (1 live, 2 frozen, 3 delayed, 4 both)."""
    subscriptions: dict[int, MarketSubscription] = field(default_factory=dict)
    """Live market data requests by request id."""
    wants_positions: bool = False
    """True between reqPositions and cancelPositions: position changes are pushed."""

    def send(self, *fields: object) -> None:
        """Write one message to this client (buffered; the serving loop drains it)."""
        log.debug("fake TWS >>> %s", fields)
        if not self.writer.is_closing():
            self.writer.write(encode(*fields))

    def send_error(self, request_id: int, code: int, message: str) -> None:
        """``[4, 2, reqId, code, message, advancedOrderRejectJson]``: an error about one request."""
        self.send(Outgoing.ERROR, 2, request_id, code, message, "")

    def drop(self) -> None:
        """Cut the connection at once, as a crashed TWS or a broken network would."""
        self.writer.transport.abort()
