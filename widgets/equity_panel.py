"""Equity panel: the account's equity at each close of the session, its drawdown below.

The panel is a view of an EquityCurve (engine.model.desk). The x axis is time in epoch seconds,
the same scale as the chart panel, labelled with dates; the two panes share it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from engine.model.desk import EquityCurve
from widgets.chart_axes import DAY, SessionDateAxis, ValueAxis, format_money
from widgets.chart_frame import chart_page, install_stack, placeholder_label
from widgets.chart_panel import ChartStyle, chart_color

_AXIS_WIDTH = 84  # fits "$1,234,000" on the right of both panes, which keeps their dates aligned
CurveKey = tuple[int, float, float, float]


def _percent(value: float, signed: bool = False) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:+.1f} %" if signed else f"{value:.1f} %"


def curve_key(curve: EquityCurve) -> CurveKey:
    """Return what tells two curves apart cheaply: length, last time, last equity, start."""
    if not len(curve.times):
        return (0, math.nan, math.nan, curve.starting_equity)
    return (len(curve.times), float(curve.times[-1]), float(curve.equity[-1]), curve.starting_equity)


class EquityPanel(QWidget):
    """Equity curve of the session (dollars) with the drawdown in percent below it.

    The title line shows the last equity, the total return and the maximum drawdown.

    Signals: none; the panel only shows what ``set_curve`` gives it.
    """

    def __init__(self, style: ChartStyle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = style or ChartStyle()
        self._key: CurveKey | None = None
        self._placeholder = placeholder_label("No closes yet")
        self._title = QLabel()
        self._title.setObjectName("chartTitle")
        self._title.setTextFormat(Qt.TextFormat.RichText)
        self._title.setWordWrap(True)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setObjectName("equityGraphics")
        self._build_plots()
        self._stack = install_stack(self, self._placeholder, chart_page(self._title, self._graphics))

    def _build_plots(self) -> None:
        layout, style = self._graphics, self._style
        self._equity_plot = layout.addPlot(row=0, col=0, axisItems={
            "bottom": SessionDateAxis(), "right": ValueAxis("right", lambda v: format_money(v, 0))})
        self._drawdown_plot = layout.addPlot(row=1, col=0, axisItems={
            "bottom": SessionDateAxis(), "right": ValueAxis("right", _percent)})
        layout.ci.layout.setRowStretchFactor(0, 3)
        layout.ci.layout.setRowStretchFactor(1, 1)
        self._drawdown_plot.setXLink(self._equity_plot)
        for plot in (self._equity_plot, self._drawdown_plot):
            plot.showAxis("right")
            plot.hideAxis("left")
            plot.showGrid(x=True, y=True, alpha=style.grid_alpha)
            plot.setMouseEnabled(x=True, y=False)
            plot.getAxis("right").setWidth(_AXIS_WIDTH)
        self._equity_plot.getAxis("bottom").setStyle(showValues=False)
        start_pen = pg.mkPen(chart_color(style.rsi_levels), width=1, style=Qt.PenStyle.DashLine)
        self._start_line = pg.InfiniteLine(angle=0, pen=start_pen, movable=False)
        self._equity_plot.addItem(self._start_line)
        self._equity_curve = self._equity_plot.plot(pen=pg.mkPen(chart_color(style.equity), width=1.6))
        self._drawdown_plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=start_pen), ignoreBounds=True)
        self._drawdown_curve = self._drawdown_plot.plot(
            pen=pg.mkPen(chart_color(style.drawdown), width=1.2), fillLevel=0.0,
            brush=chart_color(style.drawdown_fill))

    # --- what the terminal calls ---------------------------------------------------------------

    def set_curve(self, curve: EquityCurve) -> None:
        """Show an equity curve; nothing is redrawn when it is the one already shown."""
        key = curve_key(curve)
        if key == self._key:
            return
        self._key = key
        if not len(curve.times):
            self._stack.setCurrentIndex(0)
            return
        self._equity_curve.setData(curve.times, curve.equity)
        self._drawdown_curve.setData(curve.times, curve.drawdown_pct)
        self._start_line.setValue(curve.starting_equity)
        self._title.setText(self._title_html(curve))
        self._set_ranges(curve)
        self._stack.setCurrentIndex(1)

    def is_placeholder_shown(self) -> bool:
        """Return True while the panel shows its message instead of the curve."""
        return self._stack.currentIndex() == 0

    def title_text(self) -> str:
        """Return the title line as plain text."""
        return QTextDocumentFragment.fromHtml(self._title.text()).toPlainText().replace("\u00a0", " ")

    def equity_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the x (epoch seconds) and y (dollars) of the equity curve drawn."""
        xs, ys = self._equity_curve.getData()
        return np.asarray(xs), np.asarray(ys)

    def drawdown_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the x (epoch seconds) and y (percent, <= 0) of the drawdown drawn."""
        xs, ys = self._drawdown_curve.getData()
        return np.asarray(xs), np.asarray(ys)

    # --- drawing -----------------------------------------------------------------------------

    def _set_ranges(self, curve: EquityCurve) -> None:
        first, last = float(curve.times[0]), float(curve.times[-1])
        self._equity_plot.setXRange(first - DAY, last + DAY, padding=0.0)
        low, high = float(np.nanmin(curve.equity)), float(np.nanmax(curve.equity))
        low, high = min(low, curve.starting_equity), max(high, curve.starting_equity)
        self._equity_plot.setYRange(low, high, padding=0.08)
        deepest = min(float(np.nanmin(curve.drawdown_pct)), -0.1)  # a flat curve still shows 0 on top
        self._drawdown_plot.setYRange(1.1 * deepest, -0.08 * deepest, padding=0.0)

    def _title_html(self, curve: EquityCurve) -> str:
        last = float(curve.equity[-1])
        start = curve.starting_equity
        total_return = 100.0 * (last / start - 1.0) if start > 0 else math.nan
        max_drawdown = float(np.nanmin(curve.drawdown_pct))
        drawdown_color = self._style.drawdown[:7]
        return (f"<b>Equity</b> {format_money(last)} &nbsp; return {_percent(total_return, signed=True)}"
                f" &nbsp; <span style='color:{drawdown_color}'>max drawdown {_percent(max_drawdown)}</span>")
