"""Chart panel: the underlying's daily bars with Bollinger Bands and EMA, and an RSI pane below.

The panel is a view. The terminal computes everything (bars up to the chosen date, the
indicators over them) and hands it over as a ChartSeries; the panel draws exactly that, so it
can never show a bar after the chosen date. The x axis is time: each session sits at midnight
UTC of its date, in seconds, labelled by SessionDateAxis. The style, the date axis and the
axis/money helpers here are shared by the other chart panels (equity, risk graph, IV smile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from engine.model.desk import MarkKind, TradeMark
from widgets.chart_axes import DAY, SessionDateAxis, session_time
from widgets.chart_frame import chart_page, install_stack, placeholder_label

FloatArray = npt.NDArray[np.float64]
_BAR_TICK = 0.3 * DAY  # half-width of the open/close ticks of an OHLC bar
_MARK_SYMBOLS: dict[MarkKind, tuple[str, int]] = {"signal": ("t1", 13), "entry": ("o", 10), "exit": ("x", 13)}


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """What the chart shows: daily bars up to `as_of` and, when ready, the indicators over them.

    All arrays have one value per bar, NaN where an indicator has no value yet. The indicator
    arrays are None until the terminal has computed them (the pricing kernels warm up first).
    """

    symbol: str
    as_of: date
    times: FloatArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    bb_upper: FloatArray | None = None
    bb_middle: FloatArray | None = None
    bb_lower: FloatArray | None = None
    ema_long: FloatArray | None = None
    rsi: FloatArray | None = None
    bb_period: int = 20
    bb_width: float = 2.0
    ema_period: int = 200
    rsi_period: int = 14

    def __post_init__(self) -> None:
        bars = len(self.times)
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, np.ndarray) and len(value) != bars:
                raise ValueError(f"ChartSeries.{spec.name} has {len(value)} values; times has {bars}")

    @property
    def has_indicators(self) -> bool:
        """Return True when the Bollinger Bands, EMA and RSI are present."""
        return self.bb_upper is not None and self.ema_long is not None and self.rsi is not None


@dataclass(frozen=True, slots=True)
class ChartStyle:
    """Colours of the chart (CSS-like hex strings, #rrggbb or #rrggbbaa); the theme sets them."""

    bar_up: str = "#3fb68b"
    bar_down: str = "#ef5b5b"
    close: str = "#d6dae2"
    bollinger: str = "#5fa8ff"
    bollinger_fill: str = "#5fa8ff22"
    bollinger_middle: str = "#5fa8ff99"
    ema: str = "#f5a623"
    rsi: str = "#c39bff"
    rsi_band: str = "#8088960f"
    rsi_levels: str = "#808896"
    marker: str = "#ffd24d"
    grid_alpha: float = 0.12
    # Trade marks on the price chart.
    mark_signal: str = "#ffd24d"
    mark_entry: str = "#35d07f"
    mark_exit: str = "#ff7a45"
    # Equity panel.
    equity: str = "#5fa8ff"
    drawdown: str = "#ef5b5b"
    drawdown_fill: str = "#ef5b5b40"
    # Risk graph panel.
    payoff: str = "#d6dae2"
    pnl_today: str = "#5fa8ff"
    pnl_at_date: str = "#c39bff"
    breakeven: str = "#ffd24d"
    short_strike: str = "#ef5b5b"
    # IV smile panel.
    iv_call: str = "#3fb68b"
    iv_put: str = "#f5a623"
    # Boxes behind the labels of vertical lines (spot, fwd, short, BE) and behind the legends of
    # the risk graph and IV smile: dark on the dark theme, light on the light one.
    label_fill: str = "#0000008c"
    legend_fill: str = "#0000006e"


def chart_color(hex_text: str) -> pg.QtGui.QColor:
    """Return a QColor from #rrggbb or #rrggbbaa (CSS order, not Qt's #aarrggbb)."""
    text = hex_text.lstrip("#")
    alpha = int(text[6:8], 16) if len(text) == 8 else 255
    return pg.QtGui.QColor(int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16), alpha)


def _mark_tip(x: float, y: float, data: object) -> str:
    return f"{data}  {_number(y)}"


def ohlc_segments(times: FloatArray, opens: FloatArray, highs: FloatArray, lows: FloatArray,
                  closes: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return x, y of OHLC bars as point pairs: the high-low line, the open tick, the close tick."""
    xs = np.stack([times, times, times - _BAR_TICK, times, times, times + _BAR_TICK], axis=1)
    ys = np.stack([lows, highs, opens, opens, closes, closes], axis=1)
    return xs.ravel(), ys.ravel()


def _last(values: FloatArray | None) -> float:
    return float(values[-1]) if values is not None and len(values) else math.nan


def _number(value: float, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}" if math.isfinite(value) else "—"


class ChartPanel(QWidget):
    """Daily bars of the underlying with Bollinger Bands and EMA, RSI below, a date marker.

    Trade marks (signals, entries, exits) from ``set_marks`` sit on the price pane; the ones
    outside the bars shown are left out. The panel has no signals: it only shows what it is given.
    """

    def __init__(self, style: ChartStyle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = style or ChartStyle()
        self._series: ChartSeries | None = None
        self._marks: tuple[TradeMark, ...] = ()
        self._placeholder = placeholder_label("waiting for the history…")
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setObjectName("chartGraphics")
        self._title = QLabel()
        self._title.setObjectName("chartTitle")
        self._title.setTextFormat(Qt.TextFormat.RichText)
        # Clipped when narrow instead of forcing the dock wider.
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._build_plots()
        self._stack = install_stack(self, self._placeholder, chart_page(self._title, self._graphics))

    # --- construction ------------------------------------------------------------------------

    def _build_plots(self) -> None:
        layout = self._graphics
        self._price = layout.addPlot(row=0, col=0, axisItems={"bottom": SessionDateAxis()})
        self._rsi = layout.addPlot(row=1, col=0, axisItems={"bottom": SessionDateAxis()})
        layout.ci.layout.setRowStretchFactor(0, 3)
        layout.ci.layout.setRowStretchFactor(1, 1)
        self._rsi.setXLink(self._price)
        for plot in (self._price, self._rsi):
            plot.showAxis("right")
            plot.hideAxis("left")
            plot.showGrid(x=True, y=True, alpha=self._style.grid_alpha)
            plot.setMouseEnabled(x=True, y=False)
            plot.getAxis("right").setWidth(64)  # same width in both panes keeps dates aligned
        self._price.getAxis("bottom").setStyle(showValues=False)
        self._price.enableAutoRange(axis="y")
        self._price.setAutoVisible(y=True)
        self._rsi.setYRange(0.0, 100.0, padding=0.0)
        self._rsi.getAxis("right").setTicks([[(30.0, "30"), (50.0, "50"), (70.0, "70")]])
        self._build_price_items()
        self._build_mark_items()
        self._build_rsi_items()

    def _build_price_items(self) -> None:
        style = self._style
        self._bb_fill_upper = pg.PlotCurveItem()
        self._bb_fill_lower = pg.PlotCurveItem()
        self._bb_fill = pg.FillBetweenItem(self._bb_fill_upper, self._bb_fill_lower,
                                           brush=chart_color(style.bollinger_fill))
        self._price.addItem(self._bb_fill)
        band_pen = pg.mkPen(chart_color(style.bollinger), width=1)
        self._bb_upper = self._price.plot(pen=band_pen, connect="finite")
        self._bb_lower = self._price.plot(pen=band_pen, connect="finite")
        middle_pen = pg.mkPen(chart_color(style.bollinger_middle), width=1, style=Qt.PenStyle.DashLine)
        self._bb_middle = self._price.plot(pen=middle_pen, connect="finite")
        self._ema = self._price.plot(pen=pg.mkPen(chart_color(style.ema), width=1.6), connect="finite")
        up_pen, down_pen = (pg.mkPen(chart_color(c), width=1.2) for c in (style.bar_up, style.bar_down))
        self._bars_up = pg.PlotCurveItem(pen=up_pen, connect="pairs")
        self._bars_down = pg.PlotCurveItem(pen=down_pen, connect="pairs")
        self._price.addItem(self._bars_up)
        self._price.addItem(self._bars_down)
        self._price_marker = self._marker(label=True)
        self._price.addItem(self._price_marker, ignoreBounds=True)

    def _build_mark_items(self) -> None:
        style = self._style
        colors = {"signal": style.mark_signal, "entry": style.mark_entry, "exit": style.mark_exit}
        outline = pg.mkPen(pg.QtGui.QColor(0, 0, 0, 170), width=1)
        self._mark_items: dict[MarkKind, pg.ScatterPlotItem] = {}
        for kind, (symbol, size) in _MARK_SYMBOLS.items():
            item = pg.ScatterPlotItem(symbol=symbol, size=size, brush=chart_color(colors[kind]), pen=outline,
                                      hoverable=True, tip=_mark_tip)
            item.setZValue(10)  # above the bars and bands
            self._price.addItem(item)
            self._mark_items[kind] = item

    def _build_rsi_items(self) -> None:
        style = self._style
        band = pg.LinearRegionItem(values=(30.0, 70.0), orientation="horizontal", movable=False,
                                   brush=chart_color(style.rsi_band), pen=pg.mkPen(None))
        self._rsi.addItem(band, ignoreBounds=True)
        levels_pen = pg.mkPen(chart_color(style.rsi_levels), width=1, style=Qt.PenStyle.DashLine)
        for level in (30.0, 70.0):
            self._rsi.addItem(pg.InfiniteLine(pos=level, angle=0, pen=levels_pen), ignoreBounds=True)
        self._rsi_curve = self._rsi.plot(pen=pg.mkPen(chart_color(style.rsi), width=1.4), connect="finite")
        self._rsi_marker = self._marker(label=False)
        self._rsi.addItem(self._rsi_marker, ignoreBounds=True)
        self._rsi_label = pg.TextItem(color=chart_color(style.rsi_levels), anchor=(0.0, 0.0))
        self._rsi.addItem(self._rsi_label, ignoreBounds=True)

    def _marker(self, label: bool) -> pg.InfiniteLine:
        pen = pg.mkPen(chart_color(self._style.marker), width=1, style=Qt.PenStyle.DashLine)
        options = {"position": 0.96, "color": chart_color(self._style.marker), "anchors": [(1, 0), (1, 0)]}
        if label:
            return pg.InfiniteLine(angle=90, pen=pen, movable=False, label="{value}", labelOpts=options)
        return pg.InfiniteLine(angle=90, pen=pen, movable=False)

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def series(self) -> ChartSeries | None:
        """Return the series shown, or None before the first one."""
        return self._series

    def last_x(self) -> float | None:
        """Return the x of the last bar drawn (``session_time`` of the as-of date)."""
        if self._series is None or not len(self._series.times):
            return None
        return float(self._series.times[-1])

    def plotted_x_max(self) -> float:
        """Return the largest x of anything drawn from data (bars, bands, EMA, RSI)."""
        curves = (self._bars_up, self._bars_down, self._bb_upper, self._bb_middle, self._bb_lower,
                  self._ema, self._rsi_curve, self._bb_fill_upper, self._bb_fill_lower)
        highest = -math.inf
        for curve in curves:
            xs = curve.getData()[0]
            if xs is not None and len(xs):
                highest = max(highest, float(np.nanmax(xs)))
        return highest

    def marker_x(self) -> float:
        """Return the x of the date marker."""
        return float(self._price_marker.value())

    def mark_points(self, kind: MarkKind) -> list[tuple[float, float]]:
        """Return the (x, y) of the marks of one kind drawn on the price pane."""
        xs, ys = self._mark_items[kind].getData()
        return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]

    def set_marks(self, marks: tuple[TradeMark, ...]) -> None:
        """Mark signals, entries and exits on the price pane; they stay until set again."""
        marks = tuple(marks)
        if marks != self._marks:
            self._marks = marks
            self._draw_marks()

    def title_text(self) -> str:
        """Return the title line as plain text."""
        return self._title.text()

    def price_range(self) -> tuple[float, float]:
        """Return the price range the upper pane shows."""
        low, high = self._price.getViewBox().viewRange()[1]
        return float(low), float(high)

    def x_range(self) -> tuple[float, float]:
        """Return the x range the panes show."""
        low, high = self._price.getViewBox().viewRange()[0]
        return float(low), float(high)

    def show_placeholder(self, text: str) -> None:
        """Show a message in place of the chart (loading, an error)."""
        self._placeholder.setText(text)
        self._stack.setCurrentIndex(0)

    def set_series(self, series: ChartSeries, note: str = "") -> None:
        """Draw a series: bars, the indicators when present, the marker at its as-of date.

        `note` is shown in the title line (e.g. why the indicators are not there yet).
        """
        self._series = series
        self._draw_bars(series)
        self._draw_indicators(series)
        marker_x = session_time(series.as_of)
        self._price_marker.setValue(marker_x)
        self._price_marker.label.setFormat(series.as_of.isoformat())
        self._rsi_marker.setValue(marker_x)
        self._title.setText(self._title_html(series, note))
        self._set_x_range(series)
        self._draw_marks()
        self._stack.setCurrentIndex(1)

    # --- drawing -----------------------------------------------------------------------------

    def _draw_bars(self, series: ChartSeries) -> None:
        up = series.close >= series.open
        for curve, mask in ((self._bars_up, up), (self._bars_down, ~up)):
            xs, ys = ohlc_segments(series.times[mask], series.open[mask], series.high[mask],
                                   series.low[mask], series.close[mask])
            curve.setData(xs, ys, connect="pairs")

    def _draw_marks(self) -> None:
        series = self._series
        first = float(series.times[0]) if series is not None and len(series.times) else math.inf
        last = session_time(series.as_of) if series is not None else -math.inf
        shown = [mark for mark in self._marks if first <= session_time(mark.day) <= last]
        for kind, item in self._mark_items.items():
            of_kind = [mark for mark in shown if mark.kind == kind]
            item.setData(x=[session_time(mark.day) for mark in of_kind], y=[mark.price for mark in of_kind],
                         data=[f"{kind} {mark.label}  {mark.day.isoformat()}" for mark in of_kind])

    def _draw_indicators(self, series: ChartSeries) -> None:
        curves = ((self._bb_upper, series.bb_upper), (self._bb_middle, series.bb_middle),
                  (self._bb_lower, series.bb_lower), (self._ema, series.ema_long),
                  (self._rsi_curve, series.rsi))
        for curve, values in curves:
            # Hidden, not just empty: an empty item still pulls the auto-range towards 0.
            curve.setVisible(values is not None)
            if values is None:
                curve.setData([], [])
            else:
                curve.setData(series.times, values, connect="finite")
        self._draw_band_fill(series)
        self._draw_rsi_label(series)

    def _draw_band_fill(self, series: ChartSeries) -> None:
        # The fill cannot cross NaNs (the band's warm-up), so it starts at the first full value.
        self._bb_fill.setVisible(series.bb_upper is not None and series.bb_lower is not None)
        if series.bb_upper is None or series.bb_lower is None:
            self._bb_fill_upper.setData([], [])
            self._bb_fill_lower.setData([], [])
            return
        finite = np.isfinite(series.bb_upper) & np.isfinite(series.bb_lower)
        start = int(np.argmax(finite)) if finite.any() else len(finite)
        self._bb_fill_upper.setData(series.times[start:], series.bb_upper[start:])
        self._bb_fill_lower.setData(series.times[start:], series.bb_lower[start:])

    def _draw_rsi_label(self, series: ChartSeries) -> None:
        if series.rsi is None:
            self._rsi_label.setText("RSI: waiting for the indicators")
        else:
            self._rsi_label.setText(f"RSI {series.rsi_period}  {_number(_last(series.rsi), 1)}")
        if len(series.times):
            self._rsi_label.setPos(float(series.times[0]), 100.0)

    def _set_x_range(self, series: ChartSeries) -> None:
        if not len(series.times):
            return
        first, last = float(series.times[0]), session_time(series.as_of)
        view = self._price.getViewBox()
        # Limits keep panning inside the shown year; nothing exists after the as-of date.
        view.setLimits(xMin=first - 5 * DAY, xMax=last + 5 * DAY)
        view.setXRange(first - DAY, last + 3 * DAY, padding=0.0)

    def _title_html(self, series: ChartSeries, note: str) -> str:
        style = self._style
        bars = (f"<b>{series.symbol}</b> daily &nbsp; {series.as_of.isoformat()} &nbsp; "
                f"O {_number(_last(series.open))} H {_number(_last(series.high))} "
                f"L {_number(_last(series.low))} C {_number(_last(series.close))}")
        parts = []
        if series.has_indicators:
            parts.append(f"<span style='color:{style.bollinger[:7]}'>BB({series.bb_period}, "
                         f"{series.bb_width:g}) {_number(_last(series.bb_upper))} / "
                         f"{_number(_last(series.bb_middle))} / {_number(_last(series.bb_lower))}</span>")
            parts.append(f"<span style='color:{style.ema[:7]}'>EMA {series.ema_period} "
                         f"{_number(_last(series.ema_long))}</span>")
            parts.append(f"<span style='color:{style.rsi[:7]}'>RSI {series.rsi_period} "
                         f"{_number(_last(series.rsi), 1)}</span>")
        if note:
            parts.append(f"<i>{note}</i>")
        return bars + "<br>" + " &nbsp;·&nbsp; ".join(parts)
