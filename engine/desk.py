"""The trader's desk: approve, edit and reject candidates; close and roll positions; cancel and
modify orders; halt and resume entries. Each command acts on a running TradingSession.

Every command that can send an order comes in two calls: a `*_ticket` that prices the order on
current quotes and runs the risk manager without changing anything (what the confirmation
shows), and the command itself, which re-checks, journals, and only then sends (DESIGN, the
order path). The risk manager judges manual trades as it judges the strategy's (SPEC 1.8); a
closing order only reduces risk and is not vetoed.

Choices where the seeds are silent, as TWS or thinkorswim behave:
* An approved candidate's order goes out in the next entry window (002 §4.4: signal on the close,
  execution the next day 10:00-11:00 ET), re-quoted and re-checked then.
* A manual close or roll is a DAY combo limit order sent at once, at the natural price unless
  the trader states a limit, and works until that session's close (at the close itself it works
  the closing quotes: SPX options trade until 16:15). A roll's limit is the net of both halves.
* Modifying a limit keeps the order id (as IB does with a modify), cancelling is final.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime

import numpy as np

from engine import calendar
from engine.accounting import closing_legs, mark_of, opening_legs
from engine.brokers.fill_model import round_limit
from engine.codec import dumps
from engine.errors import InputError
from engine.events import DeskEvent, EventHub, EventKind
from engine.journal import PositionRecord, with_status
from engine.ledger import ROLLED, CandidateReport, exit_key, report_key, roll_key
from engine.model import (
    CandidateStatus,
    ComboLeg,
    Expiration,
    Leg,
    Order,
    OrderIntent,
    OrderStatus,
    Right,
    RiskVerdict,
    Structure,
    StructureKind,
    TradeCandidate,
)
from engine.model.desk import CandidateEdit, OrderTicket, RollOptions, RollRequest
from engine.rolls import RollTarget, moved_structure, roll_legs
from engine.session import TradingSession
from engine.strategy.exits import exit_plan_for
from engine.strategy.spreads import NoSpread

TRADER = "trader"
ROLL_STRIKE_SPAN = 0.15  # the roll dialog offers listed strikes within 15 % of the underlying


def _vertical_template(underlying: str, expiration: Expiration, right: Right, short_strike: float,
                       long_strike: float) -> Structure:
    """Return an unpriced vertical (rights, strikes, quantities) for spreads.requote to price."""
    nan = math.nan

    def leg(strike: float, quantity: int) -> Leg:
        return Leg(right, strike, expiration.expiry, quantity, nan, nan, nan, nan, nan, nan, nan, nan,
                   expiration.trading_class)

    kind = StructureKind.PUT_CREDIT_SPREAD if right is Right.PUT else StructureKind.CALL_CREDIT_SPREAD
    legs = (leg(short_strike, -1), leg(long_strike, 1))
    return Structure(kind, underlying, legs, nan, nan, nan, nan, (), nan, nan, nan, nan, nan)


class Desk:
    """The trader's commands on one session (module doc). Call on the session's loop thread."""

    def __init__(self, session: TradingSession, hub: EventHub | None = None) -> None:
        self.session = session
        self.hub = hub or EventHub()
        self.journal = session.journal

    @property
    def now(self) -> datetime:
        """Return the session clock's time."""
        return self.session.clock.now()

    def _publish(self, *kinds: EventKind, detail: str = "") -> None:
        for kind in kinds:
            self.hub.publish(DeskEvent(kind, self.now, detail))

    # --- candidates ---------------------------------------------------------------------------

    def _candidate(self, candidate_id: str) -> TradeCandidate:
        candidate = self.journal.candidate(candidate_id)
        if candidate is None:
            raise InputError("candidate_id", candidate_id, "is not a candidate of this session")
        return candidate

    def _actionable(self, candidate_id: str) -> TradeCandidate:
        candidate = self._candidate(candidate_id)
        if candidate.status is not CandidateStatus.NEW:
            raise InputError("candidate_id", candidate_id,
                             f"is {candidate.status.value}: only a new candidate can be approved or rejected")
        return candidate

    def _edited(self, edit: CandidateEdit) -> TradeCandidate:
        candidate = self._actionable(edit.candidate_id)
        contracts = candidate.contracts if edit.contracts is None else edit.contracts
        if contracts < 1:
            raise InputError("contracts", contracts, "must be at least 1", edit.candidate_id)
        limit = edit.limit_price
        if limit is not None and not math.isfinite(limit):
            raise InputError("limit_price", limit, "must be a finite net price", edit.candidate_id)
        if limit is not None:
            limit = round_limit(limit, self.session.settings.execution.combo_tick)
        return replace(candidate, contracts=contracts, limit_price=limit)

    def approval_ticket(self, edit: CandidateEdit) -> OrderTicket:
        """Return the order an approval would send, priced and risk-checked on current quotes."""
        candidate = self._edited(edit)
        structure, verdict = self._recheck(candidate)
        limit = candidate.limit_price
        if limit is None:
            limit = round_limit(structure.credit_natural, self.session.settings.execution.combo_tick)
        window = self.session.params.entry_window_start.strftime("%H:%M")
        when = (f"in the next entry window (from {window} ET), re-quoted and re-checked then; "
                "good until the window ends")
        legs = opening_legs(structure)
        max_loss = structure.max_loss * structure.multiplier * candidate.contracts
        return self._ticket("open", candidate.candidate_id, legs, candidate.contracts, limit,
                            structure.credit_mid, structure.credit_natural, max_loss, verdict, when)

    def _recheck(self, candidate: TradeCandidate) -> tuple[Structure, RiskVerdict]:
        """Return the candidate re-quoted now and the risk manager's verdict on it."""
        requoted = self.session.requote_at(candidate.structure, candidate.expiration, self.now)
        if isinstance(requoted, NoSpread):
            why = f"no current quotes: {requoted.reason}"
            return candidate.structure, RiskVerdict(False, "quotes", detail=why)
        step = self.session.step_at(self.now)
        verdict = self.session.risk.check_entry(requoted, candidate.contracts, self.session.snapshot(step),
                                                step.day)
        return requoted, verdict

    def approve(self, edit: CandidateEdit) -> RiskVerdict:
        """Approve a new candidate (with the trader's size and limit).

        A veto refuses the approval, naming the limit (journaled and logged as [RISK VETO]); the
        candidate stays new, as an order rejected by a pre-trade check can be sent again smaller.
        """
        candidate = self._edited(edit)
        _, verdict = self._recheck(candidate)
        with self.journal.transaction():
            if verdict.approved:
                detail = f"approved by the {TRADER}: {verdict.detail}"
                self.journal.update_candidate(with_status(candidate, CandidateStatus.APPROVED, detail))
            else:  # refused, not ended: the trader may approve again with a smaller size
                detail = f"approval refused by the risk manager: {verdict.limit}: {verdict.detail}"
                self.journal.update_candidate(with_status(candidate, CandidateStatus.NEW, detail))
                self.journal.log(self.now, "RISK VETO", f"[RISK VETO] {candidate.candidate_id} {detail}")
        self._publish(EventKind.CANDIDATES, detail=candidate.candidate_id)
        return verdict

    def reject(self, candidate_id: str, why: str = "") -> None:
        """Reject a new candidate: it will not be traded."""
        candidate = self._actionable(candidate_id)
        detail = f"rejected by the {TRADER}" + (f": {why}" if why.strip() else "")
        with self.journal.transaction():
            self.journal.update_candidate(with_status(candidate, CandidateStatus.REJECTED, detail))
            self.journal.log(self.now, "CANDIDATE", f"[CANDIDATE REJECTED] {candidate_id} {detail}")
        self._publish(EventKind.CANDIDATES, detail=candidate_id)

    def propose_spread(self, expiry: date, right: Right, short_strike: float, contracts: int = 1) -> str:
        """Start a manual credit spread from a chain click; return the new candidate's id.

        Sells `short_strike` and buys the strategy's width further out of the money, priced on
        current quotes. It becomes a new candidate like the strategy's: approved through the same
        ticket and risk check, sent in the next entry window. The strategy's gates are not run
        on it (the trader chose it); the risk manager still judges it.
        """
        day = self.session.step_at(self.now).day
        expiration = self._listed(expiry, day)
        width = self.session.params.spread_width
        long_strike = short_strike - width if right is Right.PUT else short_strike + width
        quoted = self.session.requote_at(_vertical_template(self.session.underlying, expiration, right,
                                                            short_strike, long_strike), expiration, self.now)
        if isinstance(quoted, NoSpread):
            raise InputError("short_strike", short_strike, f"cannot be quoted: {quoted.reason}")
        if not quoted.credit_mid > 0:
            why = "gives no credit: a credit spread sells the richer leg"
            raise InputError("short_strike", short_strike, why)
        plan = exit_plan_for(quoted.credit_mid, day, quoted.expiry, self.session.params)
        candidate = TradeCandidate(self._manual_id(day), self.session.underlying, day, self.now, quoted,
                                   expiration, contracts, 1.0, plan, CandidateStatus.NEW,
                                   "manual spread from the chain: waiting for the trader")
        report = CandidateReport((), "manual", "checked by the risk manager at approval")
        with self.journal.transaction():
            self.journal.add_candidate(candidate)
            self.journal.set_state(report_key(candidate.candidate_id), dumps(report))
            self.journal.log(self.now, "CANDIDATE", f"[MANUAL SPREAD] {candidate.candidate_id} "
                             f"{quoted.kind.value} {short_strike:g}/{long_strike:g} {expiry.isoformat()}")
        self._publish(EventKind.CANDIDATES, detail=candidate.candidate_id)
        return candidate.candidate_id

    def _listed(self, expiry: date, day: date) -> Expiration:
        for expiration in self.session.feed.chains.expirations(day):
            if expiration.expiry == expiry:
                return expiration
        raise InputError("expiry", expiry.isoformat(), f"is not listed on {day.isoformat()}")

    def _manual_id(self, day: date) -> str:
        prefix = "C-M"
        taken = sum(1 for c in self.journal.candidates() if c.candidate_id.startswith(prefix)
                    and c.signal_day == day)
        return f"{prefix}{taken + 1}-{self.session.underlying}-{day.isoformat()}"

    # --- positions ----------------------------------------------------------------------------

    def _open_position(self, position_id: str) -> PositionRecord:
        record = self.journal.position(position_id)
        if record is None or record.status != "open":
            raise InputError("position_id", position_id, "is not an open position")
        if any(entry.order.position_id == position_id and entry.order.intent is not OrderIntent.OPEN
               for entry in self.journal.orders([OrderStatus.CREATED, OrderStatus.WORKING])):
            raise InputError("position_id", position_id, "already has a closing or rolling order working")
        return record

    def close_ticket(self, position_id: str, limit: float | None = None) -> OrderTicket:
        """Return the closing order of a position, priced on current quotes."""
        record = self._open_position(position_id)
        mid, natural = self._close_prices(record)
        price = self._limit_or(limit, natural)
        legs = closing_legs(record.position.structure)
        return self._ticket("close", position_id, legs, record.position.contracts, price, mid, natural,
                            None, None, self._day_order_text())

    def _close_prices(self, record: PositionRecord) -> tuple[float, float]:
        """Return the (mid, natural) net price of closing a position now (negative: a debit)."""
        quoted = self.session.feed.quote_legs(self.now, opening_legs(record.position.structure))
        if quoted is None:
            raise InputError("position_id", record.position_id, f"has no quotes at {self.now.isoformat()}")
        mark = mark_of(record.position, quoted, self.now)  # the debits to close, as the book marks it
        return -mark.debit, -mark.natural_debit

    def close(self, position_id: str, limit: float | None = None) -> str:
        """Send a closing order for a position now; return its order id."""
        record = self._open_position(position_id)
        _, natural = self._close_prices(record)
        order = self._day_order(record, OrderIntent.CLOSE, closing_legs(record.position.structure),
                                self._limit_or(limit, natural))
        pending = self.session.pending_exit(position_id)
        with self.journal.transaction():
            self.journal.add_order(order, "", f"manual close by the {TRADER}")
            if pending is not None:  # closing on the rules' signal: the breaker counts it as such
                self.journal.set_state(exit_key(order.order_id), dumps(pending))
        self._send()
        return order.order_id

    def close_all(self) -> list[str]:
        """Send a closing order for every open position without one working; return their ids."""
        sent = []
        for record in self.journal.positions("open"):
            try:
                sent.append(self.close(record.position_id))
            except InputError:
                continue  # already closing, or not quoted now: the others still go
        return sent

    def set_exit_mode(self, position_id: str, mode: str) -> None:
        """Set a position's exits to "auto" (sent by themselves) or "manual" (signalled only)."""
        if self.journal.position(position_id) is None:
            raise InputError("position_id", position_id, "is not a position of this session")
        with self.journal.transaction():
            self.journal.set_exit_mode(position_id, mode)
            self.journal.log(self.now, "EXIT MODE", f"[EXIT MODE] {position_id} exits {mode}")
        self._publish(EventKind.POSITIONS, detail=position_id)

    # --- rolls --------------------------------------------------------------------------------

    def roll_options(self, position_id: str) -> RollOptions:
        """Return the later expiries and strikes a position can roll to."""
        record = self._open_position(position_id)
        structure = record.position.structure
        short = next(leg for leg in structure.legs if leg.quantity < 0)
        listed = self.session.feed.chains.expirations(self.session.step_at(self.now).day)
        later = tuple(e for e in listed if e.expiry > structure.expiry)
        if not later:
            raise InputError("position_id", position_id, "has no later expiry listed to roll to")
        today = self.session.step_at(self.now).day
        target = self.session.params.target_dte  # roll out to about the strategy's own DTE
        default = min(later, key=lambda e: (abs((e.expiry - today).days - target), e.kind != "monthly"))
        chain = self.session.feed.chains.slice_at(today, default)  # the era's listed strike grid
        near = np.abs(chain.strikes / chain.spot - 1.0) <= ROLL_STRIKE_SPAN
        strikes = tuple(float(strike) for strike in chain.strikes[near])
        long = next(leg for leg in structure.legs if leg.quantity > 0 and leg.right is short.right)
        return RollOptions(position_id, structure.expiry, short.strike, structure.width, later,
                           default.expiry, strikes, long.strike - short.strike)

    def _roll_target(self, request: RollRequest) -> tuple[PositionRecord, Expiration, Structure]:
        record = self._open_position(request.position_id)
        expiration = self._listed(request.expiry, self.session.step_at(self.now).day)
        template = moved_structure(record.position.structure, expiration, request.short_strike)
        quoted = self.session.requote_at(template, expiration, self.now)
        if isinstance(quoted, NoSpread):
            raise InputError("short_strike", request.short_strike, f"cannot be quoted: {quoted.reason}")
        return record, expiration, quoted

    def roll_ticket(self, request: RollRequest) -> OrderTicket:
        """Return a roll's combo order, priced and the new half risk-checked on current quotes."""
        record, _, new = self._roll_target(request)
        mid_close, natural_close = self._close_prices(record)
        natural = natural_close + new.credit_natural
        verdict = self._roll_verdict(record, new)
        return self._ticket("roll", request.position_id, roll_legs(record.position.structure, new),
                            record.position.contracts, self._limit_or(request.limit_price, natural),
                            mid_close + new.credit_mid, natural,
                            new.max_loss * new.multiplier * record.position.contracts, verdict,
                            self._day_order_text())

    def _roll_verdict(self, record: PositionRecord, new: Structure) -> RiskVerdict:
        """Return the risk manager's verdict on the new half, the old position already gone."""
        step = self.session.step_at(self.now)
        book = self.session.snapshot(step)
        others = tuple(p for p in book.positions if p.position_id != record.position_id)
        without = replace(book, positions=others)
        return self.session.risk.check_entry(new, record.position.contracts, without, step.day)

    def roll(self, request: RollRequest) -> str:
        """Send a roll as one combo order now (refused when the new half is vetoed); return its id."""
        record, expiration, new = self._roll_target(request)
        verdict = self._roll_verdict(record, new)
        if not verdict.approved:
            raise InputError("roll", request.position_id, f"vetoed by the risk manager: {verdict.limit}: "
                             f"{verdict.detail}")
        _, natural_close = self._close_prices(record)
        limit = self._limit_or(request.limit_price, natural_close + new.credit_natural)
        order = self._day_order(record, OrderIntent.ROLL, roll_legs(record.position.structure, new), limit)
        target = RollTarget(record.position_id, self._successor_id(record.position_id), new, expiration)
        with self.journal.transaction():
            self.journal.add_order(order, "", f"roll by the {TRADER} to {expiration.expiry.isoformat()} "
                                              f"short {request.short_strike:g}")
            self.journal.set_state(roll_key(order.order_id), dumps(target))
            self.journal.set_state(exit_key(order.order_id), ROLLED)
        self._send()
        return order.order_id

    def _successor_id(self, position_id: str) -> str:
        base = position_id.split("-R")[0]
        count = sum(1 for r in self.journal.positions() if r.position_id.startswith(base + "-R"))
        return f"{base}-R{count + 1}"

    # --- orders -------------------------------------------------------------------------------

    def _working(self, order_id: str) -> Order:
        entry = self.journal.order(order_id)
        if entry is None:
            raise InputError("order_id", order_id, "is not an order of this session")
        if entry.status.is_final:
            why = f"is {entry.status.value}: only a working order can change"
            raise InputError("order_id", order_id, why)
        return entry.order

    def cancel(self, order_id: str) -> None:
        """Cancel a working order."""
        self._working(order_id)
        self.session.broker.cancel(order_id)
        self._book_reports()

    def modify(self, order_id: str, limit: float) -> None:
        """Change a working order's limit (same order id), then let it work the current quotes."""
        order = self._working(order_id)
        if not math.isfinite(limit):
            raise InputError("limit_price", limit, "must be a finite net price", order_id)
        new_limit = round_limit(limit, self.session.settings.execution.combo_tick)
        detail = f"limit {order.limit_price:.2f} -> {new_limit:.2f} by the {TRADER}"
        with self.journal.transaction():
            self.journal.modify_order_limit(order_id, new_limit, self.now, detail)
        self.session.broker.modify(order_id, new_limit)
        self._send()

    # --- the circuit breaker ------------------------------------------------------------------

    def halt(self, why: str, who: str = TRADER) -> None:
        """Halt new entries until resumed (exits still run)."""
        day = self.session.step_at(self.now).day
        with self.journal.transaction():
            self.session.breaker.halt(who, why, day)
            self.journal.log(self.now, "BREAKER", f"[BREAKER] entries halted by {who}: {why}")
        self._publish(EventKind.BREAKER)

    def resume(self, why: str, who: str = TRADER) -> None:
        """Lift a manual halt (an automatic trip still runs its course)."""
        day = self.session.step_at(self.now).day
        with self.journal.transaction():
            self.session.breaker.resume(who, why, day)
            self.journal.log(self.now, "BREAKER", f"[BREAKER] entries resumed by {who}: {why}")
        self._publish(EventKind.BREAKER)

    # --- helpers ------------------------------------------------------------------------------

    def _limit_or(self, limit: float | None, natural: float) -> float:
        tick = self.session.settings.execution.combo_tick
        chosen = natural if limit is None else limit
        if not math.isfinite(chosen):
            raise InputError("limit_price", chosen, "must be a finite net price (no quote to price it)")
        return round_limit(chosen, tick)

    def _day_end(self) -> datetime:
        day = self.session.step_at(self.now).day
        return max(calendar.session_close(day), self.now)

    def _day_order_text(self) -> str:
        return f"now, good until {self._day_end().strftime('%Y-%m-%d %H:%M')} ET"

    def _day_order(self, record: PositionRecord, intent: OrderIntent, legs: tuple[ComboLeg, ...],
                   limit: float) -> Order:
        prefix = f"{'R' if intent is OrderIntent.ROLL else 'M'}-{record.position_id}-"
        count = sum(1 for entry in self.journal.orders() if entry.order.order_id.startswith(prefix))
        position = record.position
        return Order(f"{prefix}{count + 1}", position.underlying, intent, legs, position.contracts, limit,
                     self.now, self._day_end(), position.position_id, position.structure.multiplier)

    def _send(self) -> None:
        """Send what is journaled and book what the broker says (crash-safe: journaled first)."""
        self.session.work_orders(self.now)
        self._publish(EventKind.ORDERS, EventKind.POSITIONS, EventKind.CANDIDATES)

    def _book_reports(self) -> None:
        with self.journal.transaction():
            self.session.apply_broker_reports(self.now)
        self._publish(EventKind.ORDERS, EventKind.POSITIONS)

    def _ticket(self, action: str, subject: str, legs: tuple[ComboLeg, ...], contracts: int, limit: float,
                mid: float, natural: float, max_loss: float | None, verdict: RiskVerdict | None,
                when: str) -> OrderTicket:
        fees = self.session.broker_fees(contracts, len(legs))
        return OrderTicket(action, subject, self.session.underlying, legs, contracts, limit,  # type: ignore[arg-type]
                           mid, natural, max_loss, fees, verdict, when, self.session.modelled)

