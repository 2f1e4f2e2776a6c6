"""The summary metrics against hand-computed cases: returns, drawdown, trade stats, targets, failures."""

from __future__ import annotations

import json
import math
import statistics
from datetime import date, timedelta

import pytest

from engine.backtest.metrics import compute_summary, is_max_loss
from engine.backtest.records import DailyRecord, TradeRecord
from engine.errors import InputError

START = date(2024, 1, 2)


def trade(
    n: int,
    pnl: float | None,
    *,
    entry: date = START,
    held: int = 20,
    reason: str = "PROFIT TARGET",
    max_loss: float = 1_000.0,
    commissions: float = 5.0,
) -> TradeRecord:
    """Return trade number `n`, closed after `held` days with `pnl` (open when pnl is None)."""
    is_open = pnl is None
    return TradeRecord(
        position_id=f"P{n:04d}",
        underlying="SPX",
        strategy="optimus",
        structure="Put Credit Spread",
        entry_date=entry,
        exit_date=None if is_open else entry + timedelta(days=held),
        dte_at_entry=45,
        strikes="4800/4750",
        legs="SELL 1 SPX 2024-02-16 4800P | BUY 1 SPX 2024-02-16 4750P",
        contracts=1,
        credit=2.5,
        exit_price=None if is_open else 1.25,
        max_loss=max_loss,
        pnl=pnl,
        commissions=commissions,
        exit_reason="" if is_open else reason,
        status="open" if is_open else "closed",
    )


def sequence(pnls: list[float], reasons: list[str] | None = None) -> list[TradeRecord]:
    """Return trades closing one day apart, in order, with the given P&Ls (and exit reasons)."""
    reasons = reasons or ["PROFIT TARGET" if p > 0 else "TIME STOP" for p in pnls]
    return [
        trade(i, p, entry=START + timedelta(days=i), reason=r)
        for i, (p, r) in enumerate(zip(pnls, reasons, strict=True))
    ]


def day(on: date, equity: float, realised_pnl: float = 0.0) -> DailyRecord:
    """Return a session close with the given equity (cash = equity, nothing open)."""
    return DailyRecord(on, "optimus", equity, equity, 0.0, realised_pnl, 0.0, 0.0, 0, 0, 0)


def days(values: list[float], first: date = START) -> list[DailyRecord]:
    """Return consecutive calendar-day sessions with the given equities."""
    return [day(first + timedelta(days=i), v) for i, v in enumerate(values)]


def failure(summary: dict, prefix: str) -> dict:
    return next(f for f in summary["failure_conditions"] if f["name"].startswith(prefix))


# ------------------------------------------------------------------------------------ returns, risk


THREE = [day(date(2024, 1, 30), 110.0), day(date(2024, 1, 31), 99.0), day(date(2024, 2, 1), 121.0)]


def test_three_day_series_returns_and_cagr() -> None:
    s = compute_summary([], THREE, 100.0)
    assert s["period"] == {
        "first_day": "2024-01-30",
        "last_day": "2024-02-01",
        "sessions": 3,
        "months": 2,
        "years": round(3 / 252, 6),
    }
    assert s["ending_equity"] == 121.0
    assert s["total_return_pct"] == pytest.approx(21.0)
    assert s["cagr_pct"] == pytest.approx((1.21**84 - 1) * 100, rel=1e-12)  # years = 3/252


def test_three_day_series_sharpe_and_sortino() -> None:
    returns = [0.1, -0.1, 121 / 99 - 1]
    sharpe = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(252)
    downside = math.sqrt((0.1**2) / 3)  # only -10 % is below the 0 target, over all three days
    s = compute_summary([], THREE, 100.0)
    assert s["sharpe"] == pytest.approx(sharpe, abs=1e-6)
    assert s["sortino"] == pytest.approx(statistics.mean(returns) / downside * math.sqrt(252), abs=1e-6)


def test_three_day_series_drawdown_and_recovery() -> None:
    s = compute_summary([], THREE, 100.0)
    assert s["max_drawdown_pct"] == pytest.approx(10.0)  # 110 -> 99
    assert (s["max_drawdown_start"], s["max_drawdown_trough"]) == ("2024-01-31", "2024-01-31")
    assert s["max_drawdown_recovery"] == "2024-02-01"


def test_monthly_income_is_the_mean_of_month_over_month_changes() -> None:
    s = compute_summary([], THREE, 100.0)
    january = (99 - 100) / 100 * 100  # from the starting equity to January's last close
    february = (121 - 99) / 99 * 100
    assert s["monthly_income_pct"] == pytest.approx((january + february) / 2, abs=1e-6)


def test_drawdown_from_the_starting_equity_never_recovered() -> None:
    s = compute_summary([], days([95.0, 90.0, 92.0]), 100.0)
    assert s["max_drawdown_pct"] == pytest.approx(10.0)
    assert s["max_drawdown_start"] == START.isoformat()  # the first close already below the peak
    assert s["max_drawdown_trough"] == (START + timedelta(days=1)).isoformat()
    assert s["max_drawdown_recovery"] is None


def test_no_drawdown_has_no_dates() -> None:
    s = compute_summary([], days([101.0, 102.0]), 100.0)
    assert s["max_drawdown_pct"] == 0.0
    assert s["max_drawdown_start"] is s["max_drawdown_trough"] is s["max_drawdown_recovery"] is None


def test_undefined_ratios_are_null_not_nan() -> None:
    flat = compute_summary([], days([100.0, 100.0, 100.0]), 100.0)
    assert flat["sharpe"] is None
    assert flat["sortino"] is None
    empty = compute_summary([], [], 100.0)
    assert empty["cagr_pct"] is None
    assert empty["period"]["first_day"] is None
    assert empty["ending_equity"] == 100.0
    assert empty["win_rate_pct"] is None
    json.dumps(empty, allow_nan=False)  # no NaN or infinity anywhere


def test_starting_equity_must_be_positive() -> None:
    with pytest.raises(InputError, match="starting_equity"):
        compute_summary([], [], 0.0)


# ------------------------------------------------------------------------------------------- trades


def test_trade_statistics() -> None:
    trades = [
        trade(1, 100.0, held=10),
        trade(2, 200.0, held=20),
        trade(3, -150.0, held=30, reason="STOP LOSS"),
        trade(4, 0.0, held=40, reason="TIME STOP"),  # a scratch: neither win nor loss
        trade(5, -50.0, held=50, reason="TIME STOP"),
        trade(6, None, commissions=2.5),
    ]
    s = compute_summary(trades, days([100.0]), 100.0)
    assert (s["trade_count"], s["open_at_end"]) == (5, 1)
    assert s["win_rate_pct"] == pytest.approx(40.0)
    assert s["profit_factor"] == pytest.approx(1.5)  # 300 / 200
    assert (s["average_win"], s["average_loss"]) == (150.0, -100.0)
    assert s["average_days_held"] == pytest.approx(30.0)
    assert s["commissions_paid"] == pytest.approx(27.5)  # the open trade's commission counts
    assert s["exit_reasons"] == {"PROFIT TARGET": 2, "STOP LOSS": 1, "TIME STOP": 2}
    assert list(s["exit_reasons"]) == sorted(s["exit_reasons"])


def test_no_losses_gives_null_profit_factor_and_a_met_target() -> None:
    s = compute_summary([trade(1, 100.0), trade(2, 50.0)], days([100.0]), 100.0)
    assert s["profit_factor"] is None
    assert s["average_loss"] is None
    assert s["targets"]["Profit Factor"] == {
        "met": True,
        "rule": "at least 1.8 (or no losses)",
        "target": "1.8–2.5",
        "value": None,
    }


def test_floats_are_rounded_to_six_places() -> None:
    s = compute_summary([trade(1, 1 / 3), trade(2, -1.0)], days([100.0]), 100.0)
    assert s["average_win"] == 0.333333
    assert s["profit_factor"] == 0.333333


# ------------------------------------------------------------------------------------------ targets


def test_targets_read_ranges_as_floors_and_the_drawdown_as_a_ceiling() -> None:
    # 4 wins of 100 and 1 loss of 50 over 15..35 days: win rate 80, profit factor 8, 25 days held.
    trades = [trade(i, 100.0, held=15 + 5 * i) for i in range(4)] + [trade(9, -50.0, held=35)]
    s = compute_summary(trades, days([100.0, 70.0, 80.0]), 100.0)
    met = {name: t["met"] for name, t in s["targets"].items()}
    assert met == {
        "Avg Trade Duration": True,
        "CAGR": False,
        "Max Drawdown": False,  # 30 % > 25 %
        "Monthly Income": False,
        "Profit Factor": True,  # 8 is above 002's range: still met
        "Sharpe Ratio": False,
        "Win Rate": True,
    }
    assert s["targets"]["Win Rate"]["target"] == "75–85%"


def test_average_duration_target_is_a_band() -> None:
    long = compute_summary([trade(1, 10.0, held=31)], days([100.0]), 100.0)
    edge = compute_summary([trade(1, 10.0, held=15)], days([100.0]), 100.0)
    assert not long["targets"]["Avg Trade Duration"]["met"]
    assert edge["targets"]["Avg Trade Duration"]["met"]


# --------------------------------------------------------------------------------- failure conditions


def test_three_consecutive_stop_losses_are_flagged_on_the_third() -> None:
    trades = sequence(
        [50.0, -100.0, -100.0, -100.0, -100.0, 50.0], ["PROFIT TARGET", *["STOP LOSS"] * 4, "X"]
    )
    f = failure(compute_summary(trades, days([100.0]), 100.0), "3 consecutive")
    assert f["flagged"]
    assert f["status"] == "flagged"
    # the third and fourth stops both leave the streak at 3+: the breaker trips on each
    assert f["dates"] == [trades[3].exit_date.isoformat(), trades[4].exit_date.isoformat()]
    assert f["first_date"] == trades[3].exit_date.isoformat()


def test_a_win_breaks_the_streak_and_a_deep_loss_counts_as_a_max_loss() -> None:
    broken = sequence(
        [-100.0, -100.0, 10.0, -100.0], ["STOP LOSS", "STOP LOSS", "PROFIT TARGET", "STOP LOSS"]
    )
    assert not failure(compute_summary(broken, [], 100.0), "3 consecutive")["flagged"]
    deep = sequence([-100.0, -100.0, -600.0], ["STOP LOSS", "STOP LOSS", "TIME STOP"])
    assert is_max_loss(deep[2])  # 600 >= 50 % of the 1,000 max loss: the breaker's rule
    assert not is_max_loss(trade(1, -400.0, reason="TIME STOP"))
    assert failure(compute_summary(deep, [], 100.0), "3 consecutive")["first_date"] == "2024-01-24"


def test_win_rate_of_the_last_20_trades_below_60_is_flagged_when_it_first_drops() -> None:
    trades = sequence([100.0] * 12 + [-10.0] * 8 + [-10.0])  # 12/20 = 60 %, then 11/20 = 55 %
    f = failure(compute_summary(trades, [], 100.0), "Win rate")
    assert f["flagged"]
    assert f["dates"] == [trades[20].exit_date.isoformat()]
    at_sixty = failure(compute_summary(trades[:20], [], 100.0), "Win rate")
    assert not at_sixty["flagged"]
    assert at_sixty["status"] == "clear"


def test_rolling_windows_with_too_few_trades_are_not_evaluated() -> None:
    f = failure(compute_summary(sequence([-10.0] * 19), [], 100.0), "Win rate")
    assert (f["flagged"], f["status"]) == (False, "too few trades")
    assert "fewer than the window of 20" in f["detail"]


def test_profit_factor_of_the_last_30_trades_below_1_2_is_flagged() -> None:
    pnls = [100.0] * 10 + [-100.0] * 9 + [0.0] * 11  # 1,000 / 900 = 1.11 over the first 30
    trades = sequence([*pnls, 500.0])  # the 31st window: 1,500 / 900: clear again
    f = failure(compute_summary(trades, [], 100.0), "Profit factor")
    assert f["dates"] == [trades[29].exit_date.isoformat()]
    no_losses = failure(compute_summary(sequence([100.0] * 30), [], 100.0), "Profit factor")
    assert not no_losses["flagged"]


def test_same_day_closes_are_judged_together() -> None:
    # 12/20 wins; close 21 (a loss) drops a win: 55 %; close 22 (a win) drops a loss: 60 % again.
    trades = sequence([100.0] + [-10.0] * 8 + [100.0] * 11 + [-10.0, 100.0])
    assert failure(compute_summary(trades, [], 100.0), "Win rate")["flagged"]  # a day at 55 %
    trades[21] = trade(21, 100.0, entry=trades[20].entry_date)  # now both close on the same day
    assert not failure(compute_summary(trades, [], 100.0), "Win rate")["flagged"]


def test_drawdown_beyond_25_is_flagged_when_it_begins() -> None:
    s = compute_summary([], days([90.0, 70.0, 100.0, 74.0]), 100.0)
    f = failure(s, "Max drawdown")
    assert f["dates"] == [(START + timedelta(days=1)).isoformat(), (START + timedelta(days=3)).isoformat()]
    assert "deepest 30.00%" in f["detail"]


def test_theta_capture_is_reported_as_not_measured() -> None:
    f = failure(compute_summary([], [], 100.0), "Consistent negative theta")
    assert (f["flagged"], f["status"]) == (False, "not measured")
    assert f["detail"].startswith("not measured: needs daily theta attribution")


def test_failure_conditions_are_the_five_of_002_in_order() -> None:
    names = [f["name"] for f in compute_summary([], [], 100.0)["failure_conditions"]]
    assert names == [
        "Win rate drops below 60% over 20+ trades",
        "3 consecutive max losses",
        "Max drawdown exceeds 25%",
        "Profit factor below 1.2 over rolling 30-trade window",
        "Consistent negative theta capture",
    ]
