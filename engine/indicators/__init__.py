"""Technical indicators over float64 price histories, with TA-Lib's definitions.

Every indicator comes in two forms that give identical values:

- **Vectorised**: ``rsi(close, 14)`` takes a whole history (any 1-D array-like) and returns
  float64 arrays of the same length. The loops are numba kernels (``njit``, cached, GIL
  released); every indicator over ~9,200 daily SPX bars takes about 2 ms in all (warm).
- **Incremental**: a frozen, slotted dataclass state per indicator (``RsiState``...).
  ``state.update(bar) -> (new_state, value)`` is pure: it returns a new state and leaves the
  old one untouched, so a replay can keep, compare or roll back states freely.
  ``State.from_history(history, ...)`` runs the vectorised kernel once and captures its final
  state; ``State(period)`` starts empty. Both forms do the same floating-point operations in
  the same order (shared step functions, compiled for the kernels and plain for the
  states), so their values are bit-identical, not merely close.

Conventions shared by all of them:

- Leading values are NaN exactly where TA-Lib's are: the first value is at index
  ``<name>_warmup(...)`` (TA-Lib's "lookback"); see `warmup_bars_remaining`.
- Leading NaNs in the input mean "no data yet" and are skipped (TA-Lib's wrapper does the
  same). A NaN or infinity after the series has started raises `InputError` naming the field
  and index: in a recursive indicator it would silently poison every later value. IV series
  are the exception: there a NaN is a missing day and is skipped (see `iv_rank`).
- Bad parameters (period < 1, mismatched lengths, non-1-D input) raise `InputError` naming
  the field and the function.
- Deliberate differences from TA-Lib, each documented where it lives: periods of 1 are
  accepted (TA-Lib rejects some); MACD rejects fast > slow instead of swapping them;
  Bollinger's deviation is computed two-pass (more accurate than BBANDS' E[x²] − mean²).
"""

from __future__ import annotations

from .averages import BollingerState, EmaState, SmaState, bollinger, ema, sma
from .iv import (
    IvMinMaxRankState,
    IvRankState,
    iv_hv_ratio,
    iv_hv_ratio_at,
    iv_min_max_rank,
    iv_rank,
    term_structure_ratio,
    term_structure_ratio_at,
)
from .macd import MacdState, macd
from .volatility import HistoricalVolatilityState, historical_volatility
from .warmup import (
    adx_warmup,
    atr_warmup,
    bollinger_warmup,
    ema_warmup,
    historical_volatility_warmup,
    iv_rank_warmup,
    macd_warmup,
    rsi_warmup,
    sma_warmup,
    warmup_bars_remaining,
)
from .wilder import AdxState, AtrState, RsiState, adx, atr, rsi

__all__ = [
    "AdxState",
    "AtrState",
    "BollingerState",
    "EmaState",
    "HistoricalVolatilityState",
    "IvMinMaxRankState",
    "IvRankState",
    "MacdState",
    "RsiState",
    "SmaState",
    "adx",
    "adx_warmup",
    "atr",
    "atr_warmup",
    "bollinger",
    "bollinger_warmup",
    "ema",
    "ema_warmup",
    "historical_volatility",
    "historical_volatility_warmup",
    "iv_hv_ratio",
    "iv_hv_ratio_at",
    "iv_min_max_rank",
    "iv_rank",
    "iv_rank_warmup",
    "macd",
    "macd_warmup",
    "rsi",
    "rsi_warmup",
    "sma",
    "sma_warmup",
    "term_structure_ratio",
    "term_structure_ratio_at",
    "warmup_bars_remaining",
]
