"""Run a TradingSession headless over a date range and turn its journal into the report files.

`open_replay(...)` builds the session every replay uses (bundled history, modelled chains, the
paper broker, a journal file); `run_backtest(...)` runs one at full speed with automatic approval
and automatic exits, then writes DIR/summary.json, trades.csv, daily.csv, log.txt and report.html.

The journal of a backtest lives in a temporary directory and is opened with durable=False (no
fsync per step; a kill still loses nothing committed, engine.store). The files are first
written into a hidden folder inside DIR and moved into place one by one only once all of them
exist, so a failed run never leaves a half-written report that looks whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from engine.backtest.metrics import compute_summary
from engine.backtest.records import DailyRecord, TradeRecord
from engine.backtest.report import write_daily_csv, write_report_html, write_summary_json, write_trades_csv
from engine.brokers.paper import PaperBroker
from engine.clock import MARKET_TZ, ReplayClock
from engine.config import Settings
from engine.data.feed import MarketFeed, ModelledFeed
from engine.data.history import MarketHistory, load_history
from engine.errors import InputError
from engine.journal import Journal, PositionRecord
from engine.model import Right
from engine.session import SessionOptions, TradingSession
from engine.store import Store

PRESETS = ("optimus",)
MODELLED_NOTE = (
    "Option chains are MODELLED from SPX, the VIX family and SKEW (engine/data/chain_model.py): "
    "no quoted option price went into this backtest. Fills: the paper broker's fill model and fees."
)
REPORT_FILES = ("summary.json", "trades.csv", "daily.csv", "log.txt", "report.html")


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What to run: the preset, the underlying, the dates (inclusive) and the settings."""

    preset: str
    underlying: str
    first: date
    last: date
    settings: Settings
    parameters: Mapping[str, Any]  # the --param overrides, shown in the report

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise InputError("--preset", self.preset, f"must be one of {', '.join(PRESETS)}")
        if self.first > self.last:
            allowed = f"must not be after --to {self.last.isoformat()}"
            raise InputError("--from", self.first.isoformat(), allowed)


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """A finished backtest: the summary (summary.json) and how many session steps ran."""

    summary: dict[str, Any]
    steps: int


def open_replay(
    history: MarketHistory, settings: Settings, journal_path: Path, options: SessionOptions,
    underlying: str = "SPX", *, durable: bool = True, feed: MarketFeed | None = None,
) -> TradingSession:
    """Return a replay session with the paper broker, journaled at a path.

    The feed is the bundled history's modelled chains unless another is given (recorded chains:
    engine.data.recorded.RecordedFeed).
    """
    feed = feed or ModelledFeed(history, underlying)
    store = Store(journal_path, durable=durable)
    broker = PaperBroker(feed, settings.execution, store)
    clock = ReplayClock(datetime.combine(history.first_date, time(0), tzinfo=MARKET_TZ))
    session = TradingSession(feed, broker, Journal(store), settings, clock, options)
    session.start()
    return session


def _check_range(history: MarketHistory, first: date, last: date) -> None:
    if first < history.first_date or last > history.last_date:
        raise InputError(
            "--from/--to", f"{first.isoformat()}..{last.isoformat()}",
            f"must lie within the bundled history {history.first_date.isoformat()}.."
            f"{history.last_date.isoformat()}",
        )


def run_backtest(
    request: BacktestRequest, out_dir: Path, history: MarketHistory | None = None
) -> BacktestResult:
    """Run the request at full speed and write the report files into `out_dir` (module doc)."""
    history = history or load_history()
    _check_range(history, request.first, request.last)
    options = SessionOptions(auto_approve=True, exit_mode="auto", strategy=request.preset)
    with tempfile.TemporaryDirectory(prefix="optimus-backtest-") as scratch:
        session = open_replay(history, request.settings, Path(scratch) / "journal.db", options,
                              request.underlying, durable=False)
        steps = session.run(request.first, request.last)
        trades = trade_records(session.journal, request.preset)
        days = daily_records(session.journal, request.preset)
        log_text = "\n\n".join(text for _, _, text in session.journal.log_entries()) + "\n"
        session.journal.store.close()
    summary = compute_summary(trades, days, request.settings.portfolio.starting_equity)
    summary["run"] = _run_facts(request, steps)
    with _staging(out_dir) as staging:
        write_summary_json(staging / "summary.json", summary)
        write_trades_csv(staging / "trades.csv", trades)
        write_daily_csv(staging / "daily.csv", days, trades)
        (staging / "log.txt").write_text(log_text, encoding="utf-8", newline="\n")
        write_report_html(staging / "report.html", summary, trades, days, _parameters(request),
                          [MODELLED_NOTE])
    return BacktestResult(summary, steps)


def _run_facts(request: BacktestRequest, steps: int) -> dict[str, Any]:
    return {"preset": request.preset, "underlying": request.underlying, "from": request.first.isoformat(),
            "to": request.last.isoformat(), "steps": steps, "chains": "modelled",
            "parameters": {key: request.parameters[key] for key in sorted(request.parameters)}}


def _parameters(request: BacktestRequest) -> dict[str, Any]:
    """Return every parameter the run used: the underlying's, the account's, the execution's."""
    settings = request.settings
    flat: dict[str, Any] = {}
    for section, model in (("underlying", settings.underlying(request.underlying)),
                           ("portfolio", settings.portfolio), ("limits", settings.limits),
                           ("execution", settings.execution)):
        for key, value in model.model_dump().items():
            flat[f"{section}.{key}"] = value.isoformat() if isinstance(value, time) else value
    return flat


@contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    """Yield a hidden folder to write into; move its files into `out_dir` once all are written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out_dir))
    try:
        yield staging
        for name in REPORT_FILES:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- journal -> records ---------------------------------------------------------------------------


def _legs_text(record: PositionRecord) -> str:
    position = record.position
    parts = []
    for leg in position.structure.legs:
        right = "P" if leg.right is Right.PUT else "C"
        count = abs(leg.quantity) * position.contracts
        option = f"{position.underlying} {leg.expiry.isoformat()} {leg.strike:g}{right}"
        parts.append(f"{leg.action} {count} {option}")
    return " | ".join(parts)


def trade_record(record: PositionRecord, strategy: str) -> TradeRecord:
    """Return one journaled position as a report row."""
    position = record.position
    closed = record.status == "closed"
    exit_day = record.closed_at.astimezone(MARKET_TZ).date() if closed and record.closed_at else None
    return TradeRecord(
        position.position_id, position.underlying, strategy, position.structure.kind.value,
        position.opened_on, exit_day, (position.structure.expiry - position.opened_on).days,
        "/".join(f"{leg.strike:g}" for leg in position.structure.legs), _legs_text(record),
        position.contracts, position.entry_credit,
        None if record.exit_price is None else -record.exit_price, position.max_loss_dollars,
        record.realised_pnl, record.commissions, record.exit_reason, "closed" if closed else "open",
    )


def trade_records(journal: Journal, strategy: str) -> list[TradeRecord]:
    """Return every position of the journal as report rows, in opening order."""
    return [trade_record(record, strategy) for record in journal.positions()]


def daily_records(journal: Journal, strategy: str) -> list[DailyRecord]:
    """Return the journal's days as report rows."""
    return [
        DailyRecord(date.fromisoformat(row["day"]), strategy, row["equity"], row["cash"], row["open_value"],
                    row["realised_pnl"], row["commissions"], row["drawdown_pct"], row["open_positions"],
                    row["entered"], row["closed"])
        for row in journal.days()
    ]
