"""Helpers shared by the widget and terminal tests: headless Qt, leak checks, sample chains."""

from __future__ import annotations

import gc
import math
import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import shiboken6

# Headless before any QApplication exists (`make test` sets it too; a bare pytest may not).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget

from engine.model import ChainSlice, DataSource, Expiration, Settlement, SideQuotes

NEW_YORK = ZoneInfo("America/New_York")


def live_top_level_widgets(collect: bool = True) -> list[QWidget]:
    """Return the top-level widgets still alive once deferred deletes (and garbage) are done."""
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if collect:
        gc.collect()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return list(QApplication.topLevelWidgets())


def widget_key(widget: QWidget) -> int:
    """Return the address of the C++ widget (stable, unlike the id of a Python wrapper)."""
    return int(shiboken6.getCppPointer(widget)[0])


def check_no_leaks(before: set[int]) -> None:
    """Fail if a top-level widget not in `before` (keys of widget_key) is still alive."""
    def leaked(collect: bool) -> list[QWidget]:
        return [w for w in live_top_level_widgets(collect) if widget_key(w) not in before]

    # A full collection is slow with numba and pandas loaded: only when something is left over.
    survivors = leaked(collect=False) and leaked(collect=True)
    names = sorted(f"{type(w).__name__}({w.objectName()!r})" for w in survivors)
    assert not survivors, f"top-level widgets leaked by the test: {', '.join(names)}"


def expiration(expiry: date, kind: str = "monthly") -> Expiration:
    """Return an SPX expiration (AM monthly by default) for test chains."""
    monthly = kind == "monthly"
    settles = datetime(expiry.year, expiry.month, expiry.day, 9 if monthly else 16, 30 if monthly else 0,
                       tzinfo=NEW_YORK)
    return Expiration(expiry, Settlement.AM if monthly else Settlement.PM, "SPX" if monthly else "SPXW",
                      settles, kind)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def sample_slice(as_of: date = date(2008, 10, 10), expiry: date = date(2008, 11, 21), spot: float = 899.22,
                 source: DataSource = DataSource.MODELLED, strikes: np.ndarray | None = None) -> ChainSlice:
    """Return a small Black-76 chain for views to show (test data, not a chain model)."""
    strikes = np.arange(500.0, 1400.0, 5.0) if strikes is None else strikes
    forward, t = spot * 0.998, (expiry - as_of).days / 365.0
    vol = np.clip(0.5 + 0.4 * (forward - strikes) / forward, 0.1, 1.5)
    d1 = (np.log(forward / strikes) + 0.5 * vol * vol * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    call = forward * _normal_cdf(d1) - strikes * _normal_cdf(d2)
    put = call - (forward - strikes)
    gamma = np.exp(-0.5 * d1 * d1) / (spot * vol * math.sqrt(2.0 * math.pi * t))
    oi = np.full_like(strikes, np.nan)

    def side(price: np.ndarray, delta: np.ndarray) -> SideQuotes:
        return SideQuotes(np.maximum(price - 0.5, 0.0), price + 0.5, price, vol, delta, gamma,
                          -price / 90.0, price / 40.0, oi)

    as_of_time = datetime(as_of.year, as_of.month, as_of.day, 16, 0, tzinfo=NEW_YORK)
    return ChainSlice("SPX", expiration(expiry), as_of_time, spot, forward, 0.02, 0.02, t, strikes,
                      side(call, _normal_cdf(d1)), side(put, _normal_cdf(d1) - 1.0), source)
