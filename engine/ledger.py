"""The ledger: what the broker's reports do to the book (positions, cash, P&L, breaker, logs).

The trading session (engine.session) decides and sends; the ledger books. A fill of an opening
order starts a position; a closing fill (an exit, a manual close, a cash settlement) closes one
with its realised P&L, tells the circuit breaker and writes [TRADE CLOSED]; a roll's fill does
both (engine.rolls). Every method writes inside the caller's journal transaction, and each is
idempotent on the journal: a fill id is booked once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from engine.accounting import Book, fill_cash, realised_pnl
from engine.clock import MARKET_TZ
from engine.codec import loads
from engine.config import UnderlyingParams
from engine.errors import InputError
from engine.journal import Journal, PositionRecord, with_status
from engine.model import (
    CandidateStatus,
    Fill,
    GateResult,
    Order,
    OrderIntent,
    OrderUpdate,
    Position,
    Structure,
)
from engine.risk.breaker import BreakerStore, ClosedTrade
from engine.rolls import RollTarget, split_roll_fill
from engine.strategy.evaluate import Evaluation
from engine.strategy.exits import ExitDecision, exit_plan_for
from engine.strategy.logs import ExitRules, RunningStats, trade_closed, trade_opened

SETTLED = "SETTLED"
ROLLED = "ROLLED"


def exit_key(order_id: str) -> str:
    """Return the session-state key of why a closing order was sent (an ExitDecision, SETTLED, ROLLED)."""
    return f"exit:{order_id}"


def roll_key(order_id: str) -> str:
    """Return the session-state key of what a roll order opens (a RollTarget)."""
    return f"roll:{order_id}"


def exit_signal_key(position_id: str) -> str:
    """Return the session-state key of a manual position's pending exit signal."""
    return f"signal:{position_id}"


def report_key(candidate: str) -> str:
    """Return the session-state key of a candidate's gate report."""
    return f"report:{candidate}"


@dataclass(frozen=True, slots=True)
class CandidateReport:
    """Why a candidate was proposed: the gates of its close, the regime, the risk verdict."""

    gates: tuple[GateResult, ...]
    regime: str
    risk_text: str

    @classmethod
    def of(cls, evaluation: Evaluation) -> CandidateReport:
        """Return the report of an evaluation that produced a candidate."""
        verdict = evaluation.candidate.risk if evaluation.candidate is not None else None
        if verdict is None:
            risk = "not checked"
        elif verdict.approved:
            risk = f"approved: {verdict.detail}"
        else:
            risk = f"vetoed: {verdict.limit}: {verdict.detail}"
        return cls(evaluation.gates, evaluation.regime.label, risk)


class Ledger:
    """Book the broker's reports into the journal and the running book (module doc)."""

    def __init__(self, journal: Journal, book: Book, breaker: BreakerStore, params: UnderlyingParams,
                 underlying: str, exit_mode: str) -> None:
        self.journal, self.book, self.breaker = journal, book, breaker
        self.params, self.underlying, self.exit_mode = params, underlying, exit_mode
        self._stats = self._stats_from_journal()

    def apply(self, update: OrderUpdate) -> None:
        """Record a broker's report: the order's new status and, for a fill, what it does to the book."""
        entry = self.journal.order(update.order_id)
        if entry is None:
            return  # not ours (another client's order at the same broker)
        if update.fill is not None and self.journal.add_fill(update.fill):
            self.book.cash += fill_cash(update.fill, entry.order.multiplier)
            self._book_fill(entry.order, update.fill, entry.candidate_id)
        self.journal.set_order_status(update.order_id, update.status, update.at, update.detail)

    def _book_fill(self, order: Order, fill: Fill, candidate_id: str) -> None:
        if order.intent is OrderIntent.OPEN:
            self._open_position(order, fill, candidate_id)
        elif order.intent is OrderIntent.ROLL:
            self._roll_position(order, fill)
        else:
            self._close_position(order.position_id, order.order_id, fill.at, fill.price, fill.commission)

    def _open_position(self, order: Order, fill: Fill, candidate_id: str) -> None:
        candidate = self.journal.candidate(candidate_id)
        if candidate is None:
            raise InputError("candidate_id", candidate_id, "an opening fill must belong to a candidate")
        self._start_position(order.position_id, candidate.structure, fill.contracts, fill.price,
                             fill.at, fill.commission, self.exit_mode, fill.leg_prices)
        filled = with_status(candidate, CandidateStatus.FILLED, f"filled at {fill.price:.2f}")
        self.journal.update_candidate(filled)

    def _start_position(self, position_id: str, structure: Structure, contracts: int, credit: float,
                        at: datetime, commission: float, exit_mode: str,
                        leg_prices: tuple[float, ...] = ()) -> None:
        day = at.astimezone(MARKET_TZ).date()
        plan = exit_plan_for(credit, day, structure.expiry, self.params)
        position = Position(position_id, self.underlying, structure, contracts, credit, day, plan)
        self.journal.open_position(PositionRecord(position, "open", at, commission, exit_mode))
        self._log_opened(position, at, leg_prices)

    def _roll_position(self, order: Order, fill: Fill) -> None:
        """Book a roll's fill: the old position closes, its successor opens (engine.rolls)."""
        record = self.journal.position(order.position_id)
        text = self.journal.state(roll_key(order.order_id))
        if record is None or record.status != "open" or text is None:
            return
        target = loads(text, RollTarget)
        mark = self.book.marks.get(record.position_id)
        split = split_roll_fill(order, fill, len(record.position.structure.legs),
                                -mark.debit if mark is not None else 0.0)
        self._close_position(record.position_id, order.order_id, fill.at, split.closing_price,
                             split.closing_commission)
        self._start_position(target.new_position_id, target.structure, fill.contracts, split.opening_price,
                             fill.at, split.opening_commission, record.exit_mode)

    def _close_position(self, position_id: str, order_id: str, at: datetime, price: float,
                        commission: float) -> None:
        record = self.journal.position(position_id)
        if record is None or record.status != "open":
            return
        commissions = record.commissions + commission
        pnl = realised_pnl(record.position, price, commissions)
        reason, max_loss_exit = self._exit_reason(order_id)
        closed = replace(record, status="closed", closed_at=at, exit_price=price,
                         exit_reason=reason, realised_pnl=pnl, commissions=commissions)
        self.journal.close_position(closed)
        self.book.marks.pop(position_id, None)
        day = at.astimezone(MARKET_TZ).date()
        trade = ClosedTrade(position_id, pnl, record.position.max_loss_dollars, max_loss_exit)
        self.breaker.record_close(trade, day)
        self._stats = self._stats.add(pnl)
        text = trade_closed(record.position, day, -price, reason, self._stats)
        self.journal.log(at, "TRADE CLOSED", text)

    def _exit_reason(self, order_id: str) -> tuple[str, bool]:
        saved = self.journal.state(exit_key(order_id))
        if saved is None:
            return "MANUAL CLOSE", False
        if saved in (SETTLED, ROLLED):
            return saved, False
        decision = loads(saved, ExitDecision)
        return decision.reason.value, decision.counts_as_max_loss

    def _log_opened(self, position: Position, at: datetime, leg_prices: tuple[float, ...]) -> None:
        positions = [r.position for r in self.journal.positions("open")]
        exposure = sum(p.max_loss_dollars for p in positions)
        equity = self.book.equity(positions)
        params = self.params
        rules = ExitRules(params.profit_target_pct, params.stop_loss_multiplier, params.time_stop_dte)
        text = trade_opened(position, rules, equity, exposure, len(positions), leg_prices or None)
        self.journal.log(at, "TRADE OPENED", text)

    def _stats_from_journal(self) -> RunningStats:
        stats = RunningStats()
        for record in self.journal.positions("closed"):
            stats = stats.add(record.realised_pnl or 0.0)
        return stats

