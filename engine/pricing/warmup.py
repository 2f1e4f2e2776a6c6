"""Compile the pricing kernels into numba's on-disk cache, so the app starts quickly.

Run ``python -m engine.pricing.warmup`` once after installing or upgrading (``make warm`` does);
later processes load the machine code from ``engine/pricing/__pycache__`` (or NUMBA_CACHE_DIR)
in milliseconds. The GUI may also call ``warm_kernels()`` in a worker thread after its first
paint: importing ``engine.pricing`` compiles nothing. ``--clear`` rebuilds from scratch (stale
caches are also dropped automatically, see ``engine.pricing.cache``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from engine.pricing import iv, kernels, probability
from engine.pricing.cache import cache_dir, clear_cache


def _compile_all() -> None:
    """Call every kernel once with the argument types the app uses (float64, int8 rights)."""
    n = 4
    ones = np.ones(n)
    price = np.full(n, 0.1)
    rights = np.array([1, 0, 1, 0], dtype=np.int8)
    outs = kernels.empty_greeks(n)
    kernels.bsm_greeks_into(rights, ones, ones, ones, ones * 0.01, ones * 0.0, ones * 0.2, outs)
    kernels.bsm_price_into(rights, ones, ones, ones, ones * 0.01, ones * 0.0, ones * 0.2, price)
    kernels.black76_greeks_into(rights, ones, ones, ones, ones * 0.01, ones * 0.2, outs)
    kernels.black76_price_into(rights, ones, ones, ones, ones * 0.01, ones * 0.2, price)
    kernels.count_invalid(ones, ones, ones, ones, ones, ones)
    vol = np.empty(n)
    reason = np.empty(n, dtype=np.int8)
    iv.implied_vol_into(price, rights, ones, ones, ones, ones * 0.01, ones * 0.0, vol, reason)
    iv.black76_implied_vol_into(price, rights, ones, ones, ones, ones * 0.01, vol, reason)
    iv.price_bounds(rights, ones, ones, ones, ones * 0.01, ones * 0.0)
    probability.prob_touch(ones, ones * 1.1, ones, ones * 0.2)
    probability.prob_below(ones, ones * 1.1, ones, ones * 0.2)


def warm_kernels() -> float:
    """Compile (or load from cache) every pricing kernel; return the seconds it took."""
    start = time.perf_counter()
    _compile_all()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Warm the kernel cache and print how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clear", action="store_true", help="delete the cache first")
    args = parser.parse_args(argv)
    if args.clear:
        print(f"removed {clear_cache()} cached files")
    seconds = warm_kernels()
    print(f"pricing kernels ready in {seconds:.2f} s (cache: {cache_dir()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
