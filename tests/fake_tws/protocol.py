"""The TWS text protocol as the fake server speaks it: message ids and framing, in one place.

Source of truth: ib_async's installed ``client.py`` (what the client sends) and ``decoder.py``
(what it expects back, field by field). Every frame after the greeting is a 4-byte big-endian
length followed by NUL-terminated text fields. The greeting is ``b"API\\0"`` followed by one framed
message ``"v{min}..{max}"`` naming the client's protocol versions.
"""

from __future__ import annotations

import asyncio
import struct
from enum import IntEnum

API_GREETING = b"API\0"
"""The 4 raw bytes a client sends before its first framed message."""

LENGTH_PREFIX = struct.Struct(">I")
"""Every framed message starts with its byte length as an unsigned big-endian 32-bit integer."""

MIN_SERVER_VERSION = 176
MAX_SERVER_VERSION = 178
"""The server versions this fake speaks (the range issue 6 names; ib_async 2.1.0 goes up to 178)."""


class Incoming(IntEnum):
    """Ids of the requests a client sends (first field of each message it writes)."""

    REQ_MKT_DATA = 1
    CANCEL_MKT_DATA = 2
    PLACE_ORDER = 3
    CANCEL_ORDER = 4
    REQ_OPEN_ORDERS = 5
    REQ_ACCOUNT_UPDATES = 6
    REQ_EXECUTIONS = 7
    REQ_IDS = 8
    REQ_CONTRACT_DETAILS = 9
    REQ_AUTO_OPEN_ORDERS = 15
    REQ_ALL_OPEN_ORDERS = 16
    REQ_MANAGED_ACCOUNTS = 17
    REQ_CURRENT_TIME = 49
    REQ_GLOBAL_CANCEL = 58
    REQ_MARKET_DATA_TYPE = 59
    REQ_POSITIONS = 61
    REQ_ACCOUNT_SUMMARY = 62
    CANCEL_POSITIONS = 64
    START_API = 71
    REQ_ACCOUNT_UPDATES_MULTI = 76
    CANCEL_ACCOUNT_UPDATES_MULTI = 77
    REQ_SEC_DEF_OPT_PARAMS = 78
    REQ_MARKET_RULE = 91
    REQ_COMPLETED_ORDERS = 99


class Outgoing(IntEnum):
    """Ids of the messages the server sends (first field of each message it writes)."""

    TICK_PRICE = 1
    TICK_SIZE = 2
    ORDER_STATUS = 3
    ERROR = 4
    OPEN_ORDER = 5
    ACCOUNT_VALUE = 6
    PORTFOLIO_VALUE = 7
    ACCOUNT_UPDATE_TIME = 8
    NEXT_VALID_ID = 9
    CONTRACT_DATA = 10
    EXECUTION_DATA = 11
    MANAGED_ACCOUNTS = 15
    TICK_OPTION_COMPUTATION = 21
    TICK_GENERIC = 45
    CURRENT_TIME = 49
    CONTRACT_DATA_END = 52
    OPEN_ORDER_END = 53
    ACCOUNT_DOWNLOAD_END = 54
    EXECUTION_DATA_END = 55
    TICK_SNAPSHOT_END = 57
    MARKET_DATA_TYPE = 58
    COMMISSION_REPORT = 59
    POSITION_DATA = 61
    POSITION_END = 62
    ACCOUNT_SUMMARY = 63
    ACCOUNT_SUMMARY_END = 64
    ACCOUNT_UPDATE_MULTI = 73
    ACCOUNT_UPDATE_MULTI_END = 74
    SECURITY_DEFINITION_OPTION_PARAMETER = 75
    SECURITY_DEFINITION_OPTION_PARAMETER_END = 76
    TICK_REQ_PARAMS = 81
    MARKET_RULE = 93
    COMPLETED_ORDER = 101
    COMPLETED_ORDERS_END = 102


Fields = list[str]
"""One message as its text fields, the message id first."""


def frame(payload: bytes) -> bytes:
    """Prefix ``payload`` with its length, as every message after the greeting is sent."""
    return LENGTH_PREFIX.pack(len(payload)) + payload


def encode(*fields: object) -> bytes:
    """Turn fields into one framed message; each field is ``str()``-ed and NUL-terminated.

    ``None`` becomes an empty field, ``True``/``False`` become ``"1"``/``"0"``.
    """
    text = "".join(f"{_as_text(field)}\0" for field in fields)
    return frame(text.encode())


def _as_text(field: object) -> str:
    """The wire text of one field value."""
    if field is None:
        return ""
    if isinstance(field, bool):
        return "1" if field else "0"
    if isinstance(field, IntEnum):
        return str(int(field))
    return str(field)


def decode(payload: bytes) -> Fields:
    """Split one message's payload into its fields (the trailing NUL leaves no empty last field)."""
    fields = payload.decode(errors="backslashreplace").split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


async def read_framed(reader: asyncio.StreamReader) -> bytes:
    """Read one length-prefixed payload; raises ``asyncio.IncompleteReadError`` at end of stream."""
    header = await reader.readexactly(LENGTH_PREFIX.size)
    (length,) = LENGTH_PREFIX.unpack(header)
    return await reader.readexactly(length)


def parse_client_versions(text: str) -> tuple[int, int]:
    """The ``(min, max)`` protocol versions of a client greeting such as ``"v157..178"``.

    Connect options may follow after a space (``"v157..178 +PACEAPI"``); they are ignored.
    A single version ``"v178"`` means min = max.
    """
    versions = text.split(" ", 1)[0].removeprefix("v")
    low, _, high = versions.partition("..")
    return int(low), int(high or low)


UNSET_TEXT = ""
"""How ib_async sends an unset number (``UNSET_DOUBLE``/``UNSET_INTEGER``): an empty field."""


class FieldReader:
    """Reads one received message's fields in order, as TWS parses a request it was sent.

    Every read names the field it expects, so a message shorter than its layout fails with the
    name of the missing field instead of an ``IndexError``.
    """

    def __init__(self, fields: Fields, start: int = 1) -> None:
        """Read ``fields`` from index ``start`` on (1 skips the message id)."""
        self._fields = fields
        self._position = start

    @property
    def remaining(self) -> int:
        """How many fields are left unread."""
        return len(self._fields) - self._position

    def text(self, name: str) -> str:
        """The next field as sent."""
        if self._position >= len(self._fields):
            raise ValueError(f"message {self._fields[:1]} ends before field {name!r}")
        value = self._fields[self._position]
        self._position += 1
        return value

    def integer(self, name: str) -> int:
        """The next field as an integer (an empty field is 0)."""
        value = self.text(name)
        try:
            return int(value or 0)
        except ValueError:
            raise ValueError(f"field {name!r} is not an integer: {value!r}") from None

    def number(self, name: str) -> float | None:
        """The next field as a float, None when empty (unset)."""
        value = self.text(name)
        if value == UNSET_TEXT:
            return None
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"field {name!r} is not a number: {value!r}") from None

    def flag(self, name: str) -> bool:
        """The next field as a boolean (``"1"`` true; ``"0"`` or empty false)."""
        return self.integer(name) != 0

    def expect_end(self) -> None:
        """Fail if fields are left over: the layout read did not match what was sent."""
        if self.remaining:
            left = self._fields[self._position :]
            raise ValueError(f"message {self._fields[:1]} has {self.remaining} unread fields: {left}")
