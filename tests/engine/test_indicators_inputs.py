"""Bad input raises InputError naming the field and where; the warm-up helper counts bars."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine.indicators as ind
from engine.errors import InputError

CLOSE = 100.0 + np.sin(np.arange(60.0))
HIGH, LOW = CLOSE + 1.0, CLOSE - 1.0

PERIOD_CALLS: list[tuple[str, Callable[[Any], object]]] = [
    ("sma", lambda period: ind.sma(CLOSE, period)),
    ("ema", lambda period: ind.ema(CLOSE, period)),
    ("bollinger", lambda period: ind.bollinger(CLOSE, period)),
    ("rsi", lambda period: ind.rsi(CLOSE, period)),
    ("atr", lambda period: ind.atr(HIGH, LOW, CLOSE, period)),
    ("adx", lambda period: ind.adx(HIGH, LOW, CLOSE, period)),
    ("historical_volatility", lambda period: ind.historical_volatility(CLOSE, period)),
    ("SmaState", lambda period: ind.SmaState(period)),
    ("RsiState.from_history", lambda period: ind.RsiState.from_history(CLOSE, period)),
    ("AdxState", lambda period: ind.AdxState(period)),
]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "14", None])
@pytest.mark.parametrize(("where", "call"), PERIOD_CALLS, ids=[where for where, _ in PERIOD_CALLS])
def test_bad_periods_are_rejected_by_name(where: str, call: Callable[[Any], object], bad: object) -> None:
    with pytest.raises(InputError) as error:
        call(bad)
    assert (error.value.field, error.value.where) == ("period", where)


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("lookback", lambda: ind.iv_rank(CLOSE, 0)),
        ("lookback", lambda: ind.IvMinMaxRankState(-1)),
        ("fast_period", lambda: ind.macd(CLOSE, 0, 26, 9)),
        ("signal_period", lambda: ind.macd(CLOSE, 12, 26, 0)),
        ("fast_period", lambda: ind.macd(CLOSE, 27, 26, 9)),
        ("fast_period", lambda: ind.MacdState(30, 26, 9)),
        ("num_std", lambda: ind.bollinger(CLOSE, 20, -1.0)),
        ("num_std", lambda: ind.BollingerState(20, math.nan)),
        ("periods_per_year", lambda: ind.historical_volatility(CLOSE, 20, 0.0)),
        ("periods_per_year", lambda: ind.HistoricalVolatilityState(20, -252.0)),
    ],
)
def test_other_bad_parameters_are_rejected_by_name(field: str, call: Callable[[], object]) -> None:
    with pytest.raises(InputError) as error:
        call()
    assert error.value.field == field


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("low", lambda: ind.atr(HIGH, LOW[:-1], CLOSE)),
        ("close", lambda: ind.adx(HIGH, LOW, CLOSE[:10])),
        ("back", lambda: ind.term_structure_ratio(CLOSE, CLOSE[:5])),
        ("close", lambda: ind.AtrState.from_history(HIGH, LOW, CLOSE[1:])),
    ],
)
def test_mismatched_lengths_name_the_odd_series(field: str, call: Callable[[], object]) -> None:
    with pytest.raises(InputError, match="same length") as error:
        call()
    assert error.value.field == field


@pytest.mark.parametrize("shaped", [np.ones((5, 2)), np.float64(3.0), [[1.0, 2.0]]])
def test_input_must_be_one_dimensional(shaped: object) -> None:
    with pytest.raises(InputError, match="1-D") as error:
        ind.ema(shaped, 3)  # type: ignore[arg-type]
    assert (error.value.field, error.value.where) == ("close", "ema")


def test_non_numbers_are_rejected() -> None:
    with pytest.raises(InputError) as error:
        ind.sma(["a", "b"], 1)
    assert error.value.field == "close"


def test_a_gap_after_the_start_is_an_error_with_its_index() -> None:
    close = CLOSE.copy()
    close[:3] = np.nan  # leading gap: fine
    close[40] = np.nan  # gap after the start: would poison every later value
    with pytest.raises(InputError) as error:
        ind.rsi(close, 14)
    assert (error.value.field, error.value.where) == ("close", "rsi, index 40")
    high = HIGH.copy()
    high[10] = np.inf
    with pytest.raises(InputError) as error:
        ind.adx(high, LOW, CLOSE, 14)
    assert (error.value.field, error.value.where) == ("high", "adx, index 10")


def test_a_leading_infinity_is_an_error() -> None:
    with pytest.raises(InputError, match="index 0"):
        ind.sma([np.inf, 1.0, 2.0], 2)


def test_incremental_gap_after_the_start_is_an_error() -> None:
    state = ind.RsiState.from_history(CLOSE, 14)
    with pytest.raises(InputError) as error:
        state.update(math.nan)
    assert error.value.field == "close"
    assert error.value.where == "RsiState.update, bar 60"
    with pytest.raises(InputError) as error:
        ind.AtrState(14).update(1.0, -math.inf, 1.0)
    assert error.value.field == "low"


def test_historical_volatility_needs_positive_closes() -> None:
    with pytest.raises(InputError) as error:
        ind.historical_volatility([100.0, 101.0, 0.0, 102.0], 2)
    assert (error.value.field, error.value.where) == ("close", "historical_volatility, index 2")
    with pytest.raises(InputError, match="> 0"):
        ind.HistoricalVolatilityState(2).update(-5.0)


def test_empty_history_gives_empty_output_and_a_fresh_state() -> None:
    assert ind.rsi([], 14).shape == (0,)
    assert all(band.shape == (0,) for band in ind.macd(np.array([])))
    state = ind.AdxState.from_history([], [], [], 14)
    assert (state.bars, state.bars_remaining, math.isnan(state.value)) == (0, 28, True)


def test_warmup_bars_remaining_for_the_strategy_set() -> None:
    """Seed 002 §11.10: EMA 200, IV rank over 252 observations, Bollinger 20, RSI 14."""
    warmups = (ind.ema_warmup(200), ind.iv_rank_warmup(252), ind.bollinger_warmup(20), ind.rsi_warmup(14))
    assert warmups == (199, 252, 19, 14)
    assert ind.warmup_bars_remaining(0, *warmups) == 253
    assert ind.warmup_bars_remaining(200, *warmups) == 53
    assert ind.warmup_bars_remaining(253, *warmups) == 0
    assert ind.warmup_bars_remaining(9000, *warmups) == 0
    assert ind.warmup_bars_remaining(0) == 0


def test_warmups_match_the_first_value_of_each_indicator() -> None:
    expectations = [
        (ind.sma_warmup(20), ind.sma(CLOSE, 20)),
        (ind.ema_warmup(20), ind.ema(CLOSE, 20)),
        (ind.bollinger_warmup(20), ind.bollinger(CLOSE, 20)[0]),
        (ind.rsi_warmup(14), ind.rsi(CLOSE, 14)),
        (ind.atr_warmup(14), ind.atr(HIGH, LOW, CLOSE, 14)),
        (ind.adx_warmup(14), ind.adx(HIGH, LOW, CLOSE, 14)),
        (ind.macd_warmup(5, 10, 4), ind.macd(CLOSE, 5, 10, 4)[0]),
        (ind.historical_volatility_warmup(20), ind.historical_volatility(CLOSE, 20)),
        (ind.iv_rank_warmup(20), ind.iv_rank(CLOSE, 20)),
    ]
    for warmup, values in expectations:
        assert int(np.argmax(~np.isnan(values))) == warmup


@pytest.mark.parametrize(("bars", "warmups"), [(-1, (3,)), (5, (-2,)), (2.0, (3,))])
def test_warmup_bars_remaining_rejects_bad_counts(bars: Any, warmups: tuple[Any, ...]) -> None:
    with pytest.raises(InputError):
        ind.warmup_bars_remaining(bars, *warmups)
