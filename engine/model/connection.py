"""Where and how the terminal connects to Interactive Brokers (TWS or IB Gateway): a value type.

Defaults are TWS's paper-trading socket on this machine: 127.0.0.1:7497 (7496 is TWS live, 4002 and
4001 are IB Gateway paper and live). The account kind is told by IB itself once connected (paper
account ids start with "DU"); `allow_live` is the trader's explicit setting that a live account may
be traded at all, and even then every live order asks for its own confirmation (engine.brokers.ib.broker).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InputError

PAPER_TWS_PORT = 7497
LIVE_TWS_PORT = 7496
PAPER_GATEWAY_PORT = 4002
LIVE_GATEWAY_PORT = 4001
MAX_CLIENT_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class IbSettings:
    """One connection's settings, checked when made."""

    host: str = "127.0.0.1"
    port: int = PAPER_TWS_PORT
    client_id: int = 17  # not 0: client 0 also receives orders placed by hand in TWS
    read_only: bool = False  # IB's read-only API: market data and the account, no orders
    allow_live: bool = False  # a live (non-DU) account may be traded only when this is set
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        """Raise InputError naming the first field out of its range."""
        if not self.host.strip():
            raise InputError("host", self.host, "must name a host, e.g. 127.0.0.1")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise InputError("port", self.port, "must be a whole number in 1..65535 (TWS paper 7497)")
        if isinstance(self.client_id, bool) or not isinstance(self.client_id, int) \
                or not 0 <= self.client_id <= MAX_CLIENT_ID:
            raise InputError("client_id", self.client_id, f"must be a whole number in 0..{MAX_CLIENT_ID}")
        if not self.timeout_s > 0:
            raise InputError("timeout_s", self.timeout_s, "must be > 0 seconds")


def is_paper_account(account: str) -> bool:
    """Return True for an IB paper-trading account id (they start with "DU"; "DF" for advisors)."""
    return account.upper().startswith(("DU", "DF"))
