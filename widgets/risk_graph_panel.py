"""Risk graph panel: payoff at expiry and theoretical P&L today and at a chosen date, in dollars.

The panel is a view of a RiskGraph (engine.model.desk) for the candidate or position the trader
selected. The terminal computes the curves; when the trader picks another "P&L at" date the
panel asks for it with ``sig_date_chosen`` and the terminal hands back a new graph.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QWidget,
)

from engine.model.desk import RiskGraph
from widgets.chart_axes import ValueAxis, format_money
from widgets.chart_frame import chart_page, install_stack, placeholder_label
from widgets.chart_panel import ChartStyle, chart_color

PLACEHOLDER = "Select a candidate or a position to see its risk graph"
_DATE_FORMAT = "yyyy-MM-dd"
_DATE_SETTLE_MS = 250  # typing a date passes through other valid dates: ask once it settles


def same_graph(shown: RiskGraph | None, graph: RiskGraph) -> bool:
    """Return True when two graphs draw the same (their arrays compared by value)."""
    if shown is None:
        return False
    if shown is graph:
        return True
    arrays = ("prices", "at_expiry", "today", "at_date")
    scalars = ("title", "today_date", "chosen_date", "spot", "breakevens", "short_strikes", "modelled")
    return (all(getattr(shown, name) == getattr(graph, name) for name in scalars)
            and all(np.array_equal(getattr(shown, name), getattr(graph, name)) for name in arrays))


def _points(value: float) -> str:
    return f"{value:,.2f}"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class RiskGraphPanel(QWidget):
    """Risk graph of one candidate or position: at expiry (solid), today (dashed), at a date (dotted).

    A zero line, the spot (labelled), the breakevens and the short strikes are marked; the title
    says MODELLED when the prices behind the curves are modelled.

    Signals:
        sig_date_chosen(object): the trader picked another date in "P&L at"; carries the
            ``datetime.date``. Emitted once the date has stayed put for a quarter second (typing
            passes through other dates); not emitted when ``set_graph`` shows a graph's date.
    """

    sig_date_chosen = Signal(object)

    def __init__(self, style: ChartStyle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = style or ChartStyle()
        self._graph: RiskGraph | None = None
        self._asked: date | None = None  # the date shown by set_graph or last asked for
        self._date_timer = QTimer(self)
        self._date_timer.setSingleShot(True)
        self._date_timer.setInterval(_DATE_SETTLE_MS)
        self._date_timer.timeout.connect(self._ask_for_date)
        self._marks: list[pg.GraphicsObject] = []  # spot, breakeven and short-strike items
        self._placeholder = placeholder_label(PLACEHOLDER)
        self._placeholder.setWordWrap(True)
        self._title = QLabel()
        self._title.setObjectName("chartTitle")
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._title.setWordWrap(True)  # a narrow dock wraps the title rather than clipping it
        self._badge = QLabel("MODELLED")
        self._badge.setObjectName("modelledBadge")
        self._badge.setToolTip("The P&L curves are priced from modelled quotes, not real ones.")
        self._date_edit = self._make_date_edit()
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setObjectName("riskGraphics")
        self._build_plot()
        self._stack = install_stack(self, self._placeholder, self._graph_page())

    # --- construction ------------------------------------------------------------------------

    def _make_date_edit(self) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName("pnlDate")
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(_DATE_FORMAT)
        edit.setToolTip("date of the dotted P&L curve")
        edit.dateChanged.connect(self._date_timer.start)
        return edit

    def _graph_page(self) -> QWidget:
        top = QHBoxLayout()
        top.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self._title, 1)
        label = QLabel("P&&L &at")
        label.setBuddy(self._date_edit)
        top.addWidget(label)
        top.addWidget(self._date_edit)
        return chart_page(top, self._graphics)

    def _build_plot(self) -> None:
        style = self._style
        self._plot = self._graphics.addPlot(axisItems={
            "bottom": ValueAxis("bottom", lambda v: f"{v:,.0f}"),
            "right": ValueAxis("right", lambda v: format_money(v, 0))})
        self._plot.showAxis("right")
        self._plot.hideAxis("left")
        self._plot.getAxis("right").setWidth(72)
        self._plot.showGrid(x=True, y=True, alpha=style.grid_alpha)
        self._plot.setMouseEnabled(x=True, y=False)
        self._legend = self._plot.addLegend(offset=(8, 8), brush=pg.mkBrush(chart_color(style.legend_fill)))
        zero_pen = pg.mkPen(chart_color(style.rsi_levels), width=1)
        self._plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=zero_pen), ignoreBounds=True)
        self._at_expiry = self._plot.plot(pen=pg.mkPen(chart_color(style.payoff), width=2), name="at expiry")
        dashed = pg.mkPen(chart_color(style.pnl_today), width=1.6, style=Qt.PenStyle.DashLine)
        self._today = self._plot.plot(pen=dashed, name="today")
        dotted = pg.mkPen(chart_color(style.pnl_at_date), width=2, style=Qt.PenStyle.DotLine)
        self._at_date = self._plot.plot(pen=dotted, name="at date")

    # --- what the terminal calls ---------------------------------------------------------------

    def set_graph(self, graph: RiskGraph | None) -> None:
        """Show a risk graph, or the placeholder for None."""
        if graph is None:
            self._graph = None
            self._stack.setCurrentIndex(0)
            return
        if same_graph(self._graph, graph):
            return
        self._graph = graph
        self._draw_curves(graph)
        self._draw_marks(graph)
        self._title.setText(graph.title)
        self._title.setToolTip(graph.title)
        self._badge.setVisible(graph.modelled)
        self._show_date(graph)
        self._stack.setCurrentIndex(1)

    @property
    def graph(self) -> RiskGraph | None:
        """Return the graph shown, or None."""
        return self._graph

    def is_placeholder_shown(self) -> bool:
        """Return True while the panel shows its message instead of a graph."""
        return self._stack.currentIndex() == 0

    def title_text(self) -> str:
        """Return the title with "MODELLED" in front when the badge shows."""
        modelled = "MODELLED " if not self._badge.isHidden() else ""
        return modelled + self._title.text()

    def curve_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the x (price) and y (dollars) of a curve: "at expiry", "today" or "at date"."""
        curve = {"at expiry": self._at_expiry, "today": self._today, "at date": self._at_date}[name]
        xs, ys = curve.getData()
        return np.asarray(xs), np.asarray(ys)

    def legend_labels(self) -> list[str]:
        """Return the texts of the legend, in order."""
        return [label.text for _, label in self._legend.items]

    def mark_labels(self) -> list[str]:
        """Return the texts of the spot, breakeven and short-strike marks."""
        return [item.label.format for item in self._marks if isinstance(item, pg.InfiniteLine)]

    # --- drawing -----------------------------------------------------------------------------

    def _draw_curves(self, graph: RiskGraph) -> None:
        self._at_expiry.setData(graph.prices, graph.at_expiry)
        self._today.setData(graph.prices, graph.today)
        self._at_date.setData(graph.prices, graph.at_date)
        self._legend.getLabel(self._today).setText(f"today {graph.today_date.isoformat()}")
        self._legend.getLabel(self._at_date).setText(f"at {graph.chosen_date.isoformat()}")
        if len(graph.prices):
            self._plot.setXRange(float(graph.prices[0]), float(graph.prices[-1]), padding=0.0)
        self._set_y_range(graph)
        self._place_legend(graph)

    def _set_y_range(self, graph: RiskGraph) -> None:
        values = np.concatenate([graph.at_expiry, graph.today, graph.at_date, [0.0]])
        values = values[np.isfinite(values)]
        low, high = float(values.min()), float(values.max())
        span = max(high - low, 1.0)
        # Headroom above the curves for the spot and short-strike labels, below for the breakevens.
        self._plot.setYRange(low - 0.08 * span, high + 0.16 * span, padding=0.0)

    def _place_legend(self, graph: RiskGraph) -> None:
        # In the lower corner the payoff leaves empty: right when it rises with the price.
        rising = len(graph.at_expiry) > 1 and graph.at_expiry[-1] >= graph.at_expiry[0]
        corner = (1, 1) if rising else (0, 1)
        offset = (-8 if rising else 8, -24)  # clear of the breakeven labels at the bottom
        self._legend.anchor(itemPos=corner, parentPos=corner, offset=offset)

    def _draw_marks(self, graph: RiskGraph) -> None:
        for item in self._marks:
            self._plot.removeItem(item)
        style = self._style
        self._marks = [self._line(graph.spot, f"spot {_points(graph.spot)}", style.marker, 0.96,
                                  Qt.PenStyle.SolidLine)]
        self._marks += [self._line(strike, f"short {strike:,g}", style.short_strike, 0.89,
                                   Qt.PenStyle.DashLine) for strike in graph.short_strikes]
        self._marks += [self._line(price, f"BE {_points(price)}", style.breakeven, 0.035, Qt.PenStyle.DotLine)
                        for price in graph.breakevens]
        breakevens = pg.ScatterPlotItem(x=list(graph.breakevens), y=[0.0] * len(graph.breakevens),
                                        symbol="o", size=8, brush=chart_color(style.breakeven), pen=None)
        self._marks.append(breakevens)
        for item in self._marks:
            self._plot.addItem(item, ignoreBounds=True)

    def _line(self, x: float, text: str, color: str, position: float, dash: Qt.PenStyle) -> pg.InfiniteLine:
        pen = pg.mkPen(chart_color(color), width=1, style=dash)
        options = {"position": position, "color": chart_color(color), "anchors": [(0, 0.5), (0, 0.5)],
                   "fill": pg.mkBrush(chart_color(self._style.label_fill))}
        return pg.InfiniteLine(pos=x, angle=90, pen=pen, movable=False, label=text, labelOpts=options)

    def _show_date(self, graph: RiskGraph) -> None:
        if self._date_timer.isActive():
            return  # the trader is picking a date: an update at the old date must not undo it
        edit = self._date_edit
        first, last = _qdate(graph.today_date), _qdate(graph.today_date + timedelta(days=365))
        edit.blockSignals(True)  # the graph's own date is no choice of the trader
        try:
            # Touched only when different: a reset would interrupt the trader's typing.
            if (edit.minimumDate(), edit.maximumDate()) != (first, last):
                edit.setDateRange(first, last)
            if edit.date() != _qdate(graph.chosen_date):
                edit.setDate(_qdate(graph.chosen_date))
        finally:
            edit.blockSignals(False)
        self._asked = graph.chosen_date

    def chosen_date(self) -> date:
        """Return the date shown in "P&L at"."""
        chosen = self._date_edit.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def _ask_for_date(self) -> None:
        chosen = self.chosen_date()
        if self._graph is not None and chosen != self._asked:
            self._asked = chosen
            self.sig_date_chosen.emit(chosen)
