"""The structured log lines of 002 §9, formatted from engine values (pure functions, no I/O).

[ENTRY EVAL] (§9.1), [TRADE OPENED] (§9.2), [TRADE CLOSED] with running stats (§9.3),
[DAILY SUMMARY] (§9.4), [DAILY DASHBOARD] (§9.5) and the warm-up line of §11.10. Each returns
the block as one string (lines joined by newlines, no trailing newline). Money is dollars,
prices are index points per unit as the seed writes them ("Net Credit: $2.60 ($260 per
contract)").

Where 002's own examples disagree with its rules the formatter prints what the engine decided
and labels it with the parameter: e.g. §9.2 shows "Stop Loss: Close at $7.80 (200% of $2.60
credit)"; the debit comes from the exit plan, the percentage from stop_loss_multiplier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from engine.model import CheckStatus, GateResult, Position, Regime, Right, Structure
from engine.strategy.gates import THRESHOLD_IN_DETAIL

INDENT = "  "
REMAINING_NOT_EVALUATED = "[Remaining gates not evaluated — first failure stops chain]"
SIGNAL_LINE = ">>> SIGNAL: ENTRY TRIGGERED"
REGIME_NOTES = {
    Regime.BEAR_TREND: "Market in sustained downtrend. All entry signals suppressed.",
    Regime.CRISIS: "Volatility crisis. New entries halted; existing positions managed only.",
}


def dollars(amount: float, signed: bool = False) -> str:
    """Return $1,234 (or +$1,234 / -$1,234 when `signed`), whole dollars."""
    sign = "-" if amount < 0 else "+" if signed else ""
    return f"{sign}${abs(amount):,.0f}"


def price(points: float, signed: bool = False) -> str:
    """Return an option price in points as the seed writes it: $2.60 (or +$1.32)."""
    sign = "-" if points < 0 else "+" if signed else ""
    return f"{sign}${abs(points):.2f}"


def warmup_line(bars_remaining: int) -> str:
    """Return 002 §11.10's daily warm-up line."""
    return f"WARMUP: indicators not ready, {bars_remaining} bars remaining"


# --- [ENTRY EVAL] --------------------------------------------------------------------------------


def gate_line(gate: GateResult) -> str:
    """Return one gate as §9.1 logs it: "IV Rank: 62.3% (PASS, threshold: 50%)"."""
    clause = gate.status.value
    if gate.threshold and gate.name not in THRESHOLD_IN_DETAIL:
        clause = f"{clause}, {gate.threshold}"
    return f"{INDENT}{gate.name}: {gate.detail} ({clause})"


def _stops_chain(gate: GateResult) -> bool:
    return gate.status in (CheckStatus.FAIL, CheckStatus.NO_DATA)


def entry_eval(day: date, underlying: str, gates: Sequence[GateResult], reason: str | None) -> str:
    """Return the [ENTRY EVAL] block: gates in order up to the first failure, then the verdict.

    `reason` is None for a signal. DISABLED gates are left out (002 logs only the gates in
    force). A reason with no blocking gate (no spread could be built) follows all the gates.
    """
    lines = [f"[ENTRY EVAL] {day.isoformat()} | {underlying}"]
    for gate in gates:
        if gate.status is CheckStatus.DISABLED:
            continue
        lines.append(gate_line(gate))
        if _stops_chain(gate):
            lines.append(f"{INDENT}>>> NO TRADE: {reason}")
            lines.append(f"{INDENT}{REMAINING_NOT_EVALUATED}")
            return "\n".join(lines)
    lines.append(f"{INDENT}{SIGNAL_LINE}" if reason is None else f"{INDENT}>>> NO TRADE: {reason}")
    return "\n".join(lines)


# --- [TRADE OPENED] / [TRADE CLOSED] ------------------------------------------------------------


def _leg_label(structure: Structure, index: int) -> str:
    leg = structure.legs[index]
    role = "Short" if leg.quantity < 0 else "Long"
    kind = "Put" if leg.right is Right.PUT else "Call"
    return f"{role} {kind}: {structure.underlying} {leg.strike:g}{kind[0]}"


def max_loss_per_contract(position: Position) -> float:
    """Return the dollars one contract can lose at the credit actually received."""
    structure = position.structure
    return (structure.max_loss + structure.credit_mid - position.entry_credit) * structure.multiplier


@dataclass(frozen=True, slots=True)
class ExitRules:
    """The exit parameters a log line names (002 §10.1)."""

    profit_target_pct: float = 50.0
    stop_loss_multiplier: float = 2.0
    time_stop_dte: int = 21


def _leg_lines(structure: Structure, prices: Sequence[float]) -> list[str]:
    lines = []
    for index, leg in enumerate(structure.legs):
        delta = f" (delta: {leg.delta:.3f})" if leg.quantity < 0 else ""
        lines.append(f"{_leg_label(structure, index)} @ {price(prices[index])}{delta}")
    return lines


def _header(tag: str, day: date, structure: Structure) -> str:
    return f"[{tag}] {day.isoformat()} | {structure.underlying} {structure.kind.value}"


def _block(header: str, lines: Sequence[str]) -> str:
    return "\n".join([header, *(INDENT + line for line in lines)])


def trade_opened(
    position: Position, rules: ExitRules, equity: float, exposure: float, positions_open: int,
    leg_prices: Sequence[float] | None = None,
) -> str:
    """Return the [TRADE OPENED] block of a filled entry.

    `exposure` is the sum of the open positions' max losses in dollars, this one included;
    `positions_open` counts them. `leg_prices` are the fill prices per leg (default: the mids).
    """
    structure, contracts, credit = position.structure, position.contracts, position.entry_credit
    prices = list(leg_prices) if leg_prices is not None else [leg.mid for leg in structure.legs]
    loss, profit = max_loss_per_contract(position), credit * structure.multiplier
    plan = position.exit_plan
    lines = [
        *_leg_lines(structure, prices),
        f"Net Credit: {price(credit)} ({dollars(profit)} per contract)",
        f"Contracts: {contracts}",
        f"Spread Width: {structure.width:g} points ({dollars(structure.width * structure.multiplier)} "
        "per contract)",
        f"Max Loss: {dollars(loss)} per contract ({dollars(loss * contracts)} total)",
        f"Max Profit: {dollars(profit)} per contract ({dollars(profit * contracts)} total)",
        f"Risk/Reward: {loss / profit:.1f}:1 max loss to max profit (mitigated by high win rate)",
        f"DTE: {(structure.expiry - position.opened_on).days}",
        f"Expiration: {structure.expiry.isoformat()}",
        f"Profit Target: Close at {price(plan.profit_target_debit)} "
        f"({rules.profit_target_pct:g}% of {price(credit)} credit)",
        f"Stop Loss: Close at {price(plan.stop_loss_debit)} "
        f"({100 * rules.stop_loss_multiplier:g}% of {price(credit)} credit)",
        f"Time Stop: {plan.time_stop.isoformat()} ({rules.time_stop_dte} DTE)",
        f"Portfolio Risk: {dollars(loss * contracts)} / {dollars(equity)} = "
        f"{100 * loss * contracts / equity:.1f}% of equity",
        f"Total Exposure: {100 * exposure / equity:.1f}% of equity ({positions_open} positions open)",
    ]
    return _block(_header("TRADE OPENED", position.opened_on, structure), lines)


@dataclass(frozen=True, slots=True)
class RunningStats:
    """Closed-trade record for the [TRADE CLOSED] line: wins, losses, gross profit and loss ($)."""

    wins: int = 0
    losses: int = 0
    gross_profit: float = 0.0
    gross_loss: float = 0.0  # a positive number

    def add(self, pnl: float) -> RunningStats:
        """Return the stats after one more closed trade (a scratch, P/L 0, is not a win)."""
        if pnl > 0:
            return RunningStats(self.wins + 1, self.losses, self.gross_profit + pnl, self.gross_loss)
        return RunningStats(self.wins, self.losses + 1, self.gross_profit, self.gross_loss - pnl)

    @property
    def win_rate_pct(self) -> float:
        """Return wins over trades, in percent (NaN before the first trade)."""
        trades = self.wins + self.losses
        return 100.0 * self.wins / trades if trades else math.nan

    @property
    def profit_factor(self) -> float:
        """Return gross profit over gross loss (inf with no loss yet)."""
        return self.gross_profit / self.gross_loss if self.gross_loss > 0 else math.inf

    def describe(self) -> str:
        """Return "7W / 2L (77.8% win rate), Profit Factor: 2.34"."""
        factor = f"{self.profit_factor:.2f}" if math.isfinite(self.profit_factor) else "n/a (no losses)"
        return f"{self.wins}W / {self.losses}L ({self.win_rate_pct:.1f}% win rate), Profit Factor: {factor}"


def trade_closed(
    position: Position, closed_on: date, exit_debit: float, reason: str, stats: RunningStats
) -> str:
    """Return the [TRADE CLOSED] block; `stats` already include this trade.

    `reason` is the exit rule as the exit engine names it ("PROFIT TARGET (50%)"). P/L is gross
    of commissions: the entry credit less the exit debit, per unit and in dollars.
    """
    structure, contracts = position.structure, position.contracts
    per_unit = position.entry_credit - exit_debit
    total = per_unit * structure.multiplier * contracts
    at_risk = max_loss_per_contract(position) * contracts
    lines = [
        _header("TRADE CLOSED", closed_on, structure),
        f"Reason: {reason}",
        f"Entry Credit: {price(position.entry_credit)}",
        f"Exit Debit: {price(exit_debit)}",
        f"P/L: {price(per_unit, signed=True)} per contract ({dollars(total, signed=True)} total, "
        f"{contracts} contracts)",
        f"Return on Risk: {100 * total / at_risk:+.1f}% ({dollars(total)} / {dollars(at_risk)})",
        f"Days Held: {(closed_on - position.opened_on).days}",
        f"DTE at Close: {(structure.expiry - closed_on).days}",
        f"Win/Loss: {'WIN' if total > 0 else 'LOSS'}",
        f"Running Stats: {stats.describe()}",
    ]
    return _block(lines[0], lines[1:])


# --- [DAILY SUMMARY] / [DAILY DASHBOARD] -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookFigures:
    """The open book as the daily lines show it (002 §9.4-9.5)."""

    open_positions: int = 0
    aggregate_delta: float = 0.0  # 002's sign and scale (engine.risk.portfolio)
    aggregate_theta: float = 0.0  # dollars per day
    heat_pct: float = 0.0
    aggregate_pnl: float = 0.0  # dollars, open positions
    risk_status: str = "all within risk limits"


def daily_summary(
    day: date, blocked: Mapping[str, str | None], book: BookFigures, days_since_last_entry: int | None,
    note: str | None = None,
) -> str:
    """Return the [DAILY SUMMARY] block.

    `blocked` maps each underlying to why it is blocked ("Bear Trend regime (SPX below 200 EMA)"),
    or None when it has an entry signal. `note` ends the block when given (see REGIME_NOTES).
    """
    eligible = [name for name, why in blocked.items() if why is None]
    header = "NO TRADES ELIGIBLE" if not eligible else f"TRADES ELIGIBLE: {', '.join(eligible)}"
    lines = [f"[DAILY SUMMARY] {day.isoformat()} | {header}"]
    for name, why in blocked.items():
        lines.append(f"{name}: ENTRY SIGNAL" if why is None else f"{name}: BLOCKED — {why}")
    since = "none yet" if days_since_last_entry is None else str(days_since_last_entry)
    lines += [
        f"Open Positions: {book.open_positions} ({book.risk_status})",
        f"Aggregate Delta: {book.aggregate_delta:.2f}",
        f"Aggregate Theta: {dollars(book.aggregate_theta, signed=True)}/day",
        f"Portfolio Heat: {book.heat_pct:.1f}% of equity at risk",
        f"Days Since Last Entry: {since}",
    ]
    if note:
        lines.append(f"Note: {note}")
    return _block(lines[0], lines[1:])


@dataclass(frozen=True, slots=True)
class DashboardLine:
    """What the [DAILY DASHBOARD] shows beside the book figures."""

    regime: Regime | None
    vix: float
    iv_rank: float
    nearest_expiry: date | None = None
    soft_warning_dte: int = 28
    breaker: str = "OFF"  # "OFF" or "TRIPPED until 2026-02-24"
    recent_outcomes: tuple[str, ...] = ()  # "W"/"L", oldest first
    opened_today: tuple[str, ...] = ()  # "SPX 5700/5650 PCS"
    closed_today: tuple[str, ...] = ()


def spread_label(structure: Structure) -> str:
    """Return a structure as the dashboard names it: "SPX 5700/5650 PCS"."""
    strikes = "/".join(f"{leg.strike:g}" for leg in structure.legs)
    short = {"Put Credit Spread": "PCS", "Call Credit Spread": "CCS", "Iron Condor": "IC"}
    return f"{structure.underlying} {strikes} {short.get(structure.kind.value, structure.kind.value)}"


def _nearest_expiry(day: date, line: DashboardLine) -> str:
    if line.nearest_expiry is None:
        return "none"
    dte = (line.nearest_expiry - day).days
    alert = " — ALERT: approaching time stop" if dte <= line.soft_warning_dte else ""
    return f"{line.nearest_expiry.isoformat()} ({dte} DTE){alert}"


def _trades_today(line: DashboardLine) -> str:
    parts = [f"{len(names)} {verb} ({', '.join(names)})"
             for verb, names in (("opened", line.opened_today), ("closed", line.closed_today)) if names]
    return ", ".join(parts) if parts else "none"


def daily_dashboard(day: date, line: DashboardLine, book: BookFigures) -> str:
    """Return the [DAILY DASHBOARD] block."""
    regime = line.regime.value if line.regime is not None else "no data"
    vix = f"{line.vix:.1f}" if math.isfinite(line.vix) else "no data"
    rank = f"{line.iv_rank:.0f}%" if math.isfinite(line.iv_rank) else "no data"
    last = line.recent_outcomes[-3:]
    history = f"last {len(last)} trades: {', '.join(last)}" if last else "no closed trades"
    lines = [
        f"[DAILY DASHBOARD] {day.isoformat()}",
        f"Regime: {regime} | VIX: {vix} | IV Rank: {rank}",
        f"Open Positions: {book.open_positions} | Aggregate P/L: {dollars(book.aggregate_pnl, signed=True)}",
        f"Aggregate Delta: {book.aggregate_delta:.2f} | Aggregate Theta: "
        f"{dollars(book.aggregate_theta, signed=True)}/day",
        f"Portfolio Heat: {book.heat_pct:.1f}% of equity",
        f"Nearest Expiry: {_nearest_expiry(day, line)}",
        f"Circuit Breaker: {line.breaker} ({history})",
        f"Trades Today: {_trades_today(line)}",
    ]
    return _block(lines[0], lines[1:])
