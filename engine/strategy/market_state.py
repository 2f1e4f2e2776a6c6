"""What the strategy knows about SPX at one session's close, computed future-blind.

`MarketStates` runs every indicator once over the whole history (vectorised numba kernels), then
`MarketStates.on(day)` reads one row into a frozen `MarketState`. That is safe for replays because
every indicator here is causal: its value on row i uses rows <= i only, so the state of day D is
the same whether the history ends at D or years later (tests/engine/strategy check it against
``history.up_to(D)``). Nothing is forward-filled; a missing input is NaN and the checks that read
it report NO DATA.

Inputs (002 §3, §4, §11.10; SPEC "Indicators"):
- SPX close/high/low, EMA(trend_ema_period), Bollinger(bb_period, bb_std_dev) on closes,
  RSI(rsi_period) today and yesterday, MACD(12, 26, 9) histogram today and yesterday.
- VIX stands in for SPX 30-day IV: IV rank is the 52-week (252-observation) percentile of VIX;
  IV/HV is VIX over 20-day close-to-close HV; the term ratio is VIX / VIX3M (VIX3M from 2009-09).
- 5-day smoothed total put/call ratio (bundled from 2019-10).
- Breadth (% of S&P 500 above its 50-day MA) and high-yield spread widening are not bundled; a
  caller may pass them as date-indexed series, otherwise they are NaN (NO DATA).
- Warm-up (002 §11.10): bars until the trend EMA, IV rank (252 observations), Bollinger and RSI
  all have values. The first 252 sessions are blocked; the count falls by one each session.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from engine import indicators
from engine.config import UnderlyingParams
from engine.data.history import MarketHistory

FloatArray = npt.NDArray[np.float64]

IV_RANK_LOOKBACK = 252  # 52 weeks of sessions (002 §3.1)
HV_PERIOD = 20  # HV20: a month of sessions, the horizon VIX prices
MACD_PERIODS = (12, 26, 9)
PUT_CALL_SMOOTHING = 5  # 002 §3.2: 5-day smoothed put/call
PUT_CALL_MIN_OBSERVATIONS = 3  # a holiday-thinned week still smooths; fewer is too noisy
HY_CHANGE_SESSIONS = 20  # widening is measured over about a month


@dataclass(frozen=True, slots=True)
class BandBar:
    """One bar of the Bollinger-touch lookback: the session, its low and close, its bands."""

    day: date
    low: float
    close: float
    lower_band: float
    middle_band: float

    @property
    def touched(self) -> bool:
        """Return True when the low reached the lower band (a close below it implies this)."""
        return self.low <= self.lower_band

    def depth_std(self, num_std: float) -> float:
        """Return how many band standard deviations the low went below the middle band."""
        sigma = (self.middle_band - self.lower_band) / num_std
        return (self.middle_band - self.low) / sigma if sigma > 0 else math.nan


@dataclass(frozen=True, slots=True)
class MarketState:
    """One underlying at one session's close. Missing values are NaN, never carried forward."""

    underlying: str
    day: date
    bars_available: int
    warmup_bars_remaining: int
    close: float
    high: float
    low: float
    prior_close: float
    trend_ema: float
    trend_ema_period: int
    bb_upper: float
    bb_middle: float
    bb_lower: float
    rsi: float
    rsi_prior: float
    macd_hist: float
    macd_hist_prior: float
    vix: float
    vix3m: float
    term_ratio: float
    iv_rank: float
    hv: float
    iv_hv: float
    put_call_5d: float
    breadth_pct: float
    hy_spread_change_bp: float
    up_close_streak: int
    touch_window: tuple[BandBar, ...]  # the last bb_touch_lookback bars, oldest first, today last

    @property
    def change_pct(self) -> float:
        """Return today's close-to-close change in percent."""
        return 100.0 * (self.close / self.prior_close - 1.0)

    def deepest_touch_std(self, num_std: float) -> float:
        """Return the deepest lookback touch in band standard deviations below the middle (NaN: none)."""
        depths = [bar.depth_std(num_std) for bar in self.touch_window if bar.touched]
        return max(depths) if depths else math.nan

    @property
    def warming_up(self) -> bool:
        """Return True while any indicator the strategy needs is still seeding."""
        return self.warmup_bars_remaining > 0


def _causal_mean(values: FloatArray, window: int, min_count: int) -> FloatArray:
    """Return the mean of the last `window` rows' known values (NaN with fewer than min_count)."""
    known = np.isfinite(values)
    sums = np.cumsum(np.where(known, values, 0.0))
    counts = np.cumsum(known)
    sums[window:] = sums[window:] - sums[:-window].copy()
    counts[window:] = counts[window:] - counts[:-window].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: FloatArray = sums / counts
    mean[(counts < min_count) | ~known] = np.nan
    return mean


def _up_close_streaks(close: FloatArray) -> npt.NDArray[np.int64]:
    """Return, for each row, how many consecutive closes up to it were above their prior close."""
    up = np.zeros(len(close), dtype=np.int64)
    up[1:] = close[1:] > close[:-1]
    count = np.cumsum(up)
    last_reset = np.maximum.accumulate(np.where(up == 0, count, 0))
    return count - last_reset


def _lagged(values: FloatArray) -> FloatArray:
    """Return yesterday's value on each row (NaN on the first)."""
    out = np.full(len(values), np.nan)
    out[1:] = values[:-1]
    return out


def _aligned_input(history: MarketHistory, series: Mapping[date, float] | None) -> FloatArray:
    """Return a user-supplied per-session input on the history's rows (NaN where not given)."""
    out = np.full(len(history.frame), np.nan)
    if series is not None:
        for row, day in enumerate(history.dates):
            value = series.get(day)
            if value is not None:
                out[row] = float(value)
    return out


def _change_over(values: FloatArray, sessions: int) -> FloatArray:
    out = np.full(len(values), np.nan)
    out[sessions:] = values[sessions:] - values[:-sessions]
    return out


def warmup_bars(params: UnderlyingParams) -> tuple[int, ...]:
    """Return the warm-ups of 002 §11.10: trend EMA, IV rank, Bollinger, RSI (and its prior)."""
    return (
        indicators.ema_warmup(params.trend_ema_period),
        indicators.iv_rank_warmup(IV_RANK_LOOKBACK),
        indicators.bollinger_warmup(params.bb_period),
        indicators.rsi_warmup(params.rsi_period) + 1,  # "rising" needs yesterday's RSI too
    )


class MarketStates:
    """Every session's MarketState of one history, indicators computed once (vectorised)."""

    def __init__(
        self,
        history: MarketHistory,
        params: UnderlyingParams,
        underlying: str = "SPX",
        breadth_pct: Mapping[date, float] | None = None,
        hy_spread_bp: Mapping[date, float] | None = None,
    ) -> None:
        self.history = history
        self.params = params
        self.underlying = underlying
        self._dates = history.dates
        self._columns = self._compute(history, params)
        self._columns["breadth"] = _aligned_input(history, breadth_pct)
        hy_level = _aligned_input(history, hy_spread_bp)
        self._columns["hy_change"] = _change_over(hy_level, HY_CHANGE_SESSIONS)
        self._streak = _up_close_streaks(self._columns["close"])
        self._warmups = warmup_bars(params)

    @staticmethod
    def _compute(history: MarketHistory, params: UnderlyingParams) -> dict[str, FloatArray]:
        close, vix = history.column("spx_close"), history.column("vix_close")
        upper, middle, lower = indicators.bollinger(close, params.bb_period, params.bb_std_dev)
        rsi = indicators.rsi(close, params.rsi_period)
        _, _, hist = indicators.macd(close, *MACD_PERIODS)
        hv = indicators.historical_volatility(close, HV_PERIOD)
        vix3m = history.column("vix3m_close")
        put_call = history.column("pc_total_put_call_ratio")
        return {
            "close": close, "high": history.column("spx_high"), "low": history.column("spx_low"),
            "prior_close": _lagged(close), "ema": indicators.ema(close, params.trend_ema_period),
            "bb_upper": upper, "bb_middle": middle, "bb_lower": lower,
            "rsi": rsi, "rsi_prior": _lagged(rsi), "hist": hist, "hist_prior": _lagged(hist),
            "vix": vix, "vix3m": vix3m, "term": indicators.term_structure_ratio(vix, vix3m),
            "iv_rank": indicators.iv_rank(vix, IV_RANK_LOOKBACK), "hv": hv,
            "iv_hv": indicators.iv_hv_ratio(vix, hv),
            "put_call": _causal_mean(put_call, PUT_CALL_SMOOTHING, PUT_CALL_MIN_OBSERVATIONS),
        }

    def __len__(self) -> int:
        return len(self._dates)

    @property
    def dates(self) -> list[date]:
        """Return every session of the history."""
        return self._dates

    def on(self, day: date) -> MarketState:
        """Return the state at `day`'s close; raise InputError if `day` is not a session."""
        return self.at_row(self.history.row_of(day))

    def at_row(self, row: int) -> MarketState:
        """Return the state of the history's row `row` (0 = first session)."""
        c = self._columns

        def value(name: str) -> float:
            return float(c[name][row])

        bars = row + 1
        return MarketState(
            self.underlying, self._dates[row], bars,
            indicators.warmup_bars_remaining(bars, *self._warmups),
            value("close"), value("high"), value("low"), value("prior_close"),
            value("ema"), self.params.trend_ema_period,
            value("bb_upper"), value("bb_middle"), value("bb_lower"),
            value("rsi"), value("rsi_prior"), value("hist"), value("hist_prior"),
            value("vix"), value("vix3m"), value("term"), value("iv_rank"), value("hv"), value("iv_hv"),
            value("put_call"), value("breadth"), value("hy_change"),
            int(self._streak[row]), self._touch_window(row),
        )

    def _touch_window(self, row: int) -> tuple[BandBar, ...]:
        first = max(0, row - self.params.bb_touch_lookback + 1)
        c = self._columns
        return tuple(
            BandBar(self._dates[i], float(c["low"][i]), float(c["close"][i]), float(c["bb_lower"][i]),
                    float(c["bb_middle"][i]))
            for i in range(first, row + 1)
        )


def is_missing(value: float | None) -> bool:
    """Return True for an input the strategy does not have (None or NaN)."""
    return value is None or math.isnan(value)
