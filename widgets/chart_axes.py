"""Chart axes shared by the chart panels: session dates that never overlap, money values.

The date axis picks one row of labels (days, weeks, 1/2/3/6 months or years) spaced by the
measured width of a label, so narrow docks show fewer labels rather than overlapping ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics, QPainter

FloatArray = npt.NDArray[np.float64]
DAY = 86400.0
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def session_time(day: date) -> float:
    """Return the chart's x of a session: seconds from the epoch to midnight UTC of that date."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY


@dataclass(frozen=True, slots=True)
class TickStep:
    """How far apart the date labels of an axis are: `count` days, weeks, months or years."""

    unit: Literal["day", "week", "month", "year"]
    count: int

    @property
    def shortest_days(self) -> int:
        """Return the fewest days two neighbouring labels can be apart (a month may be 28 days)."""
        return self.count * {"day": 1, "week": 7, "month": 28, "year": 365}[self.unit]


TICK_STEPS = tuple(TickStep(unit, count) for unit, counts in (
    ("day", (1, 2)), ("week", (1, 2)), ("month", (1, 2, 3, 6)), ("year", (1, 2, 5, 10, 25, 50, 100)))
    for count in counts)
_LABEL_GAP = 14  # pixels of free space between two date labels
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)  # the axis never labels beyond these


def _tick_days(first: date, last: date, step: TickStep) -> Iterator[date]:
    if step.unit == "year":
        yield from (date(year, 1, 1) for year in range(first.year, last.year + 1) if year % step.count == 0)
    elif step.unit == "month":
        for months in range(first.year * 12 + first.month - 1, last.year * 12 + last.month):
            if months % 12 % step.count == 0:
                yield date(months // 12, months % 12 + 1, 1)
    else:
        spacing = step.count * (7 if step.unit == "week" else 1)
        day = first + timedelta(days=(-first.toordinal() + (1 if step.unit == "week" else 0)) % spacing)
        while day <= last:  # weeks start on Mondays (ordinal 1 is a Monday)
            yield day
            day += timedelta(days=spacing)


def date_ticks(low: float, high: float, step: TickStep) -> list[float]:
    """Return the x of every label of `step` between two chart x values (session_time units)."""
    first = date.fromordinal(_EPOCH_ORDINAL + int(max(low, session_time(_FIRST_DAY)) // DAY))
    last = date.fromordinal(_EPOCH_ORDINAL + int(min(high, session_time(_LAST_DAY)) // DAY))
    return [x for x in (session_time(day) for day in _tick_days(first, last, step)) if low <= x <= high]


def date_label(x: float, step: TickStep) -> str:
    """Return the label of a tick: "7 Oct" for days and weeks, "Oct" (the year in January), "2008"."""
    day = date.fromordinal(_EPOCH_ORDINAL + int(x // DAY))
    if step.unit in ("day", "week"):
        return f"{day.day} {day:%b}"
    return f"{day:%b}" if step.unit == "month" and day.month != 1 else str(day.year)


class SessionDateAxis(pg.AxisItem):
    """Date axis with one row of labels spaced by their measured width, so they never overlap.

    pyqtgraph's DateAxisItem mixes two label levels (years and months, months and days) that
    crowd each other when the chart is narrow; this axis picks a single step instead.
    """

    def __init__(self, orientation: str = "bottom") -> None:
        super().__init__(orientation)
        self._metrics = QFontMetrics(QFont())
        self._step = TICK_STEPS[0]

    def label_width(self, step: TickStep) -> int:
        """Return the width in pixels of the widest label of a step, with the free space after it."""
        samples = ("30 Sep", "28 May") if step.unit in ("day", "week") else ("2008", "May", "Sep", "Mar")
        return max(self._metrics.horizontalAdvance(text) for text in samples) + _LABEL_GAP

    def step_for(self, low: float, high: float, pixels: float) -> TickStep:
        """Return the finest step whose labels fit between low and high drawn over `pixels`."""
        seconds_per_pixel = (high - low) / max(pixels, 1.0)
        fits = (s for s in TICK_STEPS if s.shortest_days * DAY / seconds_per_pixel >= self.label_width(s))
        return next(fits, TICK_STEPS[-1])

    def generateDrawSpecs(self, p: QPainter) -> object:
        """Measure labels with the font they are drawn in, then lay the axis out."""
        self._metrics = QFontMetrics(self.style["tickFont"] or p.font())
        return super().generateDrawSpecs(p)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        """Return one level of ticks: the finest step whose labels fit."""
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return []
        self._step = self.step_for(minVal, maxVal, size)
        return [(self._step.shortest_days * DAY, date_ticks(minVal, maxVal, self._step))]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Return the label of each tick."""
        return [date_label(value, self._step) for value in values]


class ValueAxis(pg.AxisItem):
    """Axis whose tick labels go through a format function (money with separators, percent)."""

    def __init__(self, orientation: str, label: Callable[[float], str]) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)
        self._label = label

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Return the label of each tick."""
        return [self._label(value * scale) for value in values]


def format_money(value: float, decimals: int = 2) -> str:
    """Return dollars with thousands separators: $1,234.56, -$1,234.56, or an em dash for NaN."""
    if not math.isfinite(value):
        return "—"
    return f"{'-' if value < 0 else ''}${abs(value):,.{decimals}f}"


