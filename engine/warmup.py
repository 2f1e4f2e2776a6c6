"""Compile every numba kernel the terminal uses into numba's on-disk cache.

Run as ``python -m engine.warmup`` (``make demo`` does, and the GUI starts it in a subprocess
behind its first paint): compilation then happens once, off the GUI process, and every later
start loads machine code from the cache in milliseconds. NUMBA_CACHE_DIR chooses the cache.
"""

from __future__ import annotations

import time

import numpy as np


def _exercise_indicators() -> None:
    from engine import indicators

    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 400)))
    high, low = close * 1.01, close * 0.99
    indicators.sma(close, 20)
    indicators.ema(close, 200)
    indicators.bollinger(close, 20, 2.0)
    indicators.rsi(close, 14)
    indicators.macd(close, 12, 26, 9)
    indicators.atr(high, low, close, 14)
    indicators.adx(high, low, close, 14)
    indicators.historical_volatility(close, 20)
    indicators.iv_rank(close, 252)
    indicators.iv_min_max_rank(close, 252)


def warm_all() -> float:
    """Compile (or load from cache) every kernel; return the seconds it took."""
    from engine.pricing.warmup import warm_kernels

    start = time.perf_counter()
    warm_kernels()
    _exercise_indicators()
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"numba kernels ready in {warm_all():.2f} s")
