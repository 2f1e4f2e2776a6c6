"""What the panels show for one session, computed off the GUI thread from engine services.

Everything here is plain computation (no Qt objects are touched), so the terminal runs it in an
executor and hands the result to the panels on the GUI thread. Future-blind by construction:
the history is cut at the chosen session before any indicator sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Protocol

import numpy as np
import pandas as pd

from engine.data.history import MarketHistory, bundled_directory
from engine.model import ChainSlice, Expiration
from widgets.chart_panel import ChartSeries, session_time

CHART_SPAN = timedelta(days=365)  # about a year of bars ending at the chosen session
TARGET_DTE = 45  # the default strategy's expiry (nearest 45 DTE within 30-60)
BB_PERIOD, BB_WIDTH, EMA_PERIOD, RSI_PERIOD = 20, 2.0, 200, 14


class ChainSource(Protocol):
    """What the terminal needs of a chain source (the modelled one, later a recorded one)."""

    def expirations(self, day: date) -> tuple[Expiration, ...]:
        """Return the expirations listed on `day`."""
        ...

    def slice_at(self, day: date, expiration: Expiration) -> ChainSlice:
        """Return the chain of one expiry at `day`'s close."""
        ...


@dataclass(frozen=True, slots=True)
class EngineServices:
    """The engine parts the panels are fed from, once the kernels are warm."""

    indicators: ModuleType
    chain_source: ChainSource


@dataclass(frozen=True, slots=True)
class DaySnapshot:
    """Everything both panels show for one session."""

    day: date
    chart: ChartSeries
    expirations: tuple[Expiration, ...]
    expiration: Expiration
    chain_slice: ChainSlice


def load_engine_services(history: MarketHistory) -> EngineServices:
    """Import the numba-backed engine modules (from the warm cache) and build the chain source."""
    from engine import indicators
    from engine.data.chain_model import ModelledChainSource

    return EngineServices(indicators, ModelledChainSource(history))


def describe_source(history: MarketHistory, chain_slice: ChainSlice | None) -> str:
    """Return the status-bar text of where the data comes from."""
    bundled = Path(history.source) == bundled_directory()
    history_text = "bundled history" if bundled else f"history from {history.source}"
    if chain_slice is None:
        return history_text
    return f"{history_text}, chains {chain_slice.source.value.upper()}"


def chart_series(history: MarketHistory, day: date, indicators: ModuleType | None) -> ChartSeries:
    """Return about a year of SPX bars ending at `day` and, when given, their indicators.

    Indicators run over all history up to `day` (EMA 200 needs its 200 bars of warm-up), never
    over anything after it: the rows after `day` are cut before anything else happens.
    """
    frame = history.frame.iloc[: history.position_of(day) + 1]
    first = int(frame.index.searchsorted(frame.index[-1] - pd.Timedelta(CHART_SPAN), side="right"))
    shown = frame.iloc[first:]
    times = np.array([session_time(session) for session in shown.index.date], dtype=np.float64)
    bars = {name: shown[f"spx_{name}"].to_numpy(dtype=np.float64)
            for name in ("open", "high", "low", "close")}
    overlays = {} if indicators is None else _overlays(frame["spx_close"].to_numpy(dtype=np.float64),
                                                        indicators, first)
    return ChartSeries("SPX", shown.index[-1].date(), times, **bars, **overlays, bb_period=BB_PERIOD,
                       bb_width=BB_WIDTH, ema_period=EMA_PERIOD, rsi_period=RSI_PERIOD)


def _overlays(close: np.ndarray, indicators: ModuleType, first: int) -> dict[str, np.ndarray]:
    """Return the chart's indicators over `close`, from row `first` on."""
    upper, middle, lower = indicators.bollinger(close, BB_PERIOD, BB_WIDTH)
    return {"bb_upper": upper[first:], "bb_middle": middle[first:], "bb_lower": lower[first:],
            "ema_long": indicators.ema(close, EMA_PERIOD)[first:],
            "rsi": indicators.rsi(close, RSI_PERIOD)[first:]}


def default_expiration(expirations: Sequence[Expiration], day: date,
                       target_dte: int = TARGET_DTE) -> Expiration:
    """Return the expiry nearest `target_dte` days out (a monthly wins a tie)."""
    if not expirations:
        raise ValueError(f"no expirations are listed on {day.isoformat()}")
    return min(expirations, key=lambda e: (abs((e.expiry - day).days - target_dte), e.kind != "monthly"))


def choose_expiration(expirations: Sequence[Expiration], day: date,
                      preferred: date | None) -> Expiration:
    """Return the trader's expiry when it is still listed on `day`, else the default one."""
    for expiration in expirations:
        if expiration.expiry == preferred:
            return expiration
    return default_expiration(expirations, day)


def session_on_or_before(history: MarketHistory, day: date) -> date:
    """Return the history's session on `day` or the last one before it; raise outside it."""
    session: date = history.frame.index[history.position_of(day)].date()
    return session


def day_snapshot(history: MarketHistory, services: EngineServices, day: date,
                 preferred_expiry: date | None) -> DaySnapshot:
    """Compute both panels' content for `day` (the session on or before it)."""
    session = session_on_or_before(history, day)
    expirations = services.chain_source.expirations(session)
    expiration = choose_expiration(expirations, session, preferred_expiry)
    chain_slice = services.chain_source.slice_at(session, expiration)
    chart = chart_series(history, session, services.indicators)
    return DaySnapshot(session, chart, expirations, expiration, chain_slice)
