"""Sample desk values for the panel tests: a put credit spread candidate, a position, orders.

Test data with realistic SPX numbers (a 2015 put spread 50 wide), not a pricing model.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from engine.model import (
    CandidateStatus,
    CheckStatus,
    ComboLeg,
    ExitPlan,
    Fill,
    GateResult,
    Leg,
    Order,
    OrderIntent,
    OrderStatus,
    Position,
    Regime,
    Right,
    RiskVerdict,
    Structure,
    StructureKind,
    TradeCandidate,
)
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
    OrderTicket,
    OrderView,
    PositionView,
    RegimeView,
    ReplayView,
    RiskGraph,
    RollOptions,
    TradeMark,
)
from tests.widgets.qt_support import NEW_YORK, expiration

SIGNAL_DAY = date(2015, 1, 15)
EXPIRY = date(2015, 3, 20)
SPOT = 1992.67


def at(day: date, hour: int = 16, minute: int = 0) -> datetime:
    """Return a New York moment of a day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


def put_spread(short_strike: float = 1850.0, width: float = 50.0, expiry: date = EXPIRY) -> Structure:
    """Return a put credit spread: sell `short_strike`, buy `short_strike - width`."""
    short = Leg(Right.PUT, short_strike, expiry, -1, 21.4, 22.6, 22.0, 0.21, -0.16, 0.0011, -0.41, 2.3,
                "SPX")
    long = Leg(Right.PUT, short_strike - width, expiry, 1, 14.9, 15.9, 15.4, 0.23, -0.11, 0.0008, -0.33,
               1.9, "SPX")
    return Structure(StructureKind.PUT_CREDIT_SPREAD, "SPX", (short, long), 6.60, 5.50, 6.60, width - 6.60,
                     (short_strike - 6.60,), 0.81, 0.05, -0.0003, 0.08, -0.40)


def exit_plan() -> ExitPlan:
    """Return the exit levels of a 6.60 credit opened on SIGNAL_DAY."""
    return ExitPlan(3.30, 13.20, date(2015, 2, 27), date(2015, 2, 20))


def gates(passing: bool = True) -> tuple[GateResult, ...]:
    """Return the ten gates of an evaluation (all passing, or the IV rank failing)."""
    status = CheckStatus.PASS if passing else CheckStatus.FAIL
    return (
        GateResult("Regime", CheckStatus.PASS, "Elevated Vol", "not Crisis/Bear Trend", "entries allowed"),
        GateResult("IV Rank", status, 34.2, ">= 30", "VIX percentile over 252 bars"),
        GateResult("Term Structure", CheckStatus.PASS, 0.91, "< 1.00", "VIX / VIX3M"),
        GateResult("Trend", CheckStatus.PASS, 2021.3, "close > EMA 200 (1968.4)", "above"),
        GateResult("Oversold", CheckStatus.PASS, "2 bars ago", "BB touch within 3 bars", ""),
        GateResult("Mean Reversion", CheckStatus.PASS, 1992.67, "close > previous close", ""),
        GateResult("RSI", CheckStatus.PASS, 41.3, "30-55", ""),
        GateResult("MACD", CheckStatus.DISABLED, None, "optional", "disabled"),
        GateResult("Capacity", CheckStatus.PASS, 0, "< 3 open", ""),
        GateResult("Spacing", CheckStatus.NO_DATA, None, ">= 5 sessions", "no previous entry"),
    )


def candidate(status: CandidateStatus = CandidateStatus.NEW, contracts: int = 2,
              candidate_id: str = "C-SPX-2015-01-15") -> TradeCandidate:
    """Return the strategy's candidate of SIGNAL_DAY."""
    return TradeCandidate(candidate_id, "SPX", SIGNAL_DAY, at(SIGNAL_DAY), put_spread(),
                          expiration(EXPIRY), contracts, 1.1, exit_plan(), status, "waiting for the trader")


def candidate_view(status: CandidateStatus = CandidateStatus.NEW, contracts: int = 2) -> CandidateView:
    """Return a Candidates-panel row."""
    structure = put_spread()
    return CandidateView(candidate(status, contracts), structure.max_loss * 100 * contracts,
                         structure.credit_mid / structure.max_loss, gates(), Regime.ELEVATED_VOL.value,
                         "approved: every limit within bounds", True)


def position(position_id: str = "P-SPX-2015-01-15", contracts: int = 2) -> Position:
    """Return the position a filled candidate opened."""
    return Position(position_id, "SPX", put_spread(), contracts, 6.25, date(2015, 1, 16), exit_plan())


def position_view(exit_mode: str = "auto", exit_signal: str = "", pnl: float = 310.0) -> PositionView:
    """Return a Positions-panel row, marked at a 4.70 debit."""
    held = position()
    return PositionView(held, "manual" if exit_mode == "manual" else "auto", 4.70, 5.30, pnl,
                        100.0 * pnl / (held.entry_credit * 100 * held.contracts), 48,
                        GreekFigures(10.0, -0.06, 16.0, -80.0), SPOT, 1850.0, SPOT - 1850.0, exit_signal)


def order(order_id: str = "O-C-SPX-2015-01-15", intent: OrderIntent = OrderIntent.OPEN) -> Order:
    """Return the combo order that opens the sample candidate."""
    legs = (ComboLeg(Right.PUT, 1850.0, EXPIRY, -1, "SPX"), ComboLeg(Right.PUT, 1800.0, EXPIRY, 1, "SPX"))
    day = SIGNAL_DAY + timedelta(days=1)
    return Order(order_id, "SPX", intent, legs, 2, 6.00, at(day, 10, 30), at(day, 11, 0),
                 "P-SPX-2015-01-15")


def order_view(status: OrderStatus = OrderStatus.FILLED) -> OrderView:
    """Return an Orders-panel row: created, working, then `status` (with a fill when filled)."""
    placed = order()
    events = [OrderEvent(placed.created_at, OrderStatus.CREATED, "entry: approved"),
              OrderEvent(placed.created_at, OrderStatus.WORKING, "accepted")]
    fills: tuple[Fill, ...] = ()
    if status is not OrderStatus.WORKING:
        events.append(OrderEvent(placed.created_at, status, f"{status.value}"))
    if status is OrderStatus.FILLED:
        fills = (Fill(f"{placed.order_id}-F1", placed.order_id, placed.created_at, 2, 6.25, (22.3, 16.05),
                      5.16),)
    return OrderView(placed, status, "entry: approved by the trader", tuple(events), fills)


def greeks_view(delta: float = 10.0) -> GreeksView:
    """Return the Portfolio Greeks panel's figures for one open spread."""
    figures = GreekFigures(delta, -0.06, 16.0, -80.0)
    limits = (LimitGauge("delta", delta, 2500.0, "$/pt"), LimitGauge("gamma", -0.06, 50.0, "$/pt²"),
              LimitGauge("vega", -80.0, 5000.0, "$/vol pt"), LimitGauge("heat", 1.9, 6.0, "%"))
    return GreeksView(figures, delta, 1.9, (("SPX", figures),), limits)


def regime_view() -> RegimeView:
    """Return the Regime and gates panel's content of SIGNAL_DAY."""
    inputs = (("VIX", "20.95"), ("VIX / VIX3M", "0.91"), ("trend", "close above EMA 200"),
              ("IV rank", "34.2"), ("breadth", "no data"))
    return RegimeView(SIGNAL_DAY, Regime.ELEVATED_VOL, inputs, gates()[:3], gates(), 0, True, "")


def breaker_view(state: str = "armed") -> BreakerView:
    """Return the Circuit breaker panel's content."""
    text = {"armed": "armed (0 consecutive max losses)",
            "tripped": "tripped until 2015-02-06 after 3 consecutive max losses",
            "halted": "halted by trader since 2015-01-15: news"}[state]
    return BreakerView(state, text, 0 if state != "tripped" else 3, 3, "W, W, L",  # type: ignore[arg-type]
                       date(2015, 2, 6) if state == "tripped" else None, -420.0, 10000.0, 850.0, 25000.0,
                       1.2, 1.0)


def log_lines() -> tuple[LogLine, ...]:
    """Return a few structured log entries of different kinds."""
    return (
        LogLine(at(SIGNAL_DAY), "ENTRY EVAL", "[ENTRY EVAL] 2015-01-15 SPX\n  Regime: PASS"),
        LogLine(at(SIGNAL_DAY + timedelta(days=1), 10, 30), "TRADE OPENED",
                "[TRADE OPENED] 2015-01-16 SPX Put Credit Spread 1850/1800"),
        LogLine(at(SIGNAL_DAY + timedelta(days=1)), "DAILY SUMMARY", "[DAILY SUMMARY] 2015-01-16"),
        LogLine(at(SIGNAL_DAY + timedelta(days=8)), "TRADE CLOSED",
                "[TRADE CLOSED] 2015-01-23 SPX PROFIT TARGET P&L +$610.00"),
        LogLine(at(SIGNAL_DAY + timedelta(days=9)), "RISK VETO", "[RISK VETO] C-SPX-2015-01-26 heat"),
    )


def equity_curve(days: int = 60) -> EquityCurve:
    """Return an equity curve of `days` closes from 2015-01-02 with one dip."""
    first = at(date(2015, 1, 2)).timestamp()
    times = first + 86400.0 * np.arange(days, dtype=np.float64)
    equity = 500_000.0 + 40.0 * np.arange(days) - 3000.0 * np.exp(-((np.arange(days) - 30) / 4.0) ** 2)
    peak = np.maximum.accumulate(equity)
    return EquityCurve(times, equity, 100.0 * (equity - peak) / peak, 500_000.0)


def risk_graph() -> RiskGraph:
    """Return the risk graph of the sample spread (payoff piecewise linear, smooth P&L curves)."""
    prices = np.linspace(1700.0, 2100.0, 201)
    credit, short, long = 6.60, 1850.0, 1800.0
    payoff = 100 * 2 * (credit - np.clip(short - prices, 0.0, short - long))
    smooth = 100 * 2 * (credit - (short - long) / (1 + np.exp((prices - 1830.0) / 25.0)))
    return RiskGraph("P-SPX-2015-01-15 Put Credit Spread 1850/1800", prices, payoff, smooth - 500.0,
                     smooth - 200.0, SIGNAL_DAY, date(2015, 2, 20), SPOT, (1843.40,), (1850.0,))


def ticket(vetoed: bool = False) -> OrderTicket:
    """Return the confirmation of opening the sample candidate (approved, or vetoed on heat)."""
    verdict = (RiskVerdict(False, "portfolio heat", 6.4, 6.0, "heat 6.40 % would pass 6.00 %") if vetoed
               else RiskVerdict(True, detail="every limit within bounds"))
    placed = order()
    return OrderTicket("open", "C-SPX-2015-01-15", "SPX", placed.legs, 2, 5.50, 6.60, 5.50, 8680.0, 5.16,
                       verdict, "in the 2015-01-16 entry window (10:30 ET), re-checked on prices then")


def roll_options() -> RollOptions:
    """Return what the roll dialog offers for the sample position."""
    later = (expiration(date(2015, 4, 17)), expiration(date(2015, 5, 15)))
    strikes = tuple(float(s) for s in np.arange(1700.0, 2000.0, 25.0))
    return RollOptions("P-SPX-2015-01-15", EXPIRY, 1850.0, 50.0, later, date(2015, 4, 17), strikes)


def desk_view(playing: bool = False, with_position: bool = True) -> DeskView:
    """Return a whole desk at SIGNAL_DAY's close: one new candidate, one position, two orders."""
    curve = equity_curve()
    marks = (TradeMark(SIGNAL_DAY, SPOT, "signal", "C-SPX-2015-01-15"),
             TradeMark(date(2015, 1, 16), 2019.42, "entry", "P-SPX-2015-01-15"))
    replay = ReplayView("bundled SPX history (modelled chains)", date(2015, 1, 2), date(2015, 12, 31),
                        at(SIGNAL_DAY), playing, 3600.0, False)
    return DeskView(at(SIGNAL_DAY), "SPX", SPOT, float(curve.equity[-1]), 491_000.0, (candidate_view(),),
                    (position_view(),) if with_position else (),
                    (order_view(), order_view(OrderStatus.WORKING)),
                    greeks_view(), regime_view(), breaker_view(), log_lines(), curve, marks, replay,
                    ConnectionView("paper", "paper", True, "embedded paper broker"))

