"""IB's numbered error messages turned into what a trader reads, with how serious each one is.

TWS reports everything, from "data farm is OK" to "no such contract", as an error with a code and an
often cryptic text. ``describe_ib_message`` gives the common ones a readable sentence, a severity, and
for the connectivity codes what happened to the link, so the session can reconnect or re-subscribe.
Codes not known here keep IB's own text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    """How much a broker message matters to the trader."""

    INFO = "info"
    """Nothing is wrong (e.g. a data farm connection is OK); log it, do not alarm."""
    WARNING = "warning"
    """Something is degraded but trading goes on (e.g. delayed data, a farm is reconnecting)."""
    ERROR = "error"
    """A request failed or the link is down; the trader must know."""


class LinkChange(enum.StrEnum):
    """What a connectivity message says about the link between TWS and IB's servers."""

    LOST = "lost"
    """TWS lost IB's servers (1100): quotes and orders stall until it is restored."""
    RESTORED_DATA_LOST = "restored_data_lost"
    """Restored but the market data subscriptions are gone (1101): subscribe again."""
    RESTORED = "restored"
    """Restored with the subscriptions kept (1102): nothing to redo."""


@dataclass(frozen=True, slots=True)
class BrokerMessage:
    """One IB message, ready to show: ``text`` is ours, ``ib_text`` is what TWS sent."""

    code: int
    severity: Severity
    text: str
    ib_text: str = ""
    request_id: int = -1
    link_change: LinkChange | None = None

    def __str__(self) -> str:
        """The readable sentence with the IB code, e.g. ``No market data permission ... (IB 354)``.

        Code 0 is a message of our own about the link (not from TWS): no code is shown.
        """
        return self.text if self.code == 0 else f"{self.text} (IB {self.code})"


@dataclass(frozen=True, slots=True)
class _Known:
    """What we say about one known code."""

    severity: Severity
    text: str
    link_change: LinkChange | None = None


_KNOWN: dict[int, _Known] = {
    100: _Known(
        Severity.ERROR,
        "Too many requests per second: IB's pacing limit was exceeded; slow down and retry",
    ),
    200: _Known(
        Severity.ERROR,
        "No such contract at IB: check symbol, expiry, strike, right, trading class and exchange",
    ),
    354: _Known(
        Severity.ERROR,
        "No market data permission for this contract: subscribe in Account Management, or use delayed data",
    ),
    10089: _Known(
        Severity.ERROR,
        "Market data for this contract needs an additional API subscription; delayed data may be available",
    ),
    10197: _Known(
        Severity.WARNING,
        "No market data: another session (TWS, mobile or web) is using the live data subscription",
    ),
    1100: _Known(
        Severity.ERROR,
        "Connection between TWS and IB's servers lost: quotes and orders are on hold",
        LinkChange.LOST,
    ),
    1101: _Known(
        Severity.WARNING,
        "Connection between TWS and IB's servers restored, but market data was lost: re-subscribing",
        LinkChange.RESTORED_DATA_LOST,
    ),
    1102: _Known(
        Severity.INFO,
        "Connection between TWS and IB's servers restored; market data kept",
        LinkChange.RESTORED,
    ),
    1300: _Known(
        Severity.ERROR,
        "TWS reset its API port and dropped this connection: reconnect on the new port",
    ),
    2104: _Known(Severity.INFO, "Market data farm connected"),
    2106: _Known(Severity.INFO, "Historical data farm connected"),
    2158: _Known(Severity.INFO, "Security definition data farm connected"),
}

_NOTICE_CODES = range(2100, 2200)
"""IB's range of farm and status notices: warnings at most, never a failed request."""

_SYSTEM_CODES = range(1100, 1301)
"""IB's range of system (connectivity) messages."""


def describe_ib_message(code: int, ib_text: str = "", request_id: int = -1) -> BrokerMessage:
    """The readable message for IB error ``code`` (as ib_async's ``errorEvent`` delivers it).

    ``request_id`` is the request or order id the message is about, -1 for one about the connection.
    """
    known = _KNOWN.get(code)
    if known is not None:
        return BrokerMessage(code, known.severity, known.text, ib_text, request_id, known.link_change)
    return BrokerMessage(
        code, _severity_of_unknown(code), ib_text or "IB reported a problem", ib_text, request_id
    )


def _severity_of_unknown(code: int) -> Severity:
    """Severity of a code not in our table, from IB's numbering ranges."""
    if code in _NOTICE_CODES or code in _SYSTEM_CODES:
        return Severity.WARNING
    return Severity.ERROR


def is_informational(code: int) -> bool:
    """Whether ``code`` is a notice that nothing is wrong (2104, 2106, 1102...), to log without alarm."""
    return describe_ib_message(code).severity is Severity.INFO
