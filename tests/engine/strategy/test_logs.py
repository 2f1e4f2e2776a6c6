"""The log lines of 002 §9, line by line against the seed's own examples (hand-made cases)."""

from __future__ import annotations

import math
from datetime import date

from engine.config import UnderlyingParams
from engine.model import (
    CheckStatus,
    ExitPlan,
    GateResult,
    Leg,
    Position,
    Regime,
    Right,
    Structure,
    StructureKind,
)
from engine.strategy.gates import GateInputs, iv_rank_gate, rsi_gate, term_structure_gate, trend_gate
from engine.strategy.logs import (
    REGIME_NOTES,
    BookFigures,
    DashboardLine,
    ExitRules,
    RunningStats,
    daily_dashboard,
    daily_summary,
    entry_eval,
    gate_line,
    spread_label,
    trade_closed,
    trade_opened,
    warmup_line,
)
from engine.strategy.regime import classify
from tests.engine.strategy.test_regime import make_state

P = CheckStatus.PASS

SEED_ENTRY_SIGNAL = """\
[ENTRY EVAL] 2026-02-17 | SPX
  Regime: Bullish Calm (PASS)
  IV Rank: 62.3% (PASS, threshold: 50%)
  VIX Term Structure: 0.97 contango ratio (PASS, threshold: <1.05)
  Trend: SPX 5,842 > 200 EMA 5,650 (PASS)
  BB Touch: Lower BB 5,780, low 5,765 on 2026-02-14 (PASS, within 5-bar lookback)
  Mean Reversion: Close 5,810 > Lower BB 5,780 (PASS)
  Price Action: +0.4% today, 1 consecutive up-close (PASS, min: 1)
  RSI: 38.2, prior 35.1 (PASS, >30 and rising)
  Capacity: 4/8 open positions (PASS)
  Spacing: 5 business days since last entry (PASS, min: 3)
  >>> SIGNAL: ENTRY TRIGGERED"""

SEED_ENTRY_NO_TRADE = """\
[ENTRY EVAL] 2026-02-18 | SPX
  Regime: Elevated Vol (PASS)
  IV Rank: 44.2% (FAIL, threshold: 50%)
  >>> NO TRADE: IV Rank below threshold (44.2% < 50%)
  [Remaining gates not evaluated — first failure stops chain]"""

SEED_TRADE_OPENED = """\
[TRADE OPENED] 2026-02-17 | SPX Put Credit Spread
  Short Put: SPX 5700P @ $12.40 (delta: -0.157)
  Long Put: SPX 5650P @ $9.80
  Net Credit: $2.60 ($260 per contract)
  Contracts: 2
  Spread Width: 50 points ($5,000 per contract)
  Max Loss: $4,740 per contract ($9,480 total)
  Max Profit: $260 per contract ($520 total)
  Risk/Reward: 18.2:1 max loss to max profit (mitigated by high win rate)
  DTE: 44
  Expiration: 2026-04-02
  Profit Target: Close at $1.30 (50% of $2.60 credit)
  Stop Loss: Close at $7.80 (200% of $2.60 credit)
  Time Stop: 2026-03-12 (21 DTE)
  Portfolio Risk: $9,480 / $500,000 = 1.9% of equity
  Total Exposure: 6.2% of equity (4 positions open)"""

SEED_TRADE_CLOSED = """\
[TRADE CLOSED] 2026-03-03 | SPX Put Credit Spread
  Reason: PROFIT TARGET (50%)
  Entry Credit: $2.60
  Exit Debit: $1.28
  P/L: +$1.32 per contract (+$264 total, 2 contracts)
  Return on Risk: +2.8% ($264 / $9,480)
  Days Held: 14
  DTE at Close: 30
  Win/Loss: WIN
  Running Stats: 7W / 2L (77.8% win rate), Profit Factor: 2.34"""

SEED_DAILY_SUMMARY = """\
[DAILY SUMMARY] 2026-02-17 | NO TRADES ELIGIBLE
  SPX: BLOCKED — Bear Trend regime (SPX below 200 EMA)
  Open Positions: 3 (all within risk limits)
  Aggregate Delta: -0.32
  Aggregate Theta: +$145/day
  Portfolio Heat: 8.4% of equity at risk
  Days Since Last Entry: 12
  Note: Market in sustained downtrend. All entry signals suppressed."""

SEED_DASHBOARD = """\
[DAILY DASHBOARD] 2026-02-17
  Regime: Bullish Calm | VIX: 16.2 | IV Rank: 58%
  Open Positions: 5 | Aggregate P/L: +$1,240
  Aggregate Delta: -0.28 | Aggregate Theta: +$185/day
  Portfolio Heat: 9.8% of equity
  Nearest Expiry: 2026-03-07 (18 DTE) — ALERT: approaching time stop
  Circuit Breaker: OFF (last 3 trades: W, W, L)
  Trades Today: 1 opened (SPX 5700/5650 PCS)"""


def _gate(name: str, detail: str, threshold: str, status: CheckStatus = P) -> GateResult:
    return GateResult(name, status, None, threshold, detail)


def seed_signal_gates() -> list[GateResult]:
    """Return 002 §9.1's passing evaluation as gate results (its numbers, hand-made)."""
    return [
        _gate("Regime", "Bullish Calm", "not Crisis or Bear Trend"),
        _gate("IV Rank", "62.3%", "threshold: 50%"),
        _gate("VIX Term Structure", "0.97 contango ratio", "threshold: <1.05"),
        _gate("Trend", "SPX 5,842 > 200 EMA 5,650", "close > 200 EMA"),
        _gate("BB Touch", "Lower BB 5,780, low 5,765 on 2026-02-14", "within 5-bar lookback"),
        _gate("Mean Reversion", "Close 5,810 > Lower BB 5,780", "close > lower BB"),
        _gate("Price Action", "+0.4% today, 1 consecutive up-close", "min: 1"),
        _gate("RSI", "38.2, prior 35.1", ">30 and rising"),
        _gate("MACD", "disabled (macd_gate_enabled = false)", "histogram rising", CheckStatus.DISABLED),
        _gate("Capacity", "4/8 open positions", "< 8 total, < 3 SPX"),
        _gate("Spacing", "5 business days since last entry", "min: 3"),
    ]


def test_entry_eval_signal_matches_the_seed() -> None:
    assert entry_eval(date(2026, 2, 17), "SPX", seed_signal_gates(), None) == SEED_ENTRY_SIGNAL


def test_entry_eval_first_failure_stops_the_chain_as_in_the_seed() -> None:
    gates = [
        _gate("Regime", "Elevated Vol", "not Crisis or Bear Trend"),
        _gate("IV Rank", "44.2%", "threshold: 50%", CheckStatus.FAIL),
        _gate("VIX Term Structure", "0.97 contango ratio", "threshold: <1.05"),
    ]
    reason = "IV Rank below threshold (44.2% < 50%)"
    assert entry_eval(date(2026, 2, 18), "SPX", gates, reason) == SEED_ENTRY_NO_TRADE


def test_entry_eval_no_data_stops_the_chain_too() -> None:
    gates = [_gate("Regime", "Bullish Calm", ""), _gate("IV Rank", "no data (VIX missing)", "threshold: 50%",
                                                         CheckStatus.NO_DATA)]
    text = entry_eval(date(2026, 2, 18), "SPX", gates, "IV Rank: no data (VIX missing)")
    assert text.splitlines()[2:] == [
        "  IV Rank: no data (VIX missing) (NO DATA, threshold: 50%)",
        "  >>> NO TRADE: IV Rank: no data (VIX missing)",
        "  [Remaining gates not evaluated — first failure stops chain]",
    ]


def test_entry_eval_without_a_blocking_gate_ends_with_the_reason() -> None:
    text = entry_eval(date(2026, 2, 17), "SPX", seed_signal_gates(), "No suitable strikes for entry: x")
    assert text.splitlines()[-1] == "  >>> NO TRADE: No suitable strikes for entry: x"


def test_real_gates_write_the_seeds_wording() -> None:
    params = UnderlyingParams()
    state = make_state(iv_rank=62.3, term_ratio=0.97, close=5_842.0, trend_ema=5_650.0, rsi=38.2,
                       rsi_prior=35.1)
    inputs = GateInputs(state, params, classify(state, params))
    assert gate_line(iv_rank_gate(inputs).result) == "  IV Rank: 62.3% (PASS, threshold: 50%)"
    assert gate_line(term_structure_gate(inputs).result) == (
        "  VIX Term Structure: 0.97 contango ratio (PASS, threshold: <1.05)")
    assert gate_line(trend_gate(inputs).result) == "  Trend: SPX 5,842 > 200 EMA 5,650 (PASS)"
    assert gate_line(rsi_gate(inputs).result) == "  RSI: 38.2, prior 35.1 (PASS, >30 and rising)"
    failing = GateInputs(make_state(iv_rank=44.2), params, classify(state, params))
    assert gate_line(iv_rank_gate(failing).result) == "  IV Rank: 44.2% (FAIL, threshold: 50%)"
    assert iv_rank_gate(failing).reason == "IV Rank below threshold (44.2% < 50%)"


def seed_position() -> Position:
    """Return 002 §9.2's trade: SPX 5700/5650 put spread, 2 lots, $2.60 credit, expiring 2026-04-02."""
    expiry = date(2026, 4, 2)
    short = Leg(Right.PUT, 5_700.0, expiry, -1, 12.30, 12.50, 12.40, 0.2, -0.157, 0.001, -1.0, 5.0)
    long = Leg(Right.PUT, 5_650.0, expiry, 1, 9.70, 9.90, 9.80, 0.21, -0.12, 0.001, -0.8, 4.5)
    structure = Structure(StructureKind.PUT_CREDIT_SPREAD, "SPX", (short, long), 2.60, 2.40, 2.60, 47.40,
                          (5_697.40,), 0.82, 0.037, 0.0, 0.2, -0.5)
    # The seed's stop of $7.80 is hand-made here; engine.strategy.exits computes 2 x 2.60 = 5.20.
    plan = ExitPlan(1.30, 7.80, date(2026, 3, 12), date(2026, 3, 5))
    return Position("p1", "SPX", structure, 2, 2.60, date(2026, 2, 17), plan)


def test_trade_opened_matches_the_seed() -> None:
    text = trade_opened(seed_position(), ExitRules(), equity=500_000.0, exposure=31_000.0, positions_open=4)
    assert text == SEED_TRADE_OPENED


def test_trade_closed_with_running_stats_matches_the_seed() -> None:
    stats = RunningStats(wins=7, losses=2, gross_profit=2_340.0, gross_loss=1_000.0)
    text = trade_closed(seed_position(), date(2026, 3, 3), 1.28, "PROFIT TARGET (50%)", stats)
    assert text == SEED_TRADE_CLOSED


def test_running_stats_accumulate() -> None:
    stats = RunningStats()
    for pnl in (264.0, 120.0, -300.0, 0.0):
        stats = stats.add(pnl)
    assert (stats.wins, stats.losses) == (2, 2)
    assert stats.profit_factor == 384.0 / 300.0
    assert stats.describe() == "2W / 2L (50.0% win rate), Profit Factor: 1.28"
    assert math.isinf(RunningStats().add(10.0).profit_factor)
    assert "n/a (no losses)" in RunningStats().add(10.0).describe()


def test_daily_summary_matches_the_seed() -> None:
    book = BookFigures(open_positions=3, aggregate_delta=-0.32, aggregate_theta=145.0, heat_pct=8.4)
    text = daily_summary(date(2026, 2, 17), {"SPX": "Bear Trend regime (SPX below 200 EMA)"}, book, 12,
                         REGIME_NOTES[Regime.BEAR_TREND])
    assert text == SEED_DAILY_SUMMARY


def test_daily_summary_with_a_signal() -> None:
    text = daily_summary(date(2026, 2, 17), {"SPX": None}, BookFigures(), None)
    header, verdict = text.splitlines()[:2]
    assert header == "[DAILY SUMMARY] 2026-02-17 | TRADES ELIGIBLE: SPX"
    assert verdict == "  SPX: ENTRY SIGNAL"
    assert "  Days Since Last Entry: none yet" in text.splitlines()


def test_daily_dashboard_matches_the_seed() -> None:
    line = DashboardLine(Regime.BULLISH_CALM, 16.2, 58.0, nearest_expiry=date(2026, 3, 7),
                         recent_outcomes=("W", "W", "W", "L", "W", "W", "L"),
                         opened_today=(spread_label(seed_position().structure),))
    book = BookFigures(open_positions=5, aggregate_delta=-0.28, aggregate_theta=185.0, heat_pct=9.8,
                       aggregate_pnl=1_240.0)
    assert daily_dashboard(date(2026, 2, 17), line, book) == SEED_DASHBOARD


def test_daily_dashboard_when_flat() -> None:
    line = DashboardLine(None, math.nan, math.nan)
    lines = daily_dashboard(date(2026, 2, 17), line, BookFigures()).splitlines()
    assert lines[1] == "  Regime: no data | VIX: no data | IV Rank: no data"
    assert lines[5:] == ["  Nearest Expiry: none", "  Circuit Breaker: OFF (no closed trades)",
                         "  Trades Today: none"]


def test_warmup_line() -> None:
    assert warmup_line(12) == "WARMUP: indicators not ready, 12 bars remaining"
