"""The local store: one SQLite file through sqlite-utils, in WAL mode, with versioned migrations.

Why SQLite: one file in the user's data directory, transactional (a crash never leaves half a
write), readable with any SQLite tool, and fast enough for daily bars and recorded chains.

Schema versions live in ``PRAGMA user_version``. Each migration runs in its own transaction
and bumps the version in that same transaction, so a crash mid-migration leaves the previous
version intact. A file written by a newer program is refused rather than guessed at.

Storage conventions: times are UTC ISO-8601 strings (microseconds); floats are stored as REAL,
which is IEEE-754 double, so they read back bit-identical. SQLite has no NaN (it stores NULL), so
missing numbers are written as NULL and read back as NaN.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import platformdirs
import sqlite_utils

from engine.errors import InputError, OptimusError
from engine.model import Chain, ChainSlice, DataSource, Expiration, Settlement, SideQuotes

APP_NAME = "optimus-terminal"
MARKET_TZ = ZoneInfo("America/New_York")
QUOTE_FIELDS = ("bid", "ask", "mid", "iv", "delta", "gamma", "theta", "vega", "open_interest")


class StoreError(OptimusError):
    """The store file cannot be used (newer schema, corrupt, not a database)."""


def default_path() -> Path:
    """Return the store's path in the user's data directory (created if needed)."""
    folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "optimus.db"


# --- migrations -------------------------------------------------------------------------------


def _v1_market_data(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE bars (
            series TEXT NOT NULL, ts_utc TEXT NOT NULL,
            open REAL, high REAL, low REAL, close REAL NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (series, ts_utc))"""
    )
    db.execute(
        """CREATE TABLE chain_snapshots (
            id INTEGER PRIMARY KEY, underlying TEXT NOT NULL, as_of_utc TEXT NOT NULL,
            spot REAL NOT NULL, source TEXT NOT NULL,
            UNIQUE (underlying, as_of_utc, source))"""
    )
    db.execute(
        """CREATE TABLE chain_slices (
            id INTEGER PRIMARY KEY,
            snapshot_id INTEGER NOT NULL REFERENCES chain_snapshots(id) ON DELETE CASCADE,
            expiry TEXT NOT NULL, settlement TEXT NOT NULL, trading_class TEXT NOT NULL,
            settles_at_utc TEXT NOT NULL, kind TEXT NOT NULL, spot REAL NOT NULL,
            forward REAL NOT NULL, rate REAL NOT NULL, dividend_yield REAL NOT NULL,
            time_to_expiry REAL NOT NULL, as_of_utc TEXT NOT NULL)"""
    )
    fields = ", ".join(f"{f} REAL" for f in QUOTE_FIELDS)
    db.execute(
        f"""CREATE TABLE chain_quotes (
            slice_id INTEGER NOT NULL REFERENCES chain_slices(id) ON DELETE CASCADE,
            strike REAL NOT NULL, right INTEGER NOT NULL, {fields},
            PRIMARY KEY (slice_id, right, strike))"""
    )
    db.execute("CREATE INDEX chain_slices_snapshot ON chain_slices(snapshot_id)")


def _v2_circuit_breaker(db: sqlite_utils.Database) -> None:
    """Create the circuit breaker's state (one row per scope) and its event journal (engine.risk)."""
    db.execute(
        """CREATE TABLE circuit_breaker (
            scope TEXT PRIMARY KEY,
            consecutive_max_losses INTEGER NOT NULL, recent TEXT NOT NULL,
            tripped_on TEXT, halted_through TEXT,
            manual_halt_by TEXT, manual_halt_why TEXT, manual_halt_on TEXT,
            last_resume_by TEXT, last_resume_why TEXT, last_resume_on TEXT,
            updated_on TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE circuit_breaker_events (
            id INTEGER PRIMARY KEY, scope TEXT NOT NULL, day TEXT NOT NULL,
            event TEXT NOT NULL, detail TEXT NOT NULL,
            consecutive_max_losses INTEGER NOT NULL, halted_through TEXT,
            manual_halt INTEGER NOT NULL)"""
    )


def _v3_journal(db: sqlite_utils.Database) -> None:
    """Create the trading journal (engine.journal) and the paper broker's own book (engine.brokers.paper).

    Payload columns hold JSON (engine.journal's codec) for the nested values; the columns a panel or
    a query filters on are plain columns. The paper broker keeps its tables apart from the journal:
    it stands for an outside broker whose memory survives the terminal's crash.
    """
    db.execute(
        """CREATE TABLE candidates (
            candidate_id TEXT PRIMARY KEY, underlying TEXT NOT NULL, day TEXT NOT NULL,
            created_utc TEXT NOT NULL, status TEXT NOT NULL, contracts INTEGER NOT NULL,
            detail TEXT NOT NULL, payload TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE orders (
            order_id TEXT PRIMARY KEY, candidate_id TEXT, position_id TEXT NOT NULL,
            underlying TEXT NOT NULL, intent TEXT NOT NULL, status TEXT NOT NULL,
            contracts INTEGER NOT NULL, limit_price REAL NOT NULL,
            created_utc TEXT NOT NULL, expires_utc TEXT NOT NULL, reason TEXT NOT NULL,
            payload TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE order_events (
            id INTEGER PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(order_id),
            at_utc TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE fills (
            fill_id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(order_id),
            at_utc TEXT NOT NULL, contracts INTEGER NOT NULL, price REAL NOT NULL,
            commission REAL NOT NULL, leg_prices TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE positions (
            position_id TEXT PRIMARY KEY, underlying TEXT NOT NULL, status TEXT NOT NULL,
            contracts INTEGER NOT NULL, entry_credit REAL NOT NULL, opened_utc TEXT NOT NULL,
            opened_on TEXT NOT NULL, closed_utc TEXT, exit_price REAL, exit_reason TEXT,
            realised_pnl REAL, commissions REAL NOT NULL, exit_mode TEXT NOT NULL,
            payload TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE daily (
            day TEXT PRIMARY KEY, equity REAL NOT NULL, cash REAL NOT NULL,
            open_value REAL NOT NULL, realised_pnl REAL NOT NULL, commissions REAL NOT NULL,
            drawdown_pct REAL NOT NULL, open_positions INTEGER NOT NULL,
            entered INTEGER NOT NULL, closed INTEGER NOT NULL, payload TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE journal_log (
            seq INTEGER PRIMARY KEY, at_utc TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL)"""
    )
    db.execute("CREATE TABLE session_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE paper_orders (
            order_id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_utc TEXT NOT NULL,
            payload TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE paper_fills (
            fill_id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES paper_orders(order_id),
            payload TEXT NOT NULL)"""
    )
    db.execute("CREATE INDEX orders_status ON orders(status)")
    db.execute("CREATE INDEX order_events_order ON order_events(order_id)")
    db.execute("CREATE INDEX fills_order ON fills(order_id)")
    db.execute("CREATE INDEX positions_status ON positions(status)")


Migration = tuple[int, str, Callable[[sqlite_utils.Database], None]]
MIGRATIONS: tuple[Migration, ...] = (
    (1, "market data: bars and chains", _v1_market_data),
    (2, "circuit breaker", _v2_circuit_breaker),
    (3, "trading journal and paper broker", _v3_journal),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


# --- conversions ------------------------------------------------------------------------------


def _to_utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InputError("timestamp", moment.isoformat(), "must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(MARKET_TZ)


def _nullable(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _column(rows: Sequence[dict[str, Any]], name: str) -> np.ndarray:
    return np.array([np.nan if r[name] is None else r[name] for r in rows], dtype=np.float64)


class Store:
    """The terminal's SQLite store. Open one per process; close it at shutdown."""

    def __init__(self, path: Path | None = None, *, durable: bool = True) -> None:
        """Open (and migrate) the store at `path`.

        `durable` (the default, for live and replay sessions) fsyncs every commit: it survives a
        power cut. A headless backtest passes False (synchronous=NORMAL): in WAL mode a commit
        still survives the process being killed, only an OS crash may lose the newest ones, and
        it runs without an fsync per session day.
        """
        self.path = path or default_path()
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.enable_wal()
            self.db.execute("PRAGMA foreign_keys=ON")
            # money paths: a commit survives power loss
            self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable SQLite database ({exc})") from None

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @property
    def schema_version(self) -> int:
        """Return the schema version of the open file."""
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """Run the block in one transaction: all of it is written, or none of it (nests)."""
        with self.db.atomic():
            yield self.db

    def _migrate(self) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this program's "
                f"({SCHEMA_VERSION}); upgrade Optimus Terminal to open it"
            )
        for version, _description, apply in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction() as db:
                apply(db)
                db.execute(f"PRAGMA user_version = {version}")

    # --- bars ---------------------------------------------------------------------------------

    def save_bars(self, series: str, bars: pd.DataFrame, source: DataSource) -> int:
        """Write daily or intraday bars (index: tz-aware times; columns open/high/low/close).

        Existing bars of the same series and time are replaced. Return the number written.
        """
        if not isinstance(bars.index, pd.DatetimeIndex) or bars.index.tz is None:
            raise InputError("bars.index", type(bars.index).__name__, "must be a tz-aware DatetimeIndex")
        missing = {"close"} - set(bars.columns)
        if missing:
            raise InputError("bars.columns", list(bars.columns), "must include close (and open/high/low)")
        times = bars.index.tz_convert(UTC)
        prices = {
            f: bars[f].to_numpy(dtype=np.float64) if f in bars else None
            for f in ("open", "high", "low", "close")
        }
        rows = [
            {
                "series": series,
                "ts_utc": ts.isoformat(timespec="microseconds"),
                **{f: None if col is None else _nullable(col[i]) for f, col in prices.items()},
                "source": source.value,
            }
            for i, ts in enumerate(times.to_pydatetime())
        ]
        with self.transaction() as db:
            db["bars"].insert_all(rows, replace=True)
        return len(rows)

    def load_bars(
        self, series: str, start: datetime | None = None, end: datetime | None = None
    ) -> pd.DataFrame:
        """Read bars of one series between start and end (inclusive), in time order."""
        sql = "SELECT * FROM bars WHERE series = ?"
        params: list[Any] = [series]
        if start is not None:
            sql += " AND ts_utc >= ?"
            params.append(_to_utc_text(start))
        if end is not None:
            sql += " AND ts_utc <= ?"
            params.append(_to_utc_text(end))
        rows = list(self.db.query(sql + " ORDER BY ts_utc", params))
        index = pd.DatetimeIndex([_from_utc_text(r["ts_utc"]) for r in rows], name="time")
        if len(index):
            index = index.tz_convert(MARKET_TZ)
        return pd.DataFrame({f: _column(rows, f) for f in ("open", "high", "low", "close")}, index=index)

    # --- chains -------------------------------------------------------------------------------

    def save_chain(self, chain: Chain) -> int:
        """Write a whole chain snapshot in one transaction; replace one with the same key.

        Return the snapshot id.
        """
        with self.transaction() as db:
            db.execute(
                "DELETE FROM chain_snapshots WHERE underlying = ? AND as_of_utc = ? AND source = ?",
                [chain.underlying, _to_utc_text(chain.as_of), chain.source.value],
            )
            snapshot_id = (
                db["chain_snapshots"]
                .insert(
                    {
                        "underlying": chain.underlying,
                        "as_of_utc": _to_utc_text(chain.as_of),
                        "spot": chain.spot,
                        "source": chain.source.value,
                    }
                )
                .last_pk
            )
            for chain_slice in chain.slices:
                self._insert_slice(db, int(snapshot_id), chain_slice)
        return int(snapshot_id)

    @staticmethod
    def _insert_slice(db: sqlite_utils.Database, snapshot_id: int, chain_slice: ChainSlice) -> None:
        exp = chain_slice.expiration
        slice_id = (
            db["chain_slices"]
            .insert(
                {
                    "snapshot_id": snapshot_id,
                    "expiry": exp.expiry.isoformat(),
                    "settlement": exp.settlement.value,
                    "trading_class": exp.trading_class,
                    "settles_at_utc": _to_utc_text(exp.settles_at),
                    "kind": exp.kind,
                    "spot": chain_slice.spot,
                    "forward": chain_slice.forward,
                    "rate": chain_slice.rate,
                    "dividend_yield": chain_slice.dividend_yield,
                    "time_to_expiry": chain_slice.time_to_expiry,
                    "as_of_utc": _to_utc_text(chain_slice.as_of),
                }
            )
            .last_pk
        )
        rows = []
        for right, side in ((1, chain_slice.calls), (-1, chain_slice.puts)):
            columns = [getattr(side, f) for f in QUOTE_FIELDS]
            for i, strike in enumerate(chain_slice.strikes):
                row = {"slice_id": slice_id, "strike": float(strike), "right": right}
                row.update(
                    {f: _nullable(float(col[i])) for f, col in zip(QUOTE_FIELDS, columns, strict=True)}
                )
                rows.append(row)
        db["chain_quotes"].insert_all(rows, batch_size=2000)

    def chain_times(self, underlying: str, source: DataSource | None = None) -> list[datetime]:
        """Return the as-of times of stored chain snapshots of one underlying, in order."""
        sql = "SELECT as_of_utc FROM chain_snapshots WHERE underlying = ?"
        params: list[Any] = [underlying]
        if source is not None:
            sql += " AND source = ?"
            params.append(source.value)
        return [_from_utc_text(r["as_of_utc"]) for r in self.db.query(sql + " ORDER BY as_of_utc", params)]

    def load_chain(self, underlying: str, as_of: datetime, source: DataSource) -> Chain:
        """Read back one chain snapshot exactly as it was saved; raise KeyError if absent."""
        found = list(
            self.db.query(
                "SELECT * FROM chain_snapshots WHERE underlying = ? AND as_of_utc = ? AND source = ?",
                [underlying, _to_utc_text(as_of), source.value],
            )
        )
        if not found:
            raise KeyError(f"no {source.value} {underlying} chain stored at {as_of.isoformat()}")
        snapshot = found[0]
        slices = tuple(
            self._read_slice(underlying, row, source)
            for row in self.db.query(
                "SELECT * FROM chain_slices WHERE snapshot_id = ? ORDER BY settles_at_utc, id",
                [snapshot["id"]],
            )
        )
        return Chain(underlying, _from_utc_text(snapshot["as_of_utc"]), snapshot["spot"], source, slices)

    def _read_slice(self, underlying: str, row: dict[str, Any], source: DataSource) -> ChainSlice:
        quotes = list(
            self.db.query(
                "SELECT * FROM chain_quotes WHERE slice_id = ? ORDER BY right DESC, strike", [row["id"]]
            )
        )
        calls = [q for q in quotes if q["right"] == 1]
        puts = [q for q in quotes if q["right"] == -1]
        expiration = Expiration(
            date.fromisoformat(row["expiry"]),
            Settlement(row["settlement"]),
            row["trading_class"],
            _from_utc_text(row["settles_at_utc"]),
            row["kind"],
        )

        def side(rows: list[dict[str, Any]]) -> SideQuotes:
            return SideQuotes(*(_column(rows, f) for f in QUOTE_FIELDS))

        return ChainSlice(
            underlying,
            expiration,
            _from_utc_text(row["as_of_utc"]),
            row["spot"],
            row["forward"],
            row["rate"],
            row["dividend_yield"],
            row["time_to_expiry"],
            _column(calls, "strike"),
            side(calls),
            side(puts),
            source,
        )
