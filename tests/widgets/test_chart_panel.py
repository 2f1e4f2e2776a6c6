"""The chart panel: bars, indicators, RSI pane, date marker, nothing after the as-of date."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from engine.model.desk import TradeMark
from widgets.chart_axes import DAY, SessionDateAxis, TickStep, date_label, date_ticks, session_time
from widgets.chart_panel import ChartPanel, ChartSeries, ohlc_segments


def make_series(as_of: date = date(2008, 10, 10), bars: int = 250, indicators: bool = True) -> ChartSeries:
    """Return a weekday-only random walk ending at `as_of`."""
    days = [as_of - timedelta(days=k) for k in range(bars * 2)]
    days = sorted(d for d in days if d.weekday() < 5)[-bars:]
    times = np.array([session_time(d) for d in days])
    rng = np.random.default_rng(7)
    close = 1000.0 + np.cumsum(rng.normal(0.0, 10.0, bars))
    opens = np.concatenate([[close[0]], close[:-1]])
    high, low = np.maximum(opens, close) + 5.0, np.minimum(opens, close) - 5.0
    extra = {}
    if indicators:
        band = np.full(bars, np.nan)
        band[19:] = close[19:]
        extra = {"bb_upper": band + 30.0, "bb_middle": band, "bb_lower": band - 30.0,
                 "ema_long": close - 50.0, "rsi": np.clip(50.0 + rng.normal(0, 15, bars), 0, 100)}
    return ChartSeries("SPX", as_of, times, opens, high, low, close, **extra)


@pytest.fixture
def panel(qtbot: QtBot) -> ChartPanel:
    widget = ChartPanel()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


def test_session_time_is_midnight_utc() -> None:
    assert session_time(date(1970, 1, 2)) == DAY
    assert session_time(date(2008, 10, 10)) == 1223596800.0


def test_series_rejects_arrays_of_another_length() -> None:
    series = make_series(bars=30)
    with pytest.raises(ValueError, match="rsi has 29 values"):
        ChartSeries("SPX", series.as_of, series.times, series.open, series.high, series.low,
                    series.close, rsi=series.close[1:])


def test_ohlc_segments_draw_three_segments_per_bar() -> None:
    xs, ys = ohlc_segments(np.array([0.0, DAY]), np.array([1.0, 2.0]), np.array([3.0, 4.0]),
                           np.array([0.5, 1.5]), np.array([2.0, 3.0]))
    assert xs.shape == ys.shape == (12,)
    assert list(ys[:6]) == [0.5, 3.0, 1.0, 1.0, 2.0, 2.0]


def test_chart_ends_at_the_as_of_date_with_its_marker(panel: ChartPanel) -> None:
    series = make_series()
    panel.set_series(series)
    as_of_x = session_time(series.as_of)
    assert panel.last_x() == as_of_x
    assert panel.plotted_x_max() <= as_of_x + 0.5 * DAY  # an OHLC tick, never another bar
    assert panel.marker_x() == as_of_x
    low, high = panel.x_range()
    assert low <= series.times[0]
    assert high <= as_of_x + 5 * DAY


def test_chart_without_indicators_says_why(qtbot: QtBot, panel: ChartPanel) -> None:
    series = make_series(indicators=False)
    assert not series.has_indicators
    panel.set_series(series, note="indicators: warming up pricing kernels…")
    assert "warming up" in panel.title_text()

    def fits_the_bars() -> None:  # the missing indicators do not drag the range to 0
        low, high = panel.price_range()
        assert series.low.min() - 50.0 < low < series.low.min()
        assert series.high.max() < high < series.high.max() + 50.0

    qtbot.waitUntil(fits_the_bars, timeout=2000)
    panel.set_series(make_series())
    assert "EMA 200" in panel.title_text()
    assert "RSI 14" in panel.title_text()


def test_moving_the_date_moves_the_chart(panel: ChartPanel) -> None:
    panel.set_series(make_series(date(2008, 10, 10)))
    panel.set_series(make_series(date(2008, 9, 15)))
    assert panel.last_x() == session_time(date(2008, 9, 15))
    assert panel.plotted_x_max() <= session_time(date(2008, 9, 15)) + 0.5 * DAY


def sample_marks(series: ChartSeries) -> tuple[TradeMark, ...]:
    """Return a signal, an entry and an exit on bars of the series, and a mark after its as-of date."""
    day = [date(1970, 1, 1) + timedelta(days=int(x // DAY)) for x in series.times]
    return (TradeMark(day[-30], float(series.close[-30]), "signal", "C-SPX-1"),
            TradeMark(day[-29], float(series.open[-29]), "entry", "P-SPX-1"),
            TradeMark(day[-10], float(series.close[-10]), "exit", "P-SPX-1 PROFIT TARGET"),
            TradeMark(series.as_of + timedelta(days=3), 1234.5, "exit", "after the as-of date"))


def test_marks_are_drawn_by_kind_at_their_session_and_price(panel: ChartPanel) -> None:
    series = make_series()
    panel.set_series(series)
    signal, entry, exit_, _later = sample_marks(series)
    panel.set_marks(sample_marks(series))
    assert panel.mark_points("signal") == [(session_time(signal.day), signal.price)]
    assert panel.mark_points("entry") == [(session_time(entry.day), entry.price)]
    assert panel.mark_points("exit") == [(session_time(exit_.day), exit_.price)]  # the later one skipped


def test_marks_before_the_first_bar_are_skipped(panel: ChartPanel) -> None:
    series = make_series(bars=60)
    panel.set_series(series)
    early = TradeMark(date(2000, 1, 3), 1400.0, "entry", "long ago")
    panel.set_marks((early, *sample_marks(series)[:2]))
    assert [x for x, _ in panel.mark_points("entry")] == [float(series.times[-29])]


def test_marks_survive_a_new_series_and_follow_its_range(panel: ChartPanel) -> None:
    panel.set_marks(sample_marks(make_series()))  # before any series: kept, drawn later
    assert panel.mark_points("signal") == []
    series = make_series()
    panel.set_series(series)
    assert len(panel.mark_points("signal")) == 1
    panel.set_series(make_series())
    assert len(panel.mark_points("exit")) == 1
    earlier = make_series(as_of=series.as_of - timedelta(days=21))  # the exit is now in the future
    panel.set_series(earlier)
    assert panel.mark_points("exit") == []
    assert len(panel.mark_points("signal")) == 1


def test_date_labels_never_overlap_however_narrow_the_chart(qapp: QApplication) -> None:
    axis = SessionDateAxis()
    metrics = QFontMetrics(QFont())
    for first in (date(2007, 10, 1), date(2008, 8, 1), date(2008, 9, 20)):  # a year, ten weeks, three
        low, high = session_time(first), session_time(date(2008, 10, 13))
        for pixels in (200, 300, 420, 500, 600, 800, 1200, 2400):
            (_, ticks), = axis.tickValues(low, high, pixels)
            labels = axis.tickStrings(ticks, 1.0, 0.0)
            assert len(ticks) >= 2, (first, pixels)
            gaps = np.diff(ticks) * pixels / (high - low)
            widest = max(metrics.horizontalAdvance(label) for label in labels)
            assert gaps.min() >= widest + 8, (first, pixels, labels)
    year = session_time(date(2007, 10, 1)), session_time(date(2008, 10, 13))
    assert axis.step_for(*year, 300) == TickStep("month", 3)  # quarters, not just the year


def test_date_ticks_fall_on_months_weeks_and_years() -> None:
    low, high = session_time(date(2008, 1, 10)), session_time(date(2008, 5, 10))
    assert date_ticks(low, high, TickStep("month", 2)) == [session_time(date(2008, 3, 1)),
                                                           session_time(date(2008, 5, 1))]
    mondays = date_ticks(low, session_time(date(2008, 1, 31)), TickStep("week", 1))
    assert [date(1970, 1, 1) + timedelta(days=int(x // DAY)) for x in mondays] == [
        date(2008, 1, 14), date(2008, 1, 21), date(2008, 1, 28)]
    assert date_label(session_time(date(2008, 1, 1)), TickStep("month", 1)) == "2008"
    assert date_label(session_time(date(2008, 3, 1)), TickStep("month", 1)) == "Mar"
    assert date_label(session_time(date(2008, 3, 7)), TickStep("day", 1)) == "7 Mar"
