"""Regime and gates panel: the market regime with its inputs, the diagnosis checks and the entry gates.

The panel is a view. It shows the RegimeView of the last evaluation: the regime large and
coloured, the day, its inputs, every diagnosis check and entry gate with its status, value and
threshold, whether there is a signal (or why not) and the warm-up state. It acts on nothing.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QStackedLayout,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model import CheckStatus, GateResult, Regime
from engine.model.desk import RegimeView
from widgets.colors import BADGE_TEXT, Tone, fill, muted_text, secondary_text, tone

MISSING = "—"
REGIME_TONES: dict[Regime, Tone] = {
    Regime.BULLISH_CALM: "green",
    Regime.ELEVATED_VOL: "amber",
    Regime.HIGH_VOL: "orange",
    Regime.CRISIS: "red",
    Regime.BEAR_TREND: "red",
}
STATUS_TONES: dict[CheckStatus, Tone] = {
    CheckStatus.PASS: "green",
    CheckStatus.FAIL: "red",
    CheckStatus.NO_DATA: "amber",
    CheckStatus.DISABLED: "grey",
}


def regime_color(regime: Regime | None, palette: QPalette | None = None) -> QColor:
    """Return the colour of a regime's name by its danger (grey when there is none yet)."""
    return tone(REGIME_TONES.get(regime, "grey") if regime is not None else "grey", palette)


def status_colors(palette: QPalette | None = None) -> dict[CheckStatus, QColor]:
    """Return the text colour of each check status in the palette's (dark or light) variant."""
    return {status: tone(name, palette) for status, name in STATUS_TONES.items()}


COLUMNS = ("Check", "Status", "Value", "Threshold", "Detail")
NAME, STATUS, VALUE, THRESHOLD, DETAIL = range(len(COLUMNS))
# Widest text each column usually prints; sizes the columns once, never on an update.
_SAMPLE_TEXT = ("Mean Reversion", "DISABLED", "Elevated Vol", "close > EMA 200 (9,999.9)",
                "VIX percentile over 252 bars")
_CELL_PADDING = 12


def panel_style(palette: QPalette | None = None) -> str:
    """Return the panel's stylesheet in the colours of a palette (the application's by default)."""
    return f"""
QLabel#regimeName {{ font-weight: bold; }}
QLabel#regimeDay, QLabel#regimeSection {{ color: {muted_text(palette).name()}; }}
QLabel#regimeSection {{ font-weight: bold; letter-spacing: 1px; }}
QLabel#regimeInputName {{ color: {secondary_text(palette).name()}; }}
QLabel#regimeWarmup {{ background: {fill("amber").name()}; color: {BADGE_TEXT}; font-weight: bold;
                       padding: 2px 8px; border-radius: 3px; }}
"""


def format_value(value: float | str | None) -> str:
    """Return a check's value as shown: numbers with 2 decimals (counts whole), "—" when missing."""
    if value is None:
        return MISSING
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,d}"
    return f"{value:,.2f}" if math.isfinite(value) else MISSING


def regime_text(regime: Regime | None) -> str:
    """Return the regime's name, "—" when there is none yet."""
    return regime.value if regime is not None else MISSING


def signal_text(view: RegimeView) -> str:
    """Return "SIGNAL", or "no signal: <reason>"."""
    if view.signal:
        return "SIGNAL"
    return f"no signal: {view.reason}" if view.reason else "no signal"


def warmup_text(bars_remaining: int) -> str:
    """Return the warm-up line ("WARMUP: 37 bars remaining, no trading"), "" once warmed up."""
    if bars_remaining <= 0:
        return ""
    return f"WARMUP: {bars_remaining} bar{'s' if bars_remaining != 1 else ''} remaining, no trading"


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


class ChecksTable(QTableWidget):
    """A table of checks (name, status, value, threshold, detail) that shows every row it has.

    It never scrolls itself: its height follows its rows, and the panel scrolls as a whole.
    """

    def __init__(self, first_header: str, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels([first_header, *COLUMNS[1:]])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        metrics = QFontMetrics(self.font())
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        for column, sample in enumerate(_SAMPLE_TEXT):
            cell = QFontMetrics(self._bold) if column == STATUS else metrics  # statuses are bold
            header.resizeSection(column, cell.horizontalAdvance(sample) + _CELL_PADDING)
        header.setStretchLastSection(True)
        self.setMinimumWidth(header.length() + 2 * self.frameWidth())
        self._fit_height()
        self._status_brushes = {status: QBrush(color) for status, color in status_colors().items()}

    def show_checks(self, checks: tuple[GateResult, ...]) -> None:
        """Show the checks, one row each, keeping the trader's selected check (by name)."""
        selected = self.selected_name()
        if self.rowCount() != len(checks):
            self.setRowCount(len(checks))
            self._fit_height()
        for row, check in enumerate(checks):
            self._show_check(row, check)
            if check.name == selected:
                self.selectRow(row)

    def row_texts(self, row: int) -> tuple[str, ...]:
        """Return the texts of one row, column by column."""
        return tuple(self._text(row, column) for column in range(self.columnCount()))

    def selected_name(self) -> str | None:
        """Return the name of the selected check, or None."""
        rows = self.selectionModel().selectedRows()
        return self._text(rows[0].row(), NAME) if rows else None

    def _show_check(self, row: int, check: GateResult) -> None:
        texts = (check.name, check.status.value, format_value(check.value), check.threshold, check.detail)
        for column, text in enumerate(texts):
            item = self._item(row, column)
            if item.text() != text:
                item.setText(text)
                item.setToolTip(text)
        self._item(row, STATUS).setForeground(self._status_brushes[check.status])

    def _item(self, row: int, column: int) -> QTableWidgetItem:
        item = self.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            alignment = Qt.AlignmentFlag.AlignRight if column == VALUE else Qt.AlignmentFlag.AlignLeft
            item.setTextAlignment(alignment | Qt.AlignmentFlag.AlignVCenter)
            if column == STATUS:
                item.setFont(self._bold)
            self.setItem(row, column, item)
        return item

    def _text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""

    def _fit_height(self) -> None:
        rows = max(self.rowCount(), 1) * self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + rows + 2 * self.frameWidth())


class RegimePanel(QWidget):
    """The regime and its inputs, the diagnosis checks, the ten entry gates, signal and warm-up.

    Signals: none (the panel only shows).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(panel_style())
        self._view: RegimeView | None = None
        self._inputs: tuple[tuple[str, str], ...] | None = None
        self._regime = _label(MISSING, "regimeName")
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() * 1.8)
        big.setBold(True)
        self._regime.setFont(big)
        self._day = _label("", "regimeDay")
        self._signal = _label("", "regimeSignal")
        self._signal.setWordWrap(True)
        self._warmup = _label("", "regimeWarmup")
        self._warmup.hide()
        self._inputs_grid = QGridLayout()
        self._diagnosis = ChecksTable("Check")
        self._diagnosis.setObjectName("diagnosisTable")
        self._gates = ChecksTable("Gate")
        self._gates.setObjectName("gatesTable")
        self._placeholder = _label("waiting for the first evaluation…", "panelPlaceholder")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._placeholder)
        self._stack.addWidget(self._make_content())

    def _make_content(self) -> QWidget:
        heading = QHBoxLayout()
        heading.setSpacing(12)
        heading.addWidget(self._regime)
        heading.addWidget(self._day, 0, Qt.AlignmentFlag.AlignBottom)
        heading.addStretch(1)
        self._inputs_grid.setHorizontalSpacing(16)
        self._inputs_grid.setVerticalSpacing(2)
        self._inputs_grid.setColumnStretch(2, 1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(heading)
        layout.addWidget(self._signal)
        layout.addWidget(self._warmup, 0, Qt.AlignmentFlag.AlignLeft)
        for title, part in (("INPUTS", self._inputs_grid), ("ENTRY GATES", self._gates),
                            ("MARKET DIAGNOSIS", self._diagnosis)):
            layout.addSpacing(4)
            layout.addWidget(_label(title, "regimeSection"))
            if isinstance(part, QGridLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        return scroll

    # --- what the terminal calls ---------------------------------------------------------------

    @property
    def gates_table(self) -> ChecksTable:
        """Return the table of the entry gates."""
        return self._gates

    @property
    def diagnosis_table(self) -> ChecksTable:
        """Return the table of the market-diagnosis checks."""
        return self._diagnosis

    def set_regime(self, view: RegimeView) -> None:
        """Show the last evaluation; do nothing when it did not change."""
        if view == self._view:
            return
        self._view = view
        self._show_heading(view)
        self._show_inputs(view.inputs)
        self._diagnosis.show_checks(view.diagnosis)
        self._gates.show_checks(view.gates)
        self._stack.setCurrentIndex(1)

    def regime_text(self) -> str:
        """Return the regime shown."""
        return self._regime.text()

    def day_text(self) -> str:
        """Return the day line shown."""
        return self._day.text()

    def signal_text(self) -> str:
        """Return the signal line shown ("SIGNAL" or "no signal: ...")."""
        return self._signal.text()

    def warmup_text(self) -> str:
        """Return the warm-up line, "" when it is hidden."""
        return self._warmup.text() if not self._warmup.isHidden() else ""

    def input_texts(self) -> list[tuple[str, str]]:
        """Return the inputs shown, (name, value) in order."""
        grid = self._inputs_grid
        pairs = []
        for row in range(grid.rowCount()):
            cells = [grid.itemAtPosition(row, column) for column in (0, 1)]
            if all(cell is not None for cell in cells):
                name, value = (cell.widget() for cell in cells if cell is not None)
                if isinstance(name, QLabel) and isinstance(value, QLabel):
                    pairs.append((name.text(), value.text()))
        return pairs

    # --- internals ---------------------------------------------------------------------------

    def _show_heading(self, view: RegimeView) -> None:
        self._regime.setText(regime_text(view.regime))
        self._regime.setStyleSheet(f"color: {regime_color(view.regime).name()};")
        self._day.setText(f"as of {view.day.isoformat()}" if view.day is not None else "")
        self._signal.setText(signal_text(view))
        signal_style = (f"color: {tone('green').name()}; font-weight: bold;" if view.signal
                        else f"color: {tone('grey').name()};")
        self._signal.setStyleSheet(signal_style)
        warmup = warmup_text(view.warmup_bars_remaining)
        self._warmup.setText(warmup)
        self._warmup.setVisible(bool(warmup))

    def _show_inputs(self, inputs: tuple[tuple[str, str], ...]) -> None:
        if inputs == self._inputs:
            return
        self._inputs = inputs
        while self._inputs_grid.count():
            item = self._inputs_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for row, (name, value) in enumerate(inputs):
            value_label = _label(value, "regimeInputValue")
            if value.strip().lower() == "no data":
                value_label.setStyleSheet(f"color: {tone('amber').name()};")
            self._inputs_grid.addWidget(_label(name, "regimeInputName"), row, 0)
            self._inputs_grid.addWidget(value_label, row, 1)
