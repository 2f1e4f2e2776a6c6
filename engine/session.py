"""TradingSession: clock + market feed + strategy + risk + broker + journal, in one loop.

One code path for live and replay (DESIGN.md, Runtime): the session only differs by its clock
(ReplayClock or LiveClock), its feed (engine.data.feed) and its broker (paper or IB). A headless
backtest is a replay at MAX_SPEED with automatic approval; the GUI runs the same session with
approvals left to the trader.

The daily schedule (SPEC "engine pipeline"; 002 §4.4, §7, §11.6), per underlying session:

* **Entry window** (`morning`, the middle of [entry_window_start, entry_window_end], 10:30 ET):
  AM-settled expiries of the day are cash-settled; each approved candidate from the previous
  close is re-quoted on current prices and re-checked by the risk manager (a veto ends it), then
  journaled as a combo limit order (good until entry_window_end) and sent. A candidate still
  waiting for the trader when the window opens has missed it and expires.
* **Close** (`close`, the session's close, 13:00 on half days): PM-settled expiries settle; every
  open position is marked at the close; 002 §7's exits run (first trigger wins) and send closing
  orders for positions whose exits are automatic (manual ones log the exit signal); then the
  entry evaluation runs on the book after exits and a signal becomes a candidate (approved at
  once when approval is automatic); the day's figures and the 002 §9 logs are journaled.

Crash safety (engine.journal, engine.brokers.base): each step is written in one transaction and
the step's moment is saved with it as the cursor. Orders are committed before they are sent and
the broker's reports are applied after; every step is idempotent on the journal (a candidate id,
an order for a candidate, a closing order for a position of the day, a fill id are each written
once). On start the session reconciles its non-final orders with the broker, then carries on
after the cursor. Killing the process at any instant and starting it again gives the same
journal as a run that was never interrupted.

Prices and limits: orders go out as marketable limits at the natural price of the moment
(rounded to the combo tick against the trader); the fill model of the broker decides the price
(paper default: each leg at mid plus 25 % of its width). A trader's own limit (an edited
candidate) is used as given and may not fill.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from engine import calendar, faults
from engine.accounting import (
    Book,
    closing_legs,
    mark_of,
    opening_legs,
    settlement_price,
)
from engine.brokers.base import Broker
from engine.brokers.fill_model import FeeSchedule, round_limit
from engine.clock import MARKET_TZ, ReplayClock
from engine.codec import dumps, loads
from engine.config import Settings
from engine.data.feed import MarketFeed
from engine.errors import InputError
from engine.journal import Journal, PositionRecord, with_status
from engine.ledger import SETTLED, CandidateReport, Ledger, exit_key, exit_signal_key, report_key
from engine.model import (
    CandidateStatus,
    DataSource,
    Expiration,
    Fill,
    Order,
    OrderIntent,
    OrderStatus,
    OrderUpdate,
    Regime,
    Structure,
    TradeCandidate,
)
from engine.risk.breaker import BreakerRules, BreakerStore, CircuitBreaker
from engine.risk.manager import RiskManager
from engine.risk.portfolio import PortfolioSnapshot, heat_pct, portfolio_greeks
from engine.strategy.evaluate import Evaluation, Evaluator
from engine.strategy.exits import ExitDecision, evaluate_exit
from engine.strategy.regime import classify
from engine.strategy.spreads import NoSpread, requote

Phase = Literal["morning", "close"]
ExitMode = Literal["auto", "manual"]
CURSOR_KEY = "cursor"


@dataclass(frozen=True, slots=True)
class Step:
    """One scheduled moment of the session: the entry window or the close of a session day."""

    day: date
    phase: Phase
    moment: datetime


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """How a session runs: who approves entries, how exits go out, the preset's name."""

    auto_approve: bool = True  # headless: candidates are approved at once
    exit_mode: ExitMode = "auto"  # new positions' exits: sent by themselves, or left to the trader
    strategy: str = "optimus"


def candidate_id(underlying: str, day: date) -> str:
    """Return the id of the strategy's candidate of one close (one per underlying and day)."""
    return f"C-{underlying}-{day.isoformat()}"


def entry_order_id(candidate: str) -> str:
    """Return the id of the order that opens a candidate (stable: a re-run finds it)."""
    return f"O-{candidate}"


def position_id_of(candidate: str) -> str:
    """Return the id of the position a candidate opens: P-<underlying>-<signal day>."""
    return "P-" + candidate.removeprefix("C-")


def morning_moment(day: date, start: time, end: time) -> datetime:
    """Return the middle of the entry window on `day` (10:30 ET for 10:00-11:00)."""
    first = datetime.combine(day, start, tzinfo=MARKET_TZ)
    return first + (datetime.combine(day, end, tzinfo=MARKET_TZ) - first) / 2


class TradingSession:
    """Run the Optimus strategy over a feed with a broker, journaling everything (module doc)."""

    def __init__(
        self,
        feed: MarketFeed,
        broker: Broker,
        journal: Journal,
        settings: Settings,
        clock: ReplayClock,
        options: SessionOptions | None = None,
    ) -> None:
        self.feed, self.broker, self.journal, self.clock = feed, broker, journal, clock
        self.settings = settings
        self.options = options or SessionOptions()
        self.underlying = feed.underlying
        self.params = settings.underlying(self.underlying)
        self.evaluator = Evaluator(feed.history, settings, feed.chains, self.underlying)
        self.risk = RiskManager(settings)
        self.breaker = BreakerStore(journal.store, CircuitBreaker(BreakerRules.from_params(self.params)))
        self.last_evaluation: Evaluation | None = None
        self.listeners: list[Callable[[Step], None]] = []
        self.book = Book.from_journal(journal, settings.portfolio.starting_equity)
        self.ledger = Ledger(journal, self.book, self.breaker, self.params, self.underlying,
                             self.options.exit_mode)

    # --- the schedule -------------------------------------------------------------------------

    def steps(self, first: date, last: date) -> list[Step]:
        """Return the scheduled steps between two days, inclusive, in time order."""
        start, end = self.params.entry_window_start, self.params.entry_window_end
        out = []
        for day in self.feed.sessions(first, last):
            out.append(Step(day, "morning", morning_moment(day, start, end)))
            out.append(Step(day, "close", calendar.session_close(day)))
        return out

    def cursor(self) -> datetime | None:
        """Return the moment of the last completed step (None before the first)."""
        text = self.journal.state(CURSOR_KEY)
        return None if text is None else datetime.fromisoformat(text)

    def pending_steps(self, first: date, last: date) -> list[Step]:
        """Return the steps still to run: those after the cursor."""
        done = self.cursor()
        return [step for step in self.steps(first, last) if done is None or step.moment > done]

    # --- driving ------------------------------------------------------------------------------

    def start(self) -> None:
        """Reconcile the journal with the broker before anything new is sent (DESIGN, order path)."""
        for entry in self.journal.orders([OrderStatus.CREATED, OrderStatus.WORKING]):
            if self.broker.order_status(entry.order.order_id) is None:
                self.broker.submit(entry.order)
        with self.journal.transaction():
            for entry in self.journal.orders([OrderStatus.CREATED, OrderStatus.WORKING]):
                self._adopt_broker_state(entry.order)

    def _adopt_broker_state(self, order: Order) -> None:
        """Bring a journaled order up to the broker's state, through the states it passed."""
        status = self.broker.order_status(order.order_id)
        if status is None:
            return
        at = self.cursor() or order.created_at
        entry = self.journal.order(order.order_id)
        if entry is not None and entry.status is OrderStatus.CREATED and status is not OrderStatus.REJECTED:
            # it was accepted before it filled, expired or was cancelled: journal that step too
            self.ledger.apply(OrderUpdate(order.order_id, OrderStatus.WORKING, at, "accepted (reconciled)"))
        for fill in self.broker.fills_for(order.order_id):
            self.ledger.apply(OrderUpdate(order.order_id, OrderStatus.FILLED, fill.at, "reconciled", fill))
        if status is not OrderStatus.FILLED:
            self.ledger.apply(OrderUpdate(order.order_id, status, at, "reconciled with the broker"))

    def run_step(self, step: Step) -> None:
        """Run one scheduled step now (the clock must already be at its moment)."""
        if step.phase == "morning":
            self._morning(step)
        else:
            self._close(step)
        for listener in self.listeners:
            listener(step)

    def run(self, first: date, last: date) -> int:
        """Run every pending step between two days at once (headless); return how many ran."""
        steps = self.pending_steps(first, last)
        for step in steps:
            self.clock.advance_to(step.moment)
            self.run_step(step)
        return len(steps)

    async def play(self, first: date, last: date, until_signal: bool = False, breath_s: float = 0.0) -> int:
        """Run the pending steps as the replay clock allows (speed, pause); return how many ran.

        With `until_signal` it stops after the first close that produced a candidate. `breath_s`
        is a pause between steps on the loop: the terminal passes a millisecond so that at Max
        speed its loop still paints and takes input between steps (sleep(0) alone lets a GUI
        loop run many ready steps in one pass).
        """
        count = 0
        for step in self.pending_steps(first, last):
            await self.clock.wait_until(step.moment)
            self.run_step(step)
            count += 1
            if until_signal and step.phase == "close" and self._signalled(step.day):
                break
            await asyncio.sleep(breath_s)  # let the GUI breathe between steps
        return count

    def step_day(self, first: date, last: date) -> int:
        """Run the pending steps of [first, last] up to and including the next close; return how many."""
        count = 0
        for step in self.pending_steps(first, last):
            self.clock.advance_to(step.moment)
            self.run_step(step)
            count += 1
            if step.phase == "close":
                break
        return count

    def seek(self, first: date, day: date) -> int:
        """Run from `first` at full speed through `day`'s close. A replay cannot go back: start anew."""
        done = self.cursor()
        if done is not None and day < done.astimezone(MARKET_TZ).date():
            allowed = f"must not be before the replay's {done.date().isoformat()}: start a new journal"
            raise InputError("seek", day.isoformat(), allowed)
        return self.run(first, day)

    # --- what the trader's commands need (engine.desk) -----------------------------------------

    def step_at(self, moment: datetime) -> Step:
        """Return a Step standing for `moment` (a trader's command between scheduled steps)."""
        day = moment.astimezone(MARKET_TZ).date()
        phase: Phase = "close" if moment >= calendar.session_close(day) else "morning"
        return Step(day, phase, moment)

    def work_orders(self, moment: datetime) -> None:
        """Send what the journal holds as CREATED now, let the broker work it, and book its reports."""
        self._exchange(self.step_at(moment))
        with self.journal.transaction():
            self.apply_broker_reports(moment)

    def apply_broker_reports(self, moment: datetime) -> None:
        """Book what the broker reported since the last call, and re-mark the book at `moment`."""
        self._apply_updates(self.step_at(moment))
        self._mark_all(moment)

    def broker_fees(self, contracts: int, legs: int) -> float:
        """Return the dollars of commissions and fees a fill of this size would pay (our schedule)."""
        return FeeSchedule.from_params(self.settings.execution).for_fill(contracts, legs)

    @property
    def modelled(self) -> bool:
        """Return True when the feed's quotes are modelled, not recorded."""
        return getattr(self.feed, "source", DataSource.MODELLED) is DataSource.MODELLED

    def requote_at(self, structure: Structure, expiration: Expiration,
                   moment: datetime) -> Structure | NoSpread:
        """Return `structure`'s legs quoted at `moment` on `expiration` (its strikes must be listed)."""
        strikes = [leg.strike for leg in structure.legs]
        return requote(structure, self.feed.slice_at(moment, expiration, strikes))

    def _signalled(self, day: date) -> bool:
        return self.journal.candidate(candidate_id(self.underlying, day)) is not None

    # --- the two steps ------------------------------------------------------------------------

    def _morning(self, step: Step) -> None:
        with self.journal.transaction():
            self._settle(step)
            self._expire_waiting_candidates(step)
            for candidate in self.journal.candidates([CandidateStatus.APPROVED]):
                self._send_entry(candidate, step)
        faults.crash_point("after-journal-orders")
        self._exchange(step)
        with self.journal.transaction():
            self._apply_updates(step)
            self.journal.set_state(CURSOR_KEY, step.moment.isoformat())

    def _close(self, step: Step) -> None:
        with self.journal.transaction():
            self._settle(step)
            self._mark_all(step.moment)
            regime = classify(self.evaluator.states.on(step.day), self.params).regime
            for record in self.journal.positions("open"):
                self._consider_exit(record, step, regime)
        faults.crash_point("after-journal-orders")
        self._exchange(step)
        with self.journal.transaction():
            self._apply_updates(step)
            self._mark_all(step.moment)
            self._evaluate_entry(step)
            self._record_day(step)
            self.journal.set_state(CURSOR_KEY, step.moment.isoformat())
        faults.crash_point("after-close")

    def _exchange(self, step: Step) -> None:
        """Send what the journal holds as CREATED, and let the broker work the market."""
        for entry in self.journal.orders([OrderStatus.CREATED]):
            self.broker.submit(entry.order)
            faults.crash_point("after-submit")
        self.broker.on_market(step.moment)
        faults.crash_point("after-market")

    # --- entries ------------------------------------------------------------------------------

    def _expire_waiting_candidates(self, step: Step) -> None:
        for candidate in self.journal.candidates([CandidateStatus.NEW]):
            if candidate.signal_day < step.day:
                why = f"not approved before the {step.day.isoformat()} entry window"
                self.journal.update_candidate(with_status(candidate, CandidateStatus.EXPIRED, why))

    def _send_entry(self, candidate: TradeCandidate, step: Step) -> None:
        order_id = entry_order_id(candidate.candidate_id)
        if self.journal.order(order_id) is not None:
            return  # re-run after a crash: the order is already journaled
        legs = opening_legs(candidate.structure)
        structure = self._requote(candidate, step)
        if structure is None or isinstance(structure, NoSpread):
            why = "no current quotes" if structure is None else structure.reason
            self.journal.update_candidate(with_status(candidate, CandidateStatus.EXPIRED, why))
            return
        verdict = self.risk.check_entry(structure, candidate.contracts, self.snapshot(step), step.day)
        if not verdict.approved:
            detail = f"risk re-check on current prices: {verdict.limit}: {verdict.detail}"
            self.journal.update_candidate(with_status(candidate, CandidateStatus.VETOED, detail))
            self.journal.log(step.moment, "VETO", f"[RISK VETO] {candidate.candidate_id} {detail}")
            return
        limit = candidate.limit_price
        if limit is None:
            limit = round_limit(structure.credit_natural, self.settings.execution.combo_tick)
        order = Order(order_id, self.underlying, OrderIntent.OPEN, legs, candidate.contracts, limit,
                      step.moment, self._window_end(step.day), position_id_of(candidate.candidate_id),
                      structure.multiplier)
        self.journal.add_order(order, candidate.candidate_id, f"entry: {verdict.detail}")
        sent = replace(candidate, structure=structure)
        detail = f"order {order_id} at {limit:.2f}"
        self.journal.update_candidate(with_status(sent, CandidateStatus.SENT, detail))

    def _requote(self, candidate: TradeCandidate, step: Step) -> Structure | NoSpread | None:
        """Return the candidate's legs on current quotes (None once its expiry has passed)."""
        if candidate.expiration.settles_at <= step.moment:
            return None
        return self.requote_at(candidate.structure, candidate.expiration, step.moment)

    def _window_end(self, day: date) -> datetime:
        return datetime.combine(day, self.params.entry_window_end, tzinfo=MARKET_TZ)

    def _evaluate_entry(self, step: Step) -> None:
        evaluation = self.evaluator.evaluate(step.day, self.snapshot(step))
        self.last_evaluation = evaluation
        self.journal.log(step.moment, "ENTRY EVAL", evaluation.entry_eval_log())
        found = evaluation.candidate
        if not evaluation.signal or found is None:
            return
        self.journal.set_state(report_key(candidate_id(self.underlying, step.day)),
                               dumps(CandidateReport.of(evaluation)))
        status = CandidateStatus.APPROVED if self.options.auto_approve else CandidateStatus.NEW
        detail = "approved automatically" if self.options.auto_approve else "waiting for the trader"
        candidate = TradeCandidate(
            candidate_id(self.underlying, step.day), self.underlying, step.day, step.moment,
            found.structure, found.expiration, found.contracts, found.conviction.multiplier,
            found.exit_plan, status, detail,
        )
        self.journal.add_candidate(candidate)

    # --- exits and settlement -----------------------------------------------------------------

    def _consider_exit(self, record: PositionRecord, step: Step, regime: Regime | None) -> None:
        position = record.position
        order_id = f"X-{position.position_id}-{step.day.isoformat()}"
        if self.journal.order(order_id) is not None or self._closing_order_working(position.position_id):
            return
        mark = self.book.marks.get(position.position_id)
        debit = mark.debit if mark is not None else math.nan
        decision = evaluate_exit(position, debit, step.day, regime, self.params)
        if record.exit_mode == "manual":
            self._signal_exit(position.position_id, decision, step)
            return
        if decision is None:
            return
        natural = mark.natural_debit if mark is not None else math.nan
        if not math.isfinite(natural):
            return  # no quote: the time rules wait for one (the expiry guard stands behind)
        limit = round_limit(-natural, self.settings.execution.combo_tick)
        order = Order(order_id, self.underlying, OrderIntent.CLOSE, closing_legs(position.structure),
                      position.contracts, limit, step.moment, calendar.session_close(step.day),
                      position.position_id, position.structure.multiplier)
        self.journal.add_order(order, "", f"exit: {decision.reason.value}: {decision.detail}")
        self.journal.set_state(exit_key(order_id), dumps(decision))

    def _signal_exit(self, position_id: str, decision: ExitDecision | None, step: Step) -> None:
        """Leave a manual position's exit to the trader: log it, and keep it for the positions panel."""
        self.journal.set_state(exit_signal_key(position_id), "" if decision is None else dumps(decision))
        if decision is not None:
            text = (f"[EXIT SIGNAL] {position_id} {decision.reason.value}: {decision.detail} "
                    "(exits manual: waiting for the trader)")
            self.journal.log(step.moment, "EXIT SIGNAL", text)

    def pending_exit(self, position_id: str) -> ExitDecision | None:
        """Return the exit the rules signalled at the last close for a manual position, if any."""
        text = self.journal.state(exit_signal_key(position_id))
        return loads(text, ExitDecision) if text else None

    def _closing_order_working(self, position_id: str) -> bool:
        return any(entry.order.position_id == position_id and entry.order.intent is OrderIntent.CLOSE
                   for entry in self.journal.orders([OrderStatus.CREATED, OrderStatus.WORKING]))

    def _settle(self, step: Step) -> None:
        for record in self.journal.positions("open"):
            leg = record.position.structure.legs[0]
            expiration = calendar.expiration_of(leg.expiry, leg.trading_class)
            if expiration.settles_at > step.moment:
                continue
            value = self.feed.settlement_value(expiration)
            if value is None:
                continue
            self._settle_position(record, value, expiration.settles_at, step)

    def _settle_position(self, record: PositionRecord, value: float, at: datetime, step: Step) -> None:
        position = record.position
        price = settlement_price(position, value)
        order_id = f"S-{position.position_id}"
        order = Order(order_id, self.underlying, OrderIntent.CLOSE, closing_legs(position.structure),
                      position.contracts, price, at, at, position.position_id, position.structure.multiplier)
        self.journal.add_order(order, "", f"cash settlement at {value:.2f} (modelled settlement value)")
        fill = Fill(f"{order_id}-F1", order_id, at, position.contracts, price, (), 0.0)
        self.journal.set_state(exit_key(order_id), SETTLED)
        self.ledger.apply(OrderUpdate(order_id, OrderStatus.FILLED, at, f"settled at {value:.2f}", fill))

    # --- applying the broker's reports --------------------------------------------------------

    def _apply_updates(self, step: Step) -> None:
        for update in self.broker.drain_updates():
            self.ledger.apply(update)
        for candidate in self.journal.candidates([CandidateStatus.SENT]):
            entry = self.journal.order(entry_order_id(candidate.candidate_id))
            if entry is not None and entry.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED,
                                                      OrderStatus.REJECTED):
                why = f"order {entry.order.order_id} {entry.status.value} unfilled"
                self.journal.update_candidate(with_status(candidate, CandidateStatus.EXPIRED, why))

    # --- the book -----------------------------------------------------------------------------

    def _mark_all(self, moment: datetime) -> None:
        for record in self.journal.positions("open"):
            legs = opening_legs(record.position.structure)
            quoted = self.feed.quote_legs(moment, legs)
            if quoted is not None:
                self.book.marks[record.position_id] = mark_of(record.position, quoted, moment)

    def snapshot(self, step: Step) -> PortfolioSnapshot:
        """Return the book as the risk manager sees it at this step."""
        positions = [r.position for r in self.journal.positions("open")]
        equity = self.book.equity(positions)
        week_start = step.day - timedelta(days=step.day.weekday())
        pnl_today = equity - self.book.equity_before(step.day)
        pnl_week = equity - self.book.equity_before(week_start)
        return PortfolioSnapshot(equity, max(self.book.peak, equity), tuple(positions), pnl_today, pnl_week,
                                 self.breaker.load(), self.book.finite_greeks())

    def _record_day(self, step: Step) -> None:
        book = self.snapshot(step)
        start = datetime.combine(step.day, time(0), tzinfo=MARKET_TZ)
        end = start + timedelta(days=1)
        closed = self.journal.closed_between(start, end)
        greeks = portfolio_greeks(book)
        self.journal.add_day({
            "day": step.day.isoformat(), "equity": book.equity, "cash": self.book.cash,
            "open_value": self.book.cash - book.equity,
            "realised_pnl": sum(r.realised_pnl or 0.0 for r in closed),
            "commissions": self.journal.commissions_between(start, end),
            "drawdown_pct": book.drawdown_pct, "open_positions": len(book.positions),
            "entered": self.journal.opened_between(start, end), "closed": len(closed),
            "payload": dumps({"heat_pct": heat_pct(book), "greeks": greeks}),
        })
        self.book.record_close(step.day, book.equity)
