"""The trading journal: every candidate, order, order event, fill, position and day, in SQLite.

The journal is the session's memory and the money path's record. Its rules:

* The session writes each scheduled step (a morning window, a close) inside one transaction of
  the store, so a crash leaves the journal at the end of the last completed write, never half
  way. Orders are the exception that proves it: an order is committed (status CREATED) *before*
  it is handed to the broker, and what the broker reports is written after, so a crash between
  the two is found and mended by reconciliation (engine.brokers.base).
* Writes are idempotent where a step can be re-run after a crash: a fill id already recorded is
  not recorded again, a candidate id already journaled is not proposed again.
* Times are stored in UTC; values go through engine.codec (canonical JSON).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import sqlite_utils

from engine.codec import dumps, loads
from engine.errors import InputError
from engine.model import (
    CandidateStatus,
    Fill,
    Order,
    OrderStatus,
    Position,
    TradeCandidate,
)
from engine.store import Store


def utc_text(moment: datetime) -> str:
    """Return a tz-aware moment as the store's UTC text."""
    if moment.tzinfo is None:
        raise InputError("moment", moment.isoformat(), "must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def from_utc_text(text: str) -> datetime:
    """Return the moment a UTC text stands for."""
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class JournalOrder:
    """An order as the journal holds it: the order, its status, and why it was sent."""

    order: Order
    status: OrderStatus
    candidate_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """A position with its life so far: open or closed, with the money figures of its fills.

    `commissions` is every dollar of commission and fees paid on it so far (both sides once
    closed). `exit_price` is the net price per unit of the close (negative: a debit), or of the
    cash settlement. `realised_pnl` is dollars, net of commissions. `exit_mode` is "auto" (exits
    go out by themselves) or "manual" (exit signals wait for the trader).
    """

    position: Position
    status: str  # "open" / "closed"
    opened_at: datetime
    commissions: float
    exit_mode: str
    closed_at: datetime | None = None
    exit_price: float | None = None
    exit_reason: str = ""
    realised_pnl: float | None = None

    @property
    def position_id(self) -> str:
        """Return the position's id."""
        return self.position.position_id


class Journal:
    """Read and write the journal tables of one store (module doc)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db: sqlite_utils.Database = store.db

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Write the block all or nothing."""
        with self.store.transaction():
            yield

    # --- session state ------------------------------------------------------------------------

    def state(self, key: str) -> str | None:
        """Return a saved session value, None when never set."""
        row = self.db.execute("SELECT value FROM session_state WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        """Save a session value (replacing the old one)."""
        self.db.execute("INSERT OR REPLACE INTO session_state (key, value) VALUES (?, ?)", [key, value])

    # --- candidates ---------------------------------------------------------------------------

    def add_candidate(self, candidate: TradeCandidate) -> bool:
        """Journal a new candidate; return False (and write nothing) if its id is known."""
        if self.candidate(candidate.candidate_id) is not None:
            return False
        self.db["candidates"].insert({
            "candidate_id": candidate.candidate_id, "underlying": candidate.underlying,
            "day": candidate.signal_day.isoformat(), "created_utc": utc_text(candidate.proposed_at),
            "status": candidate.status.value, "contracts": candidate.contracts, "detail": candidate.detail,
            "payload": dumps(candidate),
        })
        return True

    def update_candidate(self, candidate: TradeCandidate) -> None:
        """Write a candidate's new status, detail, size or limit."""
        self.db.execute(
            "UPDATE candidates SET status = ?, contracts = ?, detail = ?, payload = ? WHERE candidate_id = ?",
            [candidate.status.value, candidate.contracts, candidate.detail, dumps(candidate),
             candidate.candidate_id],
        )

    def candidate(self, candidate_id: str) -> TradeCandidate | None:
        """Return one candidate, None when unknown."""
        query = "SELECT payload FROM candidates WHERE candidate_id = ?"
        row = self.db.execute(query, [candidate_id]).fetchone()
        return None if row is None else loads(row[0], TradeCandidate)

    def candidates(self, statuses: Iterable[CandidateStatus] | None = None) -> list[TradeCandidate]:
        """Return candidates in the order they were proposed, optionally only some statuses."""
        where, args = _status_filter(statuses)
        rows = self.db.execute(
            f"SELECT payload FROM candidates {where} ORDER BY created_utc, candidate_id", args
        )
        return [loads(row[0], TradeCandidate) for row in rows]

    # --- orders and fills ---------------------------------------------------------------------

    def add_order(self, order: Order, candidate_id: str, reason: str) -> None:
        """Journal a new order as CREATED (before it goes to the broker)."""
        self.db["orders"].insert({
            "order_id": order.order_id, "candidate_id": candidate_id, "position_id": order.position_id,
            "underlying": order.underlying, "intent": order.intent.value,
            "status": OrderStatus.CREATED.value, "contracts": order.contracts,
            "limit_price": order.limit_price, "created_utc": utc_text(order.created_at),
            "expires_utc": utc_text(order.expires_at), "reason": reason, "payload": dumps(order),
        })
        self._order_event(order.order_id, order.created_at, OrderStatus.CREATED, reason)

    def _order_event(self, order_id: str, at: datetime, status: OrderStatus, detail: str) -> None:
        self.db["order_events"].insert(
            {"order_id": order_id, "at_utc": utc_text(at), "status": status.value, "detail": detail}
        )

    def set_order_status(self, order_id: str, status: OrderStatus, at: datetime, detail: str = "") -> None:
        """Record an order's new status and the event that brought it (unchanged status: nothing)."""
        current = self.order(order_id)
        if current is None:
            raise InputError("order_id", order_id, "is not in the journal")
        if current.status is status:
            return
        self.db.execute("UPDATE orders SET status = ? WHERE order_id = ?", [status.value, order_id])
        self._order_event(order_id, at, status, detail)

    def modify_order_limit(self, order_id: str, limit_price: float, at: datetime, detail: str) -> None:
        """Record a new limit of a working order (same id) and the event that changed it."""
        current = self.order(order_id)
        if current is None:
            raise InputError("order_id", order_id, "is not in the journal")
        order = replace(current.order, limit_price=limit_price)
        self.db.execute("UPDATE orders SET limit_price = ?, payload = ? WHERE order_id = ?",
                        [limit_price, dumps(order), order_id])
        self._order_event(order_id, at, current.status, detail)

    def order_events_of(self, order_ids: Sequence[str]) -> dict[str, list[tuple[datetime, OrderStatus, str]]]:
        """Return the state histories of several orders at once, oldest first, by order id."""
        out: dict[str, list[tuple[datetime, OrderStatus, str]]] = {order_id: [] for order_id in order_ids}
        marks = ", ".join("?" for _ in order_ids)
        if not order_ids:
            return out
        rows = self.db.execute(
            f"SELECT order_id, at_utc, status, detail FROM order_events WHERE order_id IN ({marks}) "
            "ORDER BY id",
            list(order_ids),
        )
        for order_id, at, status, detail in rows:
            out[order_id].append((from_utc_text(at), OrderStatus(status), detail))
        return out

    def log_tail(self, count: int) -> list[tuple[datetime, str, str]]:
        """Return the last `count` log entries, oldest first."""
        rows = self.db.execute(
            "SELECT at_utc, kind, text FROM (SELECT seq, at_utc, kind, text FROM journal_log "
            "ORDER BY seq DESC LIMIT ?) ORDER BY seq", [count],
        )
        return [(from_utc_text(at), kind, text) for at, kind, text in rows]

    def order(self, order_id: str) -> JournalOrder | None:
        """Return one journaled order, None when unknown."""
        row = self.db.execute(
            "SELECT payload, status, candidate_id, reason FROM orders WHERE order_id = ?", [order_id]
        ).fetchone()
        return None if row is None else _journal_order(row)

    def orders(self, statuses: Iterable[OrderStatus] | None = None) -> list[JournalOrder]:
        """Return orders in the order they were created, optionally only some statuses."""
        where, args = _status_filter(statuses)
        rows = self.db.execute(
            f"SELECT payload, status, candidate_id, reason FROM orders {where} "
            "ORDER BY created_utc, order_id", args,
        )
        return [_journal_order(row) for row in rows]

    def orders_working(self) -> list[JournalOrder]:
        """Return the orders not final yet (created or working), oldest first."""
        return self.orders([OrderStatus.CREATED, OrderStatus.WORKING])

    def fills_of(self, order_ids: Sequence[str]) -> list[Fill]:
        """Return the fills of several orders, in time order."""
        if not order_ids:
            return []
        marks = ", ".join("?" for _ in order_ids)
        rows = self.db.execute(
            "SELECT fill_id, order_id, at_utc, contracts, price, leg_prices, commission FROM fills "
            f"WHERE order_id IN ({marks}) ORDER BY at_utc, fill_id", list(order_ids),
        )
        return [Fill(r[0], r[1], from_utc_text(r[2]), r[3], r[4], loads(r[5], tuple[float, ...]), r[6])
                for r in rows]

    def order_events(self, order_id: str) -> list[dict[str, Any]]:
        """Return an order's state history, oldest first."""
        return list(self.db.query(
            "SELECT at_utc, status, detail FROM order_events WHERE order_id = ? ORDER BY id", [order_id]
        ))

    def add_fill(self, fill: Fill) -> bool:
        """Record a fill; return False (and write nothing) when its id is already recorded."""
        if self.db.execute("SELECT 1 FROM fills WHERE fill_id = ?", [fill.fill_id]).fetchone():
            return False
        self.db["fills"].insert({
            "fill_id": fill.fill_id, "order_id": fill.order_id, "at_utc": utc_text(fill.at),
            "contracts": fill.contracts, "price": fill.price, "commission": fill.commission,
            "leg_prices": dumps(fill.leg_prices),
        })
        return True

    def fills(self, order_id: str | None = None) -> list[Fill]:
        """Return fills (of one order, or all) in time order."""
        where, args = ("WHERE order_id = ?", [order_id]) if order_id is not None else ("", [])
        rows = self.db.execute(
            f"SELECT fill_id, order_id, at_utc, contracts, price, leg_prices, commission FROM fills {where} "
            "ORDER BY at_utc, fill_id", args,
        )
        return [Fill(r[0], r[1], from_utc_text(r[2]), r[3], r[4], loads(r[5], tuple[float, ...]), r[6])
                for r in rows]

    # --- positions ----------------------------------------------------------------------------

    def open_position(self, record: PositionRecord) -> None:
        """Journal a newly opened position."""
        position = record.position
        self.db["positions"].insert({
            "position_id": position.position_id, "underlying": position.underlying, "status": "open",
            "contracts": position.contracts, "entry_credit": position.entry_credit,
            "opened_utc": utc_text(record.opened_at), "opened_on": position.opened_on.isoformat(),
            "commissions": record.commissions, "exit_mode": record.exit_mode, "payload": dumps(position),
        })

    def close_position(self, record: PositionRecord) -> None:
        """Write a position's close (its exit fields must be set)."""
        if record.closed_at is None or record.realised_pnl is None or record.exit_price is None:
            raise InputError("position", record.position_id, "a close needs closed_at, exit_price and P&L")
        self.db.execute(
            "UPDATE positions SET status = 'closed', closed_utc = ?, exit_price = ?, exit_reason = ?, "
            "realised_pnl = ?, commissions = ? WHERE position_id = ?",
            [utc_text(record.closed_at), record.exit_price, record.exit_reason, record.realised_pnl,
             record.commissions, record.position_id],
        )

    def set_exit_mode(self, position_id: str, mode: str) -> None:
        """Set a position's exits to "auto" or "manual"."""
        if mode not in ("auto", "manual"):
            raise InputError("exit_mode", mode, "must be auto or manual", position_id)
        self.db.execute("UPDATE positions SET exit_mode = ? WHERE position_id = ?", [mode, position_id])

    def positions(self, status: str | None = None) -> list[PositionRecord]:
        """Return positions in opening order (all, or only "open" / "closed")."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self.db.execute(
            f"SELECT {_POSITION_COLUMNS} FROM positions {where} ORDER BY opened_utc, position_id", args
        )
        return [_position_record(row) for row in rows]

    def position(self, position_id: str) -> PositionRecord | None:
        """Return one position, None when unknown."""
        row = self.db.execute(
            f"SELECT {_POSITION_COLUMNS} FROM positions WHERE position_id = ?", [position_id]
        ).fetchone()
        return None if row is None else _position_record(row)

    def closed_between(self, start: datetime, end: datetime) -> list[PositionRecord]:
        """Return the positions closed in [start, end)."""
        rows = self.db.execute(
            f"SELECT {_POSITION_COLUMNS} FROM positions WHERE closed_utc >= ? AND closed_utc < ? "
            "ORDER BY closed_utc, position_id", [utc_text(start), utc_text(end)],
        )
        return [_position_record(row) for row in rows]

    def opened_between(self, start: datetime, end: datetime) -> int:
        """Return how many positions opened in [start, end)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM positions WHERE opened_utc >= ? AND opened_utc < ?",
            [utc_text(start), utc_text(end)],
        ).fetchone()
        return int(row[0])

    def commissions_between(self, start: datetime, end: datetime) -> float:
        """Return the commissions and fees of the fills in [start, end), dollars."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(commission), 0) FROM fills WHERE at_utc >= ? AND at_utc < ?",
            [utc_text(start), utc_text(end)],
        ).fetchone()
        return float(row[0])

    # --- days and the log ---------------------------------------------------------------------

    def add_day(self, row: dict[str, Any]) -> None:
        """Record (or replace) one session's closing figures (keys: the daily table's columns)."""
        self.db["daily"].insert(row, replace=True)

    def days(self) -> list[dict[str, Any]]:
        """Return every recorded day, oldest first."""
        return list(self.db.query("SELECT * FROM daily ORDER BY day"))

    def log(self, at: datetime, kind: str, text: str) -> None:
        """Append a structured log entry (002 §9 formats)."""
        self.db["journal_log"].insert({"at_utc": utc_text(at), "kind": kind, "text": text})

    def log_entries(self) -> list[tuple[datetime, str, str]]:
        """Return the log, oldest first: (moment, kind, text)."""
        rows = self.db.execute("SELECT at_utc, kind, text FROM journal_log ORDER BY seq")
        return [(from_utc_text(at), kind, text) for at, kind, text in rows]


_POSITION_COLUMNS = (
    "payload, status, opened_utc, commissions, exit_mode, closed_utc, exit_price, exit_reason, realised_pnl"
)


def _status_filter(statuses: Iterable[enum.Enum] | None) -> tuple[str, list[str]]:
    """Return a WHERE clause (and its arguments) keeping only some statuses; all when None."""
    if statuses is None:
        return "", []
    values = [status.value for status in statuses]
    return f"WHERE status IN ({', '.join('?' for _ in values)})", values


def _journal_order(row: tuple[Any, ...]) -> JournalOrder:
    payload, status, candidate_id, reason = row
    return JournalOrder(loads(payload, Order), OrderStatus(status), candidate_id or "", reason)


def _position_record(row: tuple[Any, ...]) -> PositionRecord:
    payload, status, opened, commissions, mode, closed, exit_price, reason, pnl = row
    return PositionRecord(
        loads(payload, Position), status, from_utc_text(opened), commissions, mode,
        None if closed is None else from_utc_text(closed), exit_price, reason or "", pnl,
    )


def with_status(candidate: TradeCandidate, status: CandidateStatus, detail: str) -> TradeCandidate:
    """Return the candidate with a new status and the reason for it."""
    return replace(candidate, status=status, detail=detail)


def day_text(day: date) -> str:
    """Return a day as the journal writes it."""
    return day.isoformat()
