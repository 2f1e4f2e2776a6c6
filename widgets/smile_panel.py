"""IV smile panel: implied volatility of puts and calls against strike for the shown expiry.

The panel is a view of the ChainSlice the option chain shows (engine.model). Strikes within
25 % of spot are drawn; strikes without an implied volatility (NaN) are left out.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from engine.model import ChainSlice, DataSource
from widgets.chart_axes import ValueAxis
from widgets.chart_frame import chart_page, install_stack, placeholder_label
from widgets.chart_panel import ChartStyle, chart_color

STRIKE_WINDOW = 0.25  # strikes shown: within this fraction of spot
PLACEHOLDER = "waiting for the chain…"


def smile_points(strikes: np.ndarray, iv: np.ndarray, spot: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the strikes within the window around spot with a finite IV, and that IV in percent."""
    shown = np.isfinite(iv) & (np.abs(strikes - spot) <= STRIKE_WINDOW * spot)
    return strikes[shown], 100.0 * iv[shown]


def smile_title(chain_slice: ChainSlice) -> str:
    """Return the title: ``IV smile 2015-03-20 (64 DTE)``, with `` · MODELLED`` when modelled."""
    title = f"IV smile {chain_slice.expiry.isoformat()} ({chain_slice.dte} DTE)"
    return title + (" · MODELLED" if chain_slice.source is DataSource.MODELLED else "")


def _same_smile(shown: ChainSlice | None, chain_slice: ChainSlice) -> bool:
    if shown is None:
        return False
    if shown is chain_slice:
        return True
    same_figures = (shown.as_of, shown.expiration, shown.spot, shown.forward, shown.source) == (
        chain_slice.as_of, chain_slice.expiration, chain_slice.spot, chain_slice.forward, chain_slice.source)
    return same_figures and all(np.array_equal(a, b, equal_nan=True) for a, b in (
        (shown.strikes, chain_slice.strikes), (shown.calls.iv, chain_slice.calls.iv),
        (shown.puts.iv, chain_slice.puts.iv)))


class SmilePanel(QWidget):
    """Implied volatility smile of one expiry: puts and calls in percent against strike.

    Vertical lines mark spot and the forward; the title names the expiry, its DTE, and says
    MODELLED when the chain is modelled.

    Signals: none; the panel only shows what ``set_slice`` gives it.
    """

    def __init__(self, style: ChartStyle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = style or ChartStyle()
        self._slice: ChainSlice | None = None
        self._placeholder = placeholder_label(PLACEHOLDER)
        self._title = QLabel()
        self._title.setObjectName("chartTitle")
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._badge = QLabel("MODELLED")
        self._badge.setObjectName("modelledBadge")
        self._badge.setToolTip("This chain was modelled from the index, VIX and SKEW history; "
                               "no real quote went into it.")
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setObjectName("smileGraphics")
        self._build_plot()
        top = QHBoxLayout()
        top.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self._title, 1)
        self._stack = install_stack(self, self._placeholder, chart_page(top, self._graphics))

    def _build_plot(self) -> None:
        style = self._style
        self._plot = self._graphics.addPlot(axisItems={
            "bottom": ValueAxis("bottom", lambda v: f"{v:,.0f}"),
            "right": ValueAxis("right", lambda v: f"{v:.0f} %")})
        self._plot.showAxis("right")
        self._plot.hideAxis("left")
        self._plot.getAxis("right").setWidth(52)
        self._plot.showGrid(x=True, y=True, alpha=style.grid_alpha)
        self._plot.setMouseEnabled(x=True, y=False)
        self._plot.setAutoVisible(y=True)
        self._legend = self._plot.addLegend(offset=(-8, 8), brush=pg.mkBrush(chart_color(style.legend_fill)))
        self._puts = self._curve(style.iv_put, "puts")
        self._calls = self._curve(style.iv_call, "calls")
        self._spot = self._line(style.marker, 0.96, Qt.PenStyle.SolidLine)
        self._forward = self._line(style.rsi_levels, 0.86, Qt.PenStyle.DashLine)

    def _curve(self, color: str, name: str) -> pg.PlotDataItem:
        return self._plot.plot(pen=pg.mkPen(chart_color(color), width=1.6), symbol="o", symbolSize=4,
                               symbolPen=None, symbolBrush=chart_color(color), name=name)

    def _line(self, color: str, position: float, dash: Qt.PenStyle) -> pg.InfiniteLine:
        options = {"position": position, "color": chart_color(color), "anchors": [(0, 0.5), (0, 0.5)],
                   "fill": pg.mkBrush(chart_color(self._style.label_fill))}
        line = pg.InfiniteLine(angle=90, pen=pg.mkPen(chart_color(color), width=1, style=dash),
                               movable=False, label="", labelOpts=options)
        self._plot.addItem(line, ignoreBounds=True)
        return line

    # --- what the terminal calls ---------------------------------------------------------------

    def set_slice(self, chain_slice: ChainSlice | None) -> None:
        """Show the smile of a chain slice, or the placeholder for None."""
        if chain_slice is None:
            self._slice = None
            self._stack.setCurrentIndex(0)
            return
        if _same_smile(self._slice, chain_slice):
            return
        self._slice = chain_slice
        self._draw(chain_slice)
        self._stack.setCurrentIndex(1)

    def is_placeholder_shown(self) -> bool:
        """Return True while the panel shows its message instead of a smile."""
        return self._stack.currentIndex() == 0

    def title_text(self) -> str:
        """Return the title as shown, " · MODELLED" included when the badge shows."""
        return self._title.text() + (" · MODELLED" if not self._badge.isHidden() else "")

    def smile_data(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the strikes and IVs (percent) drawn for "calls" or "puts"."""
        xs, ys = (self._calls if side == "calls" else self._puts).getData()
        return np.asarray(xs), np.asarray(ys)

    def line_x(self) -> tuple[float, float]:
        """Return the x of the spot line and of the forward line."""
        return float(self._spot.value()), float(self._forward.value())

    # --- drawing -----------------------------------------------------------------------------

    def _draw(self, chain_slice: ChainSlice) -> None:
        strikes, spot = chain_slice.strikes, chain_slice.spot
        self._calls.setData(*smile_points(strikes, chain_slice.calls.iv, spot))
        self._puts.setData(*smile_points(strikes, chain_slice.puts.iv, spot))
        self._spot.setValue(spot)
        self._spot.label.setFormat(f"spot {spot:,.2f}")
        self._forward.setValue(chain_slice.forward)
        self._forward.label.setFormat(f"fwd {chain_slice.forward:,.2f}")
        # The forward's label on its far side from spot, so the two labels do not cross the lines.
        side = (1, 0.5) if chain_slice.forward < spot else (0, 0.5)
        self._forward.label.anchors = [side, side]
        self._forward.label.setAnchor(side)
        self._title.setText(smile_title(chain_slice).removesuffix(" · MODELLED"))
        self._badge.setVisible(chain_slice.source is DataSource.MODELLED)
        in_window = strikes[np.abs(strikes - spot) <= STRIKE_WINDOW * spot]
        if len(in_window):
            self._plot.setXRange(float(in_window.min()), float(in_window.max()), padding=0.02)
        self._plot.enableAutoRange(axis="y")
