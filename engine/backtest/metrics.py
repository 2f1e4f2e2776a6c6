"""The summary of a finished replay: returns, risk, trade statistics, 002 §16 targets and failures.

Definitions (every one is computed from `TradeRecord`s and `DailyRecord`s only)
-------------------------------------------------------------------------------
* **Equity series.** ``E_0`` = `starting_equity` (the account before the first session), then
  ``E_1 .. E_n`` = each session's closing equity, sessions sorted by date; ``n`` = `sessions`.
* **Years** = ``n / 252`` (trading sessions, the same basis as the Sharpe annualisation).
* **total_return_pct** = ``(E_n / E_0 - 1) * 100``; **cagr_pct** = ``((E_n / E_0) ** (1 / years) - 1) * 100``
  (-100 when the account is wiped out; null with no sessions or on overflow).
* **Daily returns** ``r_t = E_t / E_{t-1} - 1`` for t = 1..n (the first one is from the starting equity).
  **sharpe** = ``mean(r) / std(r, ddof=1) * sqrt(252)``, risk-free rate 0.
  **sortino** = ``mean(r) / sqrt(mean(min(r_t, 0) ** 2)) * sqrt(252)``: downside deviation over *all*
  days, target return 0. Both null when undefined (fewer than 2 returns, zero deviation).
* **Drawdown** on session t = ``(P_t - E_t) / P_t * 100`` >= 0 with ``P_t = max(E_0 .. E_t)`` (the starting
  equity is the first peak). **max_drawdown_pct** is its maximum; *trough* is the first session at that
  maximum; *start* is the first session of the under-water run that contains the trough (the first
  close below the peak); *recovery* is the first session after the trough back at or above the peak
  (null if never). All three null when there was no drawdown.
* **Trades.** A trade is closed when its status is "closed" and it has an exit date and a P&L. Closed
  trades are ordered by (exit date, entry date, position id). A *win* has pnl > 0, a *loss* pnl < 0;
  a scratch (pnl == 0) is neither. **win_rate_pct** = wins / closed * 100. **profit_factor** = sum of
  winning pnl / |sum of losing pnl| (null when there are no losses: JSON has no infinity).
  **average_win** / **average_loss** = mean pnl of wins / of losses (the loss is negative).
  **average_days_held** = mean calendar days from entry to exit of closed trades.
  **commissions_paid** = sum over every trade, open ones included. **exit_reasons** counts closed
  trades by reason.
* **monthly_income_pct** = the mean over calendar months of ``(E_close - E_open) / E_open * 100``, where
  ``E_close`` is the month's last session close and ``E_open`` the previous month's last close (the
  starting equity for the first month). Partial first and last months count as months.
* **Targets** (002 §16): CAGR >= 40; Sharpe >= 0.8; win rate >= 75; profit factor >= 1.8 (also met when
  there are wins and no losses); max drawdown <= 25; monthly income >= 1; average trade duration
  within 15..30 days inclusive. The upper ends of 002's ranges are not limits. A null value is not met.
* **Failure conditions** (002 §16), each checked at the end of every exit date (so same-day closes
  are judged together); `dates` lists the days a breach *began* (the check was clear the day before):

  1. the win rate of the last 20 closed trades is below 60 %;
  2. 3 consecutive max losses, by the circuit breaker's rule (engine.risk.breaker: a STOP LOSS exit,
     or a realised loss >= 50 % of the position's max loss); here `dates` lists every close at
     which the streak stood at 3 or more (the breaker trips again on each);
  3. the drawdown exceeds 25 %;
  4. the profit factor of the last 30 closed trades is below 1.2 (a window without losses passes);
  5. consistent negative theta capture: not measurable from these records (needs daily theta
     attribution), so never flagged and said so.

Every float in the result is rounded to `DECIMALS` places; NaN and infinities become null.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.risk import CircuitBreaker, ClosedTrade
from engine.strategy.exits import ExitReason

from .records import DailyRecord, TradeRecord

DECIMALS = 6  # rounding of every float in the summary, so the JSON is stable
SESSIONS_PER_YEAR = 252

WIN_RATE_WINDOW, WIN_RATE_FLOOR_PCT = 20, 60.0
PROFIT_FACTOR_WINDOW, PROFIT_FACTOR_FLOOR = 30, 1.2
MAX_DRAWDOWN_LIMIT_PCT = 25.0
MAX_LOSS_STREAK = 3
_BREAKER = CircuitBreaker()  # default rules: the 50 % max-loss share the live breaker uses

# 002 §16's table: (metric, 002's target text, summary key, how "met" is read).
TARGETS: tuple[tuple[str, str, str, str], ...] = (
    ("CAGR", "40%+", "cagr_pct", "at least 40"),
    ("Sharpe Ratio", "0.8–1.2", "sharpe", "at least 0.8"),
    ("Win Rate", "75–85%", "win_rate_pct", "at least 75"),
    ("Profit Factor", "1.8–2.5", "profit_factor", "at least 1.8 (or no losses)"),
    ("Max Drawdown", "15–25%", "max_drawdown_pct", "at most 25"),
    ("Monthly Income", "1–1.5% of allocated capital", "monthly_income_pct", "at least 1"),
    ("Avg Trade Duration", "15–30 days", "average_days_held", "between 15 and 30"),
)
_TARGET_TESTS: dict[str, Callable[[float], bool]] = {
    "cagr_pct": lambda v: v >= 40.0,
    "sharpe": lambda v: v >= 0.8,
    "win_rate_pct": lambda v: v >= 75.0,
    "profit_factor": lambda v: v >= 1.8,
    "max_drawdown_pct": lambda v: v <= 25.0,
    "monthly_income_pct": lambda v: v >= 1.0,
    "average_days_held": lambda v: 15.0 <= v <= 30.0,
}


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest drawdown: its depth in percent and its start, trough and recovery sessions."""

    pct: float
    start: date | None
    trough: date | None
    recovery: date | None


def compute_summary(
    trades: Sequence[TradeRecord], days: Sequence[DailyRecord], starting_equity: float
) -> dict[str, Any]:
    """Return the JSON-ready summary of a run (see the module docstring for every definition)."""
    if not (math.isfinite(starting_equity) and starting_equity > 0):
        raise InputError("starting_equity", starting_equity, "must be a positive number")
    sessions = sorted(days, key=lambda d: d.day)
    closed = closed_trades(trades)
    summary: dict[str, Any] = {
        "period": _period(sessions),
        **_returns(sessions, starting_equity),
        **_trade_stats(trades, closed),
        "monthly_income_pct": monthly_income_pct(sessions, starting_equity),
    }
    summary["targets"] = _targets(summary, closed)
    summary["failure_conditions"] = _failure_conditions(closed, sessions, starting_equity)
    cleaned: dict[str, Any] = _clean(summary)
    return cleaned


def closed_trades(trades: Sequence[TradeRecord]) -> list[TradeRecord]:
    """Return the closed trades in closing order: exit date, then entry date, then position id."""
    closed = [t for t in trades if t.status == "closed" and t.exit_date is not None and t.pnl is not None]
    return sorted(closed, key=lambda t: (t.exit_date, t.entry_date, t.position_id))


def drawdown_pcts(days: Sequence[DailyRecord], starting_equity: float) -> list[float]:
    """Return each session's drawdown from the running peak in percent (>= 0); days sorted by date."""
    peak, out = starting_equity, []
    for d in days:
        peak = max(peak, d.equity)
        out.append((peak - d.equity) / peak * 100.0)
    return out


def max_drawdown(days: Sequence[DailyRecord], starting_equity: float) -> Drawdown:
    """Return the deepest drawdown with its start, trough and recovery sessions."""
    dd = drawdown_pcts(days, starting_equity)
    if not dd or max(dd) <= 0.0:
        return Drawdown(0.0, None, None, None)
    trough = int(np.argmax(dd))  # the first session at the maximum
    start = trough
    while start > 0 and dd[start - 1] > 0.0:
        start -= 1
    recovery = next((k for k in range(trough + 1, len(dd)) if dd[k] <= 0.0), None)
    return Drawdown(
        dd[trough], days[start].day, days[trough].day, None if recovery is None else days[recovery].day
    )


def monthly_income_pct(days: Sequence[DailyRecord], starting_equity: float) -> float | None:
    """Return the mean monthly equity change in percent of the month's opening equity."""
    opening, changes = starting_equity, []
    for _, month in itertools.groupby(days, key=lambda d: (d.day.year, d.day.month)):
        closing = list(month)[-1].equity
        if opening <= 0:
            return None  # a wiped-out account has no income rate
        changes.append((closing - opening) / opening * 100.0)
        opening = closing
    return float(np.mean(changes)) if changes else None


def profit_factor(trades: Sequence[TradeRecord]) -> float | None:
    """Return gross wins / gross losses of closed trades (None when there are no losses)."""
    pnls = [t.pnl for t in trades if t.pnl is not None]
    gross_loss = -sum(p for p in pnls if p < 0)
    return sum(p for p in pnls if p > 0) / gross_loss if gross_loss > 0 else None


def win_rate_pct(trades: Sequence[TradeRecord]) -> float | None:
    """Return the share of closed trades with pnl > 0 in percent (None without closed trades)."""
    pnls = [t.pnl for t in trades if t.pnl is not None]
    return sum(1 for p in pnls if p > 0) / len(pnls) * 100.0 if pnls else None


def is_max_loss(trade: TradeRecord) -> bool:
    """Return True when a closed trade counts as a max loss for the circuit breaker (same rule)."""
    stop = trade.exit_reason == ExitReason.STOP_LOSS.value
    closed = ClosedTrade(trade.position_id, trade.pnl or 0.0, trade.max_loss, stop)
    return _BREAKER.is_max_loss(closed)


def _period(days: Sequence[DailyRecord]) -> dict[str, Any]:
    months = {(d.day.year, d.day.month) for d in days}
    return {
        "first_day": days[0].day.isoformat() if days else None,
        "last_day": days[-1].day.isoformat() if days else None,
        "sessions": len(days),
        "months": len(months),
        "years": len(days) / SESSIONS_PER_YEAR,
    }


def _returns(days: Sequence[DailyRecord], starting_equity: float) -> dict[str, Any]:
    equity = np.array([starting_equity, *(d.equity for d in days)], dtype=float)
    ending = float(equity[-1])
    dd = max_drawdown(days, starting_equity)
    return {
        "starting_equity": starting_equity,
        "ending_equity": ending,
        "total_return_pct": (ending / starting_equity - 1.0) * 100.0,
        "cagr_pct": _cagr_pct(starting_equity, ending, len(days)),
        **_sharpe_sortino(equity),
        "max_drawdown_pct": dd.pct,
        "max_drawdown_start": dd.start,
        "max_drawdown_trough": dd.trough,
        "max_drawdown_recovery": dd.recovery,
    }


def _cagr_pct(start: float, end: float, sessions: int) -> float | None:
    if sessions == 0:
        return None
    if end <= 0:
        return -100.0
    try:
        growth: float = math.pow(end / start, SESSIONS_PER_YEAR / sessions)
        return (growth - 1.0) * 100.0
    except OverflowError:  # a short, lucky run annualises past float range
        return None


def _sharpe_sortino(equity: np.ndarray) -> dict[str, float | None]:
    if len(equity) < 3 or np.any(equity[:-1] <= 0):
        return {"sharpe": None, "sortino": None}
    returns = equity[1:] / equity[:-1] - 1.0
    mean, scale = float(np.mean(returns)), math.sqrt(SESSIONS_PER_YEAR)
    std = float(np.std(returns, ddof=1))
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    return {
        "sharpe": mean / std * scale if std > 0 else None,
        "sortino": mean / downside * scale if downside > 0 else None,
    }


def _trade_stats(trades: Sequence[TradeRecord], closed: Sequence[TradeRecord]) -> dict[str, Any]:
    wins = [t.pnl for t in closed if t.pnl is not None and t.pnl > 0]
    losses = [t.pnl for t in closed if t.pnl is not None and t.pnl < 0]
    held = [t.days_held for t in closed if t.days_held is not None]
    reasons = Counter(t.exit_reason for t in closed)
    return {
        "trade_count": len(closed),
        "open_at_end": len(trades) - len(closed),
        "win_rate_pct": win_rate_pct(closed),
        "profit_factor": profit_factor(closed),
        "average_win": float(np.mean(wins)) if wins else None,
        "average_loss": float(np.mean(losses)) if losses else None,
        "average_days_held": float(np.mean(held)) if held else None,
        "commissions_paid": float(sum(t.commissions for t in trades)),
        "exit_reasons": {reason: reasons[reason] for reason in sorted(reasons)},
    }


def _targets(summary: dict[str, Any], closed: Sequence[TradeRecord]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, target, key, rule in TARGETS:
        value = summary[key]
        met = value is not None and _TARGET_TESTS[key](value)
        if key == "profit_factor" and value is None:
            met = any(t.pnl is not None and t.pnl > 0 for t in closed)  # wins, no losses: infinite
        out[name] = {"target": target, "value": value, "met": met, "rule": rule}
    return out


def _failure_conditions(
    closed: Sequence[TradeRecord], days: Sequence[DailyRecord], starting_equity: float
) -> list[dict[str, Any]]:
    return [
        _win_rate_failure(closed),
        _streak_failure(closed),
        _drawdown_failure(days, starting_equity),
        _profit_factor_failure(closed),
        _failure(
            "Consistent negative theta capture",
            [],
            "not measured: needs daily theta attribution (positions losing more than theta predicts)",
            "not measured",
        ),
    ]


def _failure(name: str, dates: Sequence[date], detail: str, evaluated: str = "") -> dict[str, Any]:
    """Return one failure condition; `evaluated` names why it could not be checked ("" when it was)."""
    status = evaluated or ("flagged" if dates else "clear")
    return {
        "name": name,
        "status": status,
        "flagged": bool(dates),
        "detail": detail,
        "first_date": dates[0].isoformat() if dates else None,
        "dates": [d.isoformat() for d in dates],
    }


def _win_rate_failure(closed: Sequence[TradeRecord]) -> dict[str, Any]:
    def below(window: Sequence[TradeRecord]) -> bool:
        rate = win_rate_pct(window)
        return rate is not None and rate < WIN_RATE_FLOOR_PCT

    dates = _rolling_breaches(closed, WIN_RATE_WINDOW, below)
    rule = f"win rate of the last {WIN_RATE_WINDOW} closed trades below {WIN_RATE_FLOOR_PCT:g}%"
    name = "Win rate drops below 60% over 20+ trades"
    return _rolling_failure(name, rule, dates, len(closed), WIN_RATE_WINDOW)


def _profit_factor_failure(closed: Sequence[TradeRecord]) -> dict[str, Any]:
    def below(window: Sequence[TradeRecord]) -> bool:
        pf = profit_factor(window)
        return pf is not None and pf < PROFIT_FACTOR_FLOOR

    dates = _rolling_breaches(closed, PROFIT_FACTOR_WINDOW, below)
    rule = f"profit factor of the last {PROFIT_FACTOR_WINDOW} closed trades below {PROFIT_FACTOR_FLOOR:g}"
    name = "Profit factor below 1.2 over rolling 30-trade window"
    return _rolling_failure(name, rule, dates, len(closed), PROFIT_FACTOR_WINDOW)


def _rolling_failure(name: str, rule: str, dates: Sequence[date], closed: int, window: int) -> dict[str, Any]:
    if closed < window:
        detail = f"{rule}: not evaluated, {closed} closed trades is fewer than the window of {window}"
        return _failure(name, dates, detail, "too few trades")
    return _failure(name, dates, _detail(rule, dates, closed))


def _streak_failure(closed: Sequence[TradeRecord]) -> dict[str, Any]:
    streak, dates = 0, []
    for trade in closed:
        streak = streak + 1 if is_max_loss(trade) else 0
        if streak >= MAX_LOSS_STREAK and trade.exit_date is not None and trade.exit_date not in dates:
            dates.append(trade.exit_date)
    rule = (
        f"{MAX_LOSS_STREAK} consecutive max losses (STOP LOSS exit or loss >= 50% of max loss; "
        "dates: every close with the streak at 3+)"
    )
    return _failure("3 consecutive max losses", dates, _detail(rule, dates, len(closed)))


def _drawdown_failure(days: Sequence[DailyRecord], starting_equity: float) -> dict[str, Any]:
    dd = drawdown_pcts(days, starting_equity)
    dates = _breach_starts([(d.day, x > MAX_DRAWDOWN_LIMIT_PCT) for d, x in zip(days, dd, strict=True)])
    deepest = max(dd, default=0.0)
    rule = f"drawdown above {MAX_DRAWDOWN_LIMIT_PCT:g}% (deepest {deepest:.2f}%)"
    return _failure("Max drawdown exceeds 25%", dates, _detail(rule, dates, None))


def _rolling_breaches(
    closed: Sequence[TradeRecord], window: int, breached: Callable[[Sequence[TradeRecord]], bool]
) -> list[date]:
    """Return the exit dates on which the trailing `window` closes began to breach."""
    checks: list[tuple[date, bool]] = []
    for i in range(window - 1, len(closed)):
        day = closed[i].exit_date
        is_last_of_day = i + 1 == len(closed) or closed[i + 1].exit_date != day
        if day is not None and is_last_of_day:
            checks.append((day, breached(closed[i - window + 1 : i + 1])))
    return _breach_starts(checks)


def _breach_starts(checks: Sequence[tuple[date, bool]]) -> list[date]:
    """Return the days a breach began: breached now, not at the previous check."""
    starts, before = [], False
    for day, now in checks:
        if now and not before:
            starts.append(day)
        before = now
    return starts


def _detail(rule: str, dates: Sequence[date], closed_count: int | None) -> str:
    over = "" if closed_count is None else f" over {closed_count} closed trades"
    if not dates:
        return f"{rule}: never{over}"
    return f"{rule}: {len(dates)} time(s){over}, first on {dates[0].isoformat()}"


def _clean(value: Any) -> Any:
    """Return `value` JSON-ready: floats rounded, non-finite to None, dates to ISO strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    number = float(value)
    return round(number, DECIMALS) + 0.0 if math.isfinite(number) else None  # + 0.0 drops "-0.0"
