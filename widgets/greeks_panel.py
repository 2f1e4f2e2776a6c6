"""Portfolio Greeks panel: the book's net Greeks and heat, each beside its limit, split by underlying.

The panel is a view. It shows the GreeksView it is given: every figure large with its unit, a bar
of |value| against the figure's limit (amber past 80 % of it, red beyond it, "no limit" without
one) and a table of the Greeks per underlying. It acts on nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QScrollArea,
    QStackedLayout,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model.desk import GreekFigures, GreeksView, LimitGauge
from widgets.colors import (
    card_background,
    card_border,
    fill,
    groove,
    legible,
    muted_text,
    secondary_text,
    tone,
)

MISSING = "—"
WARN_FROM = 0.8  # share of a limit past which its bar turns amber
GaugeState = Literal["ok", "warn", "breached", "none"]  # "none": no limit

_BAR_STEPS = 1000


def panel_style(palette: QPalette | None = None) -> str:
    """Return the panel's stylesheet in the colours of a palette (the application's by default).

    Cards take a fill raised from the window (white on the light theme); their texts are checked
    against that fill, and the status texts come in the palette's dark or light variant.
    """
    palette = palette or QApplication.palette()
    card = card_background(palette)
    text = palette.color(QPalette.ColorRole.WindowText)
    caption = legible(secondary_text(palette), card, text).name()
    muted = legible(muted_text(palette), card, text).name()
    warn, breached = (legible(tone(name, palette), card, text).name() for name in ("amber", "red"))
    return f"""
QProgressBar#limitBar {{ background: {groove(palette).name()}; border: none; border-radius: 3px; }}
QProgressBar#limitBar::chunk {{ background: {fill("green").name()}; border-radius: 3px; }}
QProgressBar#limitBar[state="warn"]::chunk {{ background: {fill("amber").name()}; }}
QProgressBar#limitBar[state="breached"]::chunk {{ background: {fill("red").name()}; }}
QFrame#greekCard {{ background: {card.name()}; border: 1px solid {card_border(palette).name()};
                    border-radius: 4px; }}
QFrame#greekCard QLabel {{ background: transparent; }}
QLabel#greekTitle {{ color: {caption}; }}
QLabel#greekValue {{ color: {text.name()}; }}
QLabel#greekValue[state="breached"] {{ color: {breached}; }}
QLabel#greekLimit {{ color: {caption}; }}
QLabel#greekLimit[state="warn"] {{ color: {warn}; font-weight: bold; }}
QLabel#greekLimit[state="breached"] {{ color: {breached}; font-weight: bold; }}
QLabel#greekUnit {{ color: {muted}; }}
QLabel#greeksSection {{ color: {muted_text(palette).name()}; font-weight: bold; letter-spacing: 1px; }}
"""


_TABLE_HEADERS = ("Underlying", "Δ $/pt", "Γ $/pt²", "Θ $/day", "Vega $/vol pt")
_TABLE_SAMPLES = ("Underlying", "-99,999.99", "-9,999.99", "-99,999.99", "-99,999.99")
_CELL_PADDING = 12


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of the panel: its key (what a LimitGauge is named), title, unit and decimals."""

    key: str
    title: str
    unit: str
    decimals: int = 2


FIGURES: tuple[Figure, ...] = (
    Figure("delta", "Delta Δ", "$/pt"),
    Figure("beta_weighted_delta", "β-weighted Δ", "$/pt"),
    Figure("gamma", "Gamma Γ", "$/pt²"),
    Figure("theta", "Theta Θ", "$/day"),
    Figure("vega", "Vega", "$/vol pt"),
    Figure("heat", "Heat", "%", 1),
)


def figure_key(name: str) -> str:
    """Return the key a gauge name stands for ("Beta-weighted delta" -> "beta_weighted_delta")."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def format_number(value: float, decimals: int = 2) -> str:
    """Return a number with thousands separators and fixed decimals; "—" for NaN."""
    return f"{value:,.{decimals}f}" if math.isfinite(value) else MISSING


def compact_number(value: float, decimals: int = 2) -> str:
    """Return a number without decimals when it is whole ("2,500"), else with `decimals`."""
    if not math.isfinite(value):
        return MISSING
    return f"{value:,.0f}" if value == round(value) else f"{value:,.{decimals}f}"


def gauge_state_of(gauge: LimitGauge | None) -> GaugeState:
    """Return "breached" beyond the limit, "warn" past 80 % of it, "ok" below, "none" without one."""
    if gauge is None or not gauge.limit > 0:
        return "none"
    if gauge.breached:
        return "breached"
    return "warn" if gauge.used > WARN_FROM else "ok"


def gauge_text(gauge: LimitGauge | None, decimals: int) -> str:
    """Return "|value| / limit unit", e.g. "10 / 2,500 $/pt", or "no limit"."""
    if gauge is None or not gauge.limit > 0:
        return "no limit"
    used = compact_number(abs(gauge.value), decimals)
    return f"{used} / {compact_number(gauge.limit, decimals)} {gauge.unit}  ({100.0 * gauge.used:.1f}\u00a0%)"


def figure_values(view: GreeksView) -> dict[str, float]:
    """Return the value of each figure key of the view."""
    total = view.total
    return {"delta": total.delta, "beta_weighted_delta": view.beta_weighted_delta, "gamma": total.gamma,
            "theta": total.theta, "vega": total.vega, "heat": view.heat_pct}


class FigureCard(QFrame):
    """One figure as a card: title, value large with its unit, the limit bar and the limit text."""

    def __init__(self, figure: Figure, value_font: QFont, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("greekCard")
        self.figure = figure
        self.state: GaugeState = "none"
        self.title = _label(figure.title, "greekTitle")
        self.value = _label(MISSING, "greekValue")
        self.value.setFont(value_font)
        self.unit = _label(figure.unit, "greekUnit")
        self.bar = QProgressBar()
        self.bar.setObjectName("limitBar")
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.limit = _label("no limit", "greekLimit")
        self.limit.setWordWrap(True)
        figure_line = QHBoxLayout()
        figure_line.setSpacing(6)
        figure_line.addWidget(self.value)
        figure_line.addWidget(self.unit, 1, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        layout.addWidget(self.title)
        layout.addLayout(figure_line)
        layout.addWidget(self.bar)
        layout.addWidget(self.limit)

    def show_figure(self, value: float, gauge: LimitGauge | None) -> None:
        """Show the value and, when there is one, the limit it is held to."""
        self.value.setText(format_number(value, self.figure.decimals))
        self.limit.setText(gauge_text(gauge, self.figure.decimals))
        used = gauge.used if gauge is not None else math.nan
        self.bar.setValue(round(min(used, 1.0) * _BAR_STEPS) if math.isfinite(used) else 0)
        self._set_state(gauge_state_of(gauge))

    def _set_state(self, state: GaugeState) -> None:
        if state == self.state:
            return
        self.state = state
        for widget in (self.bar, self.limit, self.value):
            widget.setProperty("state", state)
            widget.style().unpolish(widget)
            widget.style().polish(widget)


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


class GreeksPanel(QWidget):
    """Net delta, β-weighted delta, gamma, theta, vega and heat beside their limits; Greeks by underlying.

    Signals: none (the panel only shows).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(panel_style())
        self._view: GreeksView | None = None
        self._value_font = QFont(self.font())
        self._value_font.setPointSizeF(self.font().pointSizeF() * 1.4)
        self._value_font.setBold(True)
        self._cards: dict[str, FigureCard] = {}
        self._grid = QGridLayout()
        self._grid.setSpacing(6)
        self._columns = 0
        for figure in FIGURES:
            self._cards[figure.key] = FigureCard(figure, self._value_font)
        self._card_width = self._measure_card_width()
        self._table = self._make_table()
        self._placeholder = _label("waiting for the book…", "panelPlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._make_content())
        self._arrange_cards(2)

    # --- construction ------------------------------------------------------------------------

    def _measure_card_width(self) -> int:
        figures = QFontMetrics(self._value_font).horizontalAdvance("-99,999.99")
        small = QFontMetrics(self.font())
        # The limit text wraps below this width; the figure and its unit never do.
        limit = small.horizontalAdvance("9,999 / 9,999 $/vol pt")
        return max(figures + small.horizontalAdvance("$/vol pt") + 6, limit) + 20

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(_TABLE_HEADERS))
        table.setObjectName("greeksByUnderlying")
        table.setHorizontalHeaderLabels(list(_TABLE_HEADERS))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.verticalHeader().hide()
        metrics = QFontMetrics(table.font())
        table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        for section, (title, sample) in enumerate(zip(_TABLE_HEADERS, _TABLE_SAMPLES, strict=True)):
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
            header.resizeSection(section, width + _CELL_PADDING)
        table.setFixedWidth(header.length() + 2 * table.frameWidth())
        self._fit_table_height(table)
        return table

    def _make_content(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(self._grid)
        layout.addSpacing(4)
        layout.addWidget(_label("BY UNDERLYING", "greeksSection"))
        layout.addWidget(self._table)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        return scroll

    @staticmethod
    def _fit_table_height(table: QTableWidget) -> None:
        # The table shows every row; the panel scrolls as a whole in a small dock.
        rows = max(table.rowCount(), 1) * table.verticalHeader().defaultSectionSize()
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + 2 * table.frameWidth())

    def _arrange_cards(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for card in self._cards.values():
            self._grid.removeWidget(card)
        for index, card in enumerate(self._cards.values()):
            self._grid.addWidget(card, index // columns, index % columns)
        for column in range(max(self._grid.columnCount(), columns)):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)
            self._grid.setColumnMinimumWidth(column, self._card_width if column < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Lay the figure cards out in as many columns (1 to 3) as the width holds."""
        super().resizeEvent(event)
        self._arrange_cards(max(1, min(3, (event.size().width() - 12) // (self._card_width + 6))))

    @property
    def table(self) -> QTableWidget:
        """Return the per-underlying table (for tests)."""
        return self._table

    def set_greeks(self, view: GreeksView) -> None:
        """Show the book's Greeks, heat and limits; do nothing when they did not change."""
        if view == self._view:
            return
        self._view = view
        gauges = {figure_key(gauge.name): gauge for gauge in view.limits}
        values = figure_values(view)
        self._add_extra_cards(gauges)
        for key, card in self._cards.items():
            gauge = gauges.get(key)
            card.show_figure(values.get(key, gauge.value if gauge else math.nan), gauge)
        self._show_split(view.per_underlying)
        self._stack.setCurrentIndex(1)

    def figure_text(self, key: str) -> str:
        """Return the value shown for a figure key ("delta", "heat", ...)."""
        return self._cards[key].value.text()

    def limit_text(self, key: str) -> str:
        """Return the limit text shown beside a figure ("10 / 2,500 $/pt  (0.4 %)" or "no limit")."""
        return self._cards[key].limit.text()

    def gauge_state(self, key: str) -> GaugeState:
        """Return the state of a figure's limit bar: "ok", "warn", "breached" or "none"."""
        return self._cards[figure_key(key)].state

    def gauge_fill(self, key: str) -> float:
        """Return how full a figure's limit bar is drawn (0 to 1)."""
        return self._cards[figure_key(key)].bar.value() / _BAR_STEPS

    # --- internals ---------------------------------------------------------------------------

    def _add_extra_cards(self, gauges: dict[str, LimitGauge]) -> None:
        extra = [key for key in gauges if key not in self._cards]
        for key in extra:  # a limit on a figure the panel has no card for: show it as a card too
            self._cards[key] = FigureCard(Figure(key, gauges[key].name, gauges[key].unit), self._value_font)
        if extra:
            columns, self._columns = self._columns, 0
            self._arrange_cards(columns)

    def _show_split(self, split: tuple[tuple[str, GreekFigures], ...]) -> None:
        selected = self._selected_underlying()
        table = self._table
        if table.rowCount() != len(split):
            table.setRowCount(len(split))
            self._fit_table_height(table)
        for row, (underlying, figures) in enumerate(split):
            texts = (underlying, format_number(figures.delta), format_number(figures.gamma),
                     format_number(figures.theta), format_number(figures.vega))
            for column, text in enumerate(texts):
                self._set_cell(row, column, text)
            if underlying == selected:
                table.selectRow(row)

    def _set_cell(self, row: int, column: int, text: str) -> None:
        item = self._table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            alignment = Qt.AlignmentFlag.AlignLeft if column == 0 else Qt.AlignmentFlag.AlignRight
            item.setTextAlignment(alignment | Qt.AlignmentFlag.AlignVCenter)
            self._table.setItem(row, column, item)
        if item.text() != text:
            item.setText(text)

    def _selected_underlying(self) -> str | None:
        rows = self._table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self._table.item(rows[0].row(), 0)
        return item.text() if item is not None else None
