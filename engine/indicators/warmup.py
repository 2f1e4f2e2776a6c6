"""Warm-up lengths: how many bars each indicator consumes before its first value.

A warm-up here is TA-Lib's "lookback": the number of leading NaNs in the output, so an
indicator with warm-up ``w`` has its first value on bar ``w + 1`` (index ``w``).
"""

from __future__ import annotations

from engine.errors import InputError

from ._inputs import check_period


def sma_warmup(period: int) -> int:
    """Return the bars an SMA (or Bollinger band) consumes before its first value."""
    return check_period(period, "period", "sma_warmup") - 1


def ema_warmup(period: int) -> int:
    """Return the bars an EMA consumes before its first value (its SMA seed)."""
    return check_period(period, "period", "ema_warmup") - 1


def bollinger_warmup(period: int) -> int:
    """Return the bars Bollinger bands consume before their first value."""
    return check_period(period, "period", "bollinger_warmup") - 1


def rsi_warmup(period: int) -> int:
    """Return the bars RSI consumes before its first value: `period` price changes."""
    return check_period(period, "period", "rsi_warmup")


def atr_warmup(period: int) -> int:
    """Return the bars ATR consumes before its first value: `period` true ranges."""
    return check_period(period, "period", "atr_warmup")


def adx_warmup(period: int) -> int:
    """Return the bars ADX consumes: `period` bars of DM/TR, then `period` DX values to average."""
    return 2 * check_period(period, "period", "adx_warmup") - 1


def macd_warmup(fast_period: int, slow_period: int, signal_period: int) -> int:
    """Return the bars MACD consumes: the slow EMA's seed, then the signal EMA's seed."""
    check_period(fast_period, "fast_period", "macd_warmup")
    slow = check_period(slow_period, "slow_period", "macd_warmup")
    return slow - 1 + check_period(signal_period, "signal_period", "macd_warmup") - 1


def historical_volatility_warmup(period: int) -> int:
    """Return the bars HV consumes: one close before the first log return, then `period` returns."""
    return check_period(period, "period", "historical_volatility_warmup")


def iv_rank_warmup(lookback: int) -> int:
    """Return the IV observations IV rank consumes: the `lookback` it compares against.

    Counted in observations, not calendar bars: missing (NaN) days do not count.
    """
    return check_period(lookback, "lookback", "iv_rank_warmup")


def warmup_bars_remaining(bars_available: int, *warmups: int) -> int:
    """Return how many more bars are needed before every indicator with these warm-ups is ready.

    E.g. the strategy's set (seed 002 §11.10):
    ``warmup_bars_remaining(n, ema_warmup(200), iv_rank_warmup(252), bollinger_warmup(20),
    rsi_warmup(14))`` is 0 once ``n >= 253``.
    """
    if isinstance(bars_available, bool) or not isinstance(bars_available, int) or bars_available < 0:
        raise InputError("bars_available", bars_available, "must be an integer >= 0", "warmup_bars_remaining")
    for warmup in warmups:
        if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
            raise InputError("warmups", warmup, "must be integers >= 0", "warmup_bars_remaining")
    return max(0, max(warmups, default=-1) + 1 - bars_available)
