"""Build what the panels show (engine.model.desk.DeskView) from a running TradingSession.

One call reads the journal and the session's running book and returns one frozen value, so a
panel never shows half of a change. The terminal calls it at most ~10 times a second, only when
an event said something changed (engine.events), on the engine's thread; a year of replay holds a
few hundred rows, so a build costs milliseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np

from engine import calendar
from engine.clock import MARKET_TZ
from engine.codec import loads
from engine.journal import JournalOrder, PositionRecord
from engine.ledger import CandidateReport, report_key
from engine.model import OrderIntent, Right, TradeCandidate
from engine.model.desk import (
    BreakerView,
    CandidateView,
    ConnectionView,
    DeskView,
    EquityCurve,
    GreekFigures,
    GreeksView,
    LimitGauge,
    LogLine,
    OrderEvent,
    OrderView,
    PositionView,
    RegimeView,
    ReplayView,
    TradeMark,
)
from engine.risk.portfolio import NetGreeks, PortfolioSnapshot, heat_pct, portfolio_greeks, position_greeks
from engine.session import Step, TradingSession
from engine.strategy.evaluate import Evaluation
from engine.strategy.sizing import drawdown_risk_pct

BreakerState = Literal["armed", "tripped", "halted"]
LOG_LINES = 2000  # the log panel keeps the most recent entries; the journal keeps them all
ORDER_ROWS = 300
CANDIDATE_ROWS = 100


@dataclass(frozen=True, slots=True)
class ViewContext:
    """What the terminal knows that the session does not: the replay's state and the connection."""

    replay: ReplayView
    connection: ConnectionView


def build_desk_view(session: TradingSession, context: ViewContext) -> DeskView:
    """Return everything the panels show at the session's current moment."""
    now = session.clock.now() if session.cursor() is not None else None
    step = session.step_at(now) if now is not None else None
    book = session.snapshot(step) if step is not None else None
    spot = _spot(session, step)
    candidates = session.journal.candidates()  # read once: the rows and the chart's markers
    records = session.journal.positions()
    open_records = [record for record in records if record.status == "open"]
    return DeskView(
        now, session.underlying, spot, book.equity if book else session.book.starting_equity,
        session.book.cash, candidate_views(session, candidates),
        position_views(session, open_records, step, spot), order_views(session), greeks_view(session, book),
        regime_view(session, step), breaker_view(session, book, step), log_view(session),
        equity_curve(session, book, now), trade_marks(session, candidates, records), context.replay,
        context.connection, session.modelled,
    )


def _spot(session: TradingSession, step: Step | None) -> float:
    """Return the underlying's last price at the step: the close after the close, else the open."""
    if step is None:
        return math.nan
    history = session.feed.history
    column = "close" if step.phase == "close" else "open"
    return float(history.frame[f"spx_{column}"].iloc[history.position_of(step.day)])


# --- candidates ---------------------------------------------------------------------------------


def candidate_views(session: TradingSession, candidates: list[TradeCandidate]) -> tuple[CandidateView, ...]:
    """Return the most recent of the candidates with their gate reports, oldest first."""
    return tuple(_candidate_view(session, candidate) for candidate in candidates[-CANDIDATE_ROWS:])


def _candidate_view(session: TradingSession, candidate: TradeCandidate) -> CandidateView:
    text = session.journal.state(report_key(candidate.candidate_id))
    report = loads(text, CandidateReport) if text else CandidateReport((), "", "not recorded")
    structure = candidate.structure
    size = structure.multiplier * candidate.contracts
    ror = structure.credit_mid / structure.max_loss if structure.max_loss > 0 else math.nan
    return CandidateView(candidate, structure.max_loss * size, ror, report.gates, report.regime,
                         report.risk_text, session.modelled)


# --- positions ----------------------------------------------------------------------------------


def position_views(session: TradingSession, records: list[PositionRecord], step: Step | None,
                   spot: float) -> tuple[PositionView, ...]:
    """Return the open positions valued at their latest marks."""
    closing = _closing_orders(session)
    return tuple(_position_view(session, record, step, spot, closing.get(record.position_id, ""))
                 for record in records)


def _closing_orders(session: TradingSession) -> dict[str, str]:
    working = session.journal.orders_working()
    return {entry.order.position_id: entry.order.order_id for entry in working
            if entry.order.intent is not OrderIntent.OPEN}


def _position_view(session: TradingSession, record: PositionRecord, step: Step | None, spot: float,
                   closing_order_id: str) -> PositionView:
    position = record.position
    mark = session.book.marks.get(record.position_id)
    size = position.structure.multiplier * position.contracts
    debit = mark.debit if mark is not None else math.nan
    natural = mark.natural_debit if mark is not None else math.nan
    pnl = (position.entry_credit - debit) * size
    max_profit = position.entry_credit * size
    per_unit = mark.greeks if mark is not None else NetGreeks.of(position.structure)
    greeks = per_unit.scaled(size)
    short = next(leg for leg in position.structure.legs if leg.quantity < 0)
    distance = spot - short.strike if short.right is Right.PUT else short.strike - spot
    today = step.day if step is not None else position.opened_on
    signal = session.pending_exit(record.position_id) if record.exit_mode == "manual" else None
    signal_text = "" if signal is None else f"{signal.reason.value}: {signal.detail}"
    return PositionView(position, "manual" if record.exit_mode == "manual" else "auto", debit, natural, pnl,
                        100.0 * pnl / max_profit if max_profit > 0 else math.nan,
                        (position.structure.expiry - today).days, _figures(greeks), spot, short.strike,
                        distance, signal_text, closing_order_id, session.modelled)


def _figures(greeks: NetGreeks) -> GreekFigures:
    return GreekFigures(greeks.delta, greeks.gamma, greeks.theta, greeks.vega)


# --- orders -------------------------------------------------------------------------------------


def order_views(session: TradingSession) -> tuple[OrderView, ...]:
    """Return the most recent orders with their state histories and fills, oldest first."""
    entries: list[JournalOrder] = session.journal.orders()[-ORDER_ROWS:]
    ids = [entry.order.order_id for entry in entries]
    events = session.journal.order_events_of(ids)
    fills = defaultdict(list)
    for fill in session.journal.fills_of(ids):
        fills[fill.order_id].append(fill)
    return tuple(
        OrderView(entry.order, entry.status, entry.reason,
                  tuple(OrderEvent(*event) for event in events[entry.order.order_id]),
                  tuple(fills[entry.order.order_id]))
        for entry in entries
    )


# --- Greeks, regime, breaker --------------------------------------------------------------------


def greeks_view(session: TradingSession, book: PortfolioSnapshot | None) -> GreeksView:
    """Return the book's Greeks in dollars, heat, the split by underlying, and the limits."""
    limits = session.settings.limits
    split: tuple[tuple[str, GreekFigures], ...] = ()
    if book is None:
        total, heat = NetGreeks(), 0.0
    else:
        total, heat = portfolio_greeks(book), heat_pct(book)
        by_underlying: dict[str, NetGreeks] = defaultdict(NetGreeks)
        for position in book.positions:
            by_underlying[position.underlying] = by_underlying[position.underlying] + position_greeks(
                book, position)
        split = tuple((name, _figures(greeks)) for name, greeks in sorted(by_underlying.items()))
    gauges = (
        LimitGauge("delta", total.delta, limits.max_portfolio_delta, "$/pt"),
        LimitGauge("gamma", total.gamma, limits.max_portfolio_gamma, "$/pt²"),
        LimitGauge("vega", total.vega, limits.max_portfolio_vega, "$/vol pt"),
        LimitGauge("heat", heat, session.settings.portfolio.max_portfolio_heat_pct, "%"),
    )
    # Every underlying traded is SPX itself, whose beta to SPX is 1: the weighted delta is the delta.
    return GreeksView(_figures(total), total.delta, heat, split, gauges)


def _evaluation(session: TradingSession, step: Step | None) -> Evaluation | None:
    """Return the last close's evaluation (re-run after a restart: it is a pure function of the day)."""
    if session.last_evaluation is not None or step is None:
        return session.last_evaluation
    day = step.day if step.phase == "close" else calendar.previous_session(step.day)
    session.last_evaluation = session.evaluator.evaluate(day, session.snapshot(step))
    return session.last_evaluation


def regime_view(session: TradingSession, step: Step | None) -> RegimeView:
    """Return the regime, its inputs and the gates of the last entry evaluation."""
    evaluation = _evaluation(session, step)
    if evaluation is None:
        return RegimeView(None, None, (), (), (), 0, False, "no evaluation yet")
    state = evaluation.state
    inputs = (
        ("VIX", _number(state.vix)), ("VIX / VIX3M", _number(state.term_ratio, 3)),
        ("trend", _trend(state.close, state.trend_ema, state.trend_ema_period)),
        ("IV rank", _number(state.iv_rank, 1)), ("IV / HV", _number(state.iv_hv)),
        ("breadth", _number(state.breadth_pct, 1)), ("regime rule", evaluation.regime.because),
    )
    return RegimeView(evaluation.day, evaluation.regime.regime, inputs, evaluation.diagnosis.checks,
                      evaluation.gates, evaluation.warmup_bars_remaining, evaluation.signal,
                      evaluation.reason or "")


def _number(value: float, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}" if math.isfinite(value) else "no data"


def _trend(close: float, ema: float, period: int) -> str:
    if not (math.isfinite(close) and math.isfinite(ema)):
        return "no data"
    side = "above" if close > ema else "below"
    return f"close {close:,.2f} {side} EMA {period} {ema:,.2f}"


def breaker_view(session: TradingSession, book: PortfolioSnapshot | None, step: Step | None) -> BreakerView:
    """Return the breaker's state, the loss limits in dollars and the drawdown's risk scaling."""
    state = session.breaker.load()
    day = step.day if step is not None else date.min
    kind: BreakerState = "armed"
    if state.manual_halt is not None:
        kind = "halted"
    elif state.is_tripped(day):
        kind = "tripped"
    limits = session.settings.limits
    equity = book.equity if book is not None else session.book.starting_equity
    start_of_day = book.equity_start_of_day if book is not None else equity
    start_of_week = book.equity_start_of_week if book is not None else equity
    drawdown = book.drawdown_pct if book is not None else 0.0
    risk = session.params.risk_per_trade_pct
    return BreakerView(
        kind, state.status(day), state.consecutive_max_losses, session.params.circuit_breaker_count,
        state.recent_text(5), state.halted_through if kind == "tripped" else None,
        book.pnl_today if book else 0.0, start_of_day * limits.daily_loss_limit_pct / 100.0,
        book.pnl_week if book else 0.0, start_of_week * limits.weekly_loss_limit_pct / 100.0,
        drawdown, drawdown_risk_pct(risk, drawdown) / risk,
    )


# --- log, equity, marks -------------------------------------------------------------------------


def log_view(session: TradingSession) -> tuple[LogLine, ...]:
    """Return the most recent structured log entries, oldest first, in New York time."""
    return tuple(LogLine(at.astimezone(MARKET_TZ), kind, text)
                 for at, kind, text in session.journal.log_tail(LOG_LINES))


def equity_curve(session: TradingSession, book: PortfolioSnapshot | None,
                 now: datetime | None) -> EquityCurve:
    """Return equity and drawdown at each recorded close, the last point live at `now`.

    After a trader's close between two scheduled closes the equity has moved: the curve's last
    point is the book now (the journal's daily row is written at the next close).
    """
    days = session.journal.days()
    times = [calendar.session_close(date.fromisoformat(row["day"])).timestamp() for row in days]
    equity = [float(row["equity"]) for row in days]
    if now is not None and book is not None:
        if times and now.timestamp() <= times[-1]:
            equity[-1] = book.equity
        else:
            times.append(now.timestamp())
            equity.append(book.equity)
    values = np.asarray(equity, dtype=np.float64)
    peak = np.maximum.accumulate(np.maximum(values, session.book.starting_equity)) if len(values) else values
    drawdown = 100.0 * (values - peak) / peak if len(values) else values
    return EquityCurve(np.asarray(times, dtype=np.float64), values, drawdown, session.book.starting_equity)


def trade_marks(session: TradingSession, candidates: list[TradeCandidate],
                records: list[PositionRecord]) -> tuple[TradeMark, ...]:
    """Return the chart's markers: each signal at its close, each entry and exit on its day."""
    history = session.feed.history
    closes = history.frame["spx_close"]

    def close_on(day: date) -> float:
        return float(closes.iloc[history.position_of(day)])

    marks = [TradeMark(c.signal_day, close_on(c.signal_day), "signal", c.candidate_id)
             for c in candidates]
    for record in records:
        opened = record.opened_at.astimezone(MARKET_TZ).date()
        marks.append(TradeMark(opened, close_on(opened), "entry", record.position_id))
        if record.closed_at is not None:
            closed = record.closed_at.astimezone(MARKET_TZ).date()
            if calendar.is_session(closed):
                marks.append(TradeMark(closed, close_on(closed), "exit",
                                       f"{record.position_id} {record.exit_reason}"))
    return tuple(marks)

